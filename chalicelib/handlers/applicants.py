"""Applicants' routes: the call and its form, submission (form or JSON), and the status page.

The form's GET is the page a cold start serves most: it loads neither pydantic nor boto3, so the
other routes import the modules that do (applications, links, storage) when they are first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps, logs
from chalicelib.fields import FIELD_LABELS
from chalicelib.i18n import N_
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
    wants_json,
)

if TYPE_CHECKING:
    from chalicelib.links import LinkError
    from chalicelib.storage import ApplicationNotFound

bp = Blueprint(__name__)

AUTOMATED = N_(
    "The field “Leave this empty” was filled in, which robots do. If you are a person, "
    "go back, empty that field and send the form again."
)
TOO_MANY_PER_ADDRESS = N_("Too many applications from this address. Please try again in %(minutes)s minutes.")
TOO_MANY_PER_EMAIL = N_("Too many applications for this email address. Please try again in %(minutes)s minutes.")


def _unknown_status_link(exc: LinkError | ApplicationNotFound) -> Response:
    """A status link that is not ours, has expired, or names data already gone: a 404 that says so."""
    detail = str(exc) or N_("This application does not exist.")
    return problem(bp.current_request, 404, N_("Status link not recognised"), detail)


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
        return problem(
            request, 429, N_("Please wait a little"), detail, headers=retry, minutes=exc.retry_after // 60 + 1
        )
    except CallClosed:
        return problem(
            request,
            403,
            N_("The call is closed"),
            N_("Applications closed on %(deadline)s."),
            deadline=f"{call.deadline:%Y-%m-%d %H:%M %Z}",
        )
    except InvalidApplication as exc:
        if wants_json(request):
            return json_response({"title": "Please correct the form", "errors": exc.errors}, 422)
        return html(
            request,
            "form.html",
            422,
            language=language,
            call=call,
            values=fields,
            errors=exc.errors,
            labels=FIELD_LABELS,
            is_open=True,
        )
    logs.event("application_stored", application=application.id, created=created)
    if not created:
        # Anyone who knows an applicant's email and title can send them again: a repeat gets the
        # reference only, never the status link (a key to withdraw) or the status.
        if wants_json(request):
            return json_response({"id": application.id, "created": False}, 200)
        return html(request, "thanks.html", 200, language=language, call=call, application=application, created=False)
    status_url = deps.links().status_url(application.id)
    if wants_json(request):
        return json_response(
            {"id": application.id, "status": application.status, "created": True, "status_url": status_url}, 201
        )
    return html(
        request,
        "thanks.html",
        201,
        language=language,
        call=call,
        application=application,
        created=True,
        status_url=status_url,
    )


@bp.route("/status/{token}", methods=["GET"])
def show_status(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.storage import ApplicationNotFound

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
    return html(request, "status.html", call=deps.call(), application=application, token=token)


@bp.route("/status/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def withdraw(token: str) -> Response:
    """The status page's withdraw button."""
    from chalicelib.links import LinkError
    from chalicelib.storage import ApplicationNotFound, CannotWithdraw

    request = bp.current_request
    try:
        application = deps.withdrawals().withdraw(deps.links().read_status(token))
        logs.event("withdrawn", application=application.id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    except CannotWithdraw as exc:
        return html(
            request, "status.html", 409, call=deps.call(), application=exc.application, token=token, too_late=True
        )
    return html(
        request,
        "withdrawn.html",
        call=deps.call(),
        application=application,
        status_url=deps.links().status_url(application.id),
    )


@bp.route("/status/{token}/delete", methods=["POST"], content_types=FORM_OR_JSON)
def delete_my_data(token: str) -> Response:
    """The status page's "delete my data" button: ends the workflow and blanks the personal fields."""
    from chalicelib.links import LinkError
    from chalicelib.storage import ApplicationNotFound

    request = bp.current_request
    try:
        application = deps.erasure().erase(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    logs.event("data_deleted", application=application.id)
    return html(request, "deleted.html", call=deps.call(), application=application)


@bp.route("/verify/{token}", methods=["GET"])
def ask_verification(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.storage import ApplicationNotFound

    try:
        application = deps.submissions().status(deps.links().read_verification(token))
    except (LinkError, ApplicationNotFound) as exc:
        return problem(bp.current_request, 400, N_("This link cannot be used"), str(exc) or N_("No such application."))
    return html(bp.current_request, "verify.html", call=deps.call(), application=application, token=token)


@bp.route("/verify/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def verify_email(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.storage import ApplicationNotFound

    try:
        application_id = deps.links().read_verification(token)
        verified = deps.verifications().verify(application_id)
        application = deps.submissions().status(application_id)
    except (LinkError, ApplicationNotFound) as exc:
        return problem(bp.current_request, 400, N_("This link cannot be used"), str(exc) or N_("No such application."))
    status = 200 if verified else 409
    return html(bp.current_request, "verify.html", status, call=deps.call(), application=application, verified=verified)


@bp.route("/openapi.json", methods=["GET"])
def describe_api() -> Response:
    from chalicelib.openapi import spec

    return json_response(spec(deps.call(), settings().public_url or "/"))
