"""Applicants' routes: the call and its form, submission (form or JSON) and its thank-you page, and the status
page with its two buttons, each behind a confirmation step (GET shows, only POST acts).

The form's GET is the page a cold start serves most: it loads neither pydantic nor boto3, so the
other routes import the modules that do (applications, links, the stores) when they are first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps, logs
from chalicelib.clock import utc_now
from chalicelib.fields import FIELD_LABELS
from chalicelib.i18n import N_, Language, minutes, moment, translate
from chalicelib.settings import settings
from chalicelib.web import (
    FORM_OR_JSON,
    TOO_LARGE,
    BadBody,
    BodyTooLarge,
    chosen_language,
    client_address,
    html,
    json_response,
    problem,
    read_fields,
    see_other,
    wants_json,
)

if TYPE_CHECKING:
    from chalicelib.links import LinkError
    from chalicelib.models import Application
    from chalicelib.stores.table import ApplicationNotFound

bp = Blueprint(__name__)

AUTOMATED = N_(
    "The field “Leave this empty” was filled in, which robots do. If you are a person, "
    "go back, empty that field and send the form again."
)
TOO_MANY_PER_ADDRESS = N_("Too many applications from this address. Please try again in %(wait)s.")
TOO_MANY_PER_EMAIL = N_("Too many applications for this email address. Please try again in %(wait)s.")
PLEASE_WAIT = N_("Please wait a little")


def _unknown_status_link(exc: LinkError | ApplicationNotFound) -> Response:
    """A status link that is not ours, has expired, or names data already gone: a 404 that says so."""
    detail = str(exc) or N_("This application does not exist.")
    return problem(bp.current_request, 404, N_("Status link not recognised"), detail)


def _applicant_page(template: str, application: Application, status: int = 200, **context: object) -> Response:
    """A page for the applicant: in the language they applied in, unless they chose another with the switch."""
    request = bp.current_request
    language = chosen_language(request, preferred=application.language)
    call = deps.call()
    # A confirmed speaker may cancel until the session starts.
    started = utc_now() >= call.starts_at
    return html(
        request, template, status, language, call=call, application=application, session_started=started, **context
    )


@bp.route("/", methods=["GET"])
def show_call() -> Response:
    call = deps.call()
    return html(
        bp.current_request, "form.html", call=call, values={}, errors={}, labels=FIELD_LABELS, is_open=call.is_open()
    )


@bp.route("/applications", methods=["POST"], content_types=FORM_OR_JSON)
def submit_application() -> Response:
    from chalicelib.applications import CallClosed, InvalidApplication, LooksAutomated, RateLimited

    request = bp.current_request
    call = deps.call()
    language = chosen_language(request)
    fields: dict[str, object] = {}
    try:
        fields = read_fields(request, settings().max_body_bytes)
        # The form says which language it was shown in; an API client may say it too.
        language = chosen_language(request, fields.pop("language", None))
        application, created = deps.submissions().submit(fields, client_address(request), language)
    except BodyTooLarge as exc:
        logs.event("submission_refused", reason="too_large")
        return problem(request, 413, N_("The application is too large"), TOO_LARGE, limit=exc.limit)
    except BadBody as exc:
        return problem(request, 400, N_("The request could not be read"), str(exc))
    except LooksAutomated:
        logs.event("submission_refused", reason="honeypot")
        return problem(request, 400, N_("This looks automated"), AUTOMATED)
    except RateLimited as exc:
        logs.event("submission_refused", reason=f"rate_limited_{exc.scope}")
        detail = TOO_MANY_PER_ADDRESS if exc.scope == "address" else TOO_MANY_PER_EMAIL
        retry = {"Retry-After": str(exc.retry_after)}
        wait = minutes(exc.retry_after // 60 + 1, language)
        if wants_json(request):
            return problem(request, 429, PLEASE_WAIT, detail, headers=retry, wait=wait)
        # A person's typed text comes back with the form, to send again once the wait is over.
        refusal = {"title": translate(language, PLEASE_WAIT), "detail": translate(language, detail, wait=wait)}
        page = _form(language, fields, {}, 429, refusal=refusal)
        page.headers.update(retry)
        return page
    except CallClosed:
        closed = N_("Applications closed on %(deadline)s.")
        deadline = moment(call.deadline, call.timezone, language)
        return problem(request, 403, N_("The call is closed"), closed, language=language, deadline=deadline)
    except InvalidApplication as exc:
        if wants_json(request):
            return json_response({"title": "Please correct the form", "errors": exc.errors}, 422)
        return _form(language, fields, exc.errors, 422)
    logs.event("application_stored", application=application.id, created=created)
    if wants_json(request):
        if not created:
            # Anyone who knows an applicant's email and title can send them again: a repeat gets the
            # reference only, never the status link (a key to withdraw) or the status.
            return json_response({"id": application.id, "created": False}, 200)
        status_url = deps.links().status_url(application.id)
        return json_response(
            {"id": application.id, "status": application.status, "created": True, "status_url": status_url}, 201
        )
    # Post/Redirect/Get: the thank-you page can be reloaded, or come Back to, without sending the form again.
    return see_other(request, deps.links().thanks_path(application.id, created))


def _form(
    language: Language, values: dict[str, object], errors: dict[str, str], status: int, **context: object
) -> Response:
    """The form again, with what was typed and what to correct."""
    call = deps.call()
    return html(
        bp.current_request,
        "form.html",
        status,
        language=language,
        call=call,
        values=values,
        errors=errors,
        labels=FIELD_LABELS,
        is_open=call.is_open(),
        **context,
    )


@bp.route("/thanks/{token}", methods=["GET"])
def thank_applicant(token: str) -> Response:
    """Where the form's POST leads. A new application's page links to its status; a repeat's shows only the
    reference (anyone who knows an email and a title can send them again)."""
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        claim = deps.links().read_thanks(token)
        application = deps.submissions().status(claim.application_id)
    except (LinkError, ApplicationNotFound) as exc:
        return problem(bp.current_request, 404, N_("This link cannot be used"), str(exc) or N_("No such application."))
    if not claim.created:
        return _applicant_page("thanks.html", application, created=False)
    return _applicant_page("thanks.html", application, created=True, status_url=deps.links().status_url(application.id))


@bp.route("/status/{token}", methods=["GET"])
def show_status(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    request = bp.current_request
    try:
        application = deps.submissions().status(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    if wants_json(request):
        return json_response(
            {
                "id": application.id,
                "status": application.status,
                "history": [step.model_dump() for step in application.history],
            }
        )
    return _applicant_page("status.html", application, token=token)


def _confirmation(token: str, action: str) -> Response:
    """The step between a status page's button and what it does: says what will happen; only a POST acts."""
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.submissions().status(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    return _applicant_page("confirm.html", application, token=token, action=action)


@bp.route("/status/{token}/withdraw", methods=["GET"])
def confirm_withdrawal(token: str) -> Response:
    return _confirmation(token, "withdraw")


@bp.route("/status/{token}/delete", methods=["GET"])
def confirm_deletion(token: str) -> Response:
    return _confirmation(token, "delete")


@bp.route("/status/{token}/withdraw", methods=["POST"], content_types=FORM_OR_JSON)
def withdraw(token: str) -> Response:
    """Withdraws the application; a confirmed speaker's "I can no longer come", with a reason for the organisers."""
    from chalicelib.applications import InvalidReason, read_reason
    from chalicelib.links import LinkError
    from chalicelib.stores.applications import CannotWithdraw
    from chalicelib.stores.table import ApplicationNotFound

    request = bp.current_request
    try:
        application_id = deps.links().read_status(token)  # the link first: a forged one reads no body
        reason = read_reason(read_fields(request, settings().max_body_bytes), chosen_language(request))
        application = deps.withdrawals().withdraw(application_id, reason)
        logs.event("withdrawn", application=application.id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    except BodyTooLarge as exc:
        return problem(request, 413, N_("The reason is too long"), TOO_LARGE, limit=exc.limit)
    except BadBody as exc:
        return problem(request, 400, N_("The request could not be read"), str(exc))
    except InvalidReason as exc:
        [message] = exc.errors.values()
        return problem(request, 422, N_("The reason cannot be sent as it is"), message, errors=exc.errors)
    except CannotWithdraw as exc:
        return _applicant_page("status.html", exc.application, 409, token=token, too_late=True)
    return _applicant_page("withdrawn.html", application, status_url=deps.links().status_url(application.id))


@bp.route("/status/{token}/delete", methods=["POST"], content_types=FORM_OR_JSON)
def delete_my_data(token: str) -> Response:
    """Ends the workflow and blanks the personal fields."""
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.erasure().erase(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    logs.event("data_deleted", application=application.id)
    return _applicant_page("deleted.html", application)


@bp.route("/verify/{token}", methods=["GET"])
def ask_verification(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.submissions().status(deps.links().read_verification(token))
    except (LinkError, ApplicationNotFound) as exc:
        return problem(bp.current_request, 400, N_("This link cannot be used"), str(exc) or N_("No such application."))
    return _applicant_page("verify.html", application, token=token)


@bp.route("/verify/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def verify_email(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application_id = deps.links().read_verification(token)
        verified = deps.verifications().verify(application_id)
        application = deps.submissions().status(application_id)
    except (LinkError, ApplicationNotFound) as exc:
        return problem(bp.current_request, 400, N_("This link cannot be used"), str(exc) or N_("No such application."))
    return _applicant_page("verify.html", application, 200 if verified else 409, verified=verified)


@bp.route("/openapi.json", methods=["GET"])
def describe_api() -> Response:
    from chalicelib.openapi import spec

    return json_response(spec(deps.call(), settings().public_url or "/"))
