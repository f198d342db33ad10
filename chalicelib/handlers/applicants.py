"""Applicants' routes: the thank-you page, the status page with its two buttons, each behind a confirmation
step (GET shows, only POST acts), and the address confirmation.

Each lives under its call's address (/<call id>/status/<token>); a link opened under another call's is
refused. The addresses of the one-call versions (/status/<token>...), in emails already sent, still work:
a GET leads to the call's address, a POST acts in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps, logs
from chalicelib.clock import utc_now
from chalicelib.handlers.calls import link_refused
from chalicelib.i18n import N_
from chalicelib.settings import settings
from chalicelib.web import (
    FORM_OR_JSON,
    TOO_LARGE,
    BadBody,
    BodyTooLarge,
    chosen_language,
    html,
    json_response,
    moved,
    problem,
    read_fields,
    wants_json,
)

if TYPE_CHECKING:
    from chalicelib.links import LinkError
    from chalicelib.models import Application
    from chalicelib.stores.table import ApplicationNotFound

bp = Blueprint(__name__)


def _unknown_status_link(exc: LinkError | ApplicationNotFound) -> Response:
    """A status link that is not ours, has expired, or names data already gone: a 404 that says so."""
    title, default = N_("Status link not recognised"), N_("This application does not exist.")
    return link_refused(bp.current_request, exc, 404, title, default)


def _unusable_link(exc: LinkError | ApplicationNotFound, status: int) -> Response:
    title, default = N_("This link cannot be used"), N_("No such application.")
    return link_refused(bp.current_request, exc, status, title, default)


def applicant_page(template: str, application: Application, status: int = 200, **context: object) -> Response:
    """A page for the applicant, about their call: in the language they applied in, unless they chose another
    with the switch."""
    request = bp.current_request
    language = chosen_language(request, preferred=application.language)
    call = deps.call(application.call_id)
    # A confirmed speaker may cancel until the session starts.
    started = call.session_started(utc_now())
    return html(
        request, template, status, language, call=call, application=application, session_started=started, **context
    )


@bp.route("/{call_id}/thanks/{token}", methods=["GET"])
def thank_applicant(call_id: str, token: str) -> Response:
    return _thanks(token, call_id)


@bp.route("/thanks/{token}", methods=["GET"])
def thank_applicant_of_one_call(token: str) -> Response:
    return _thanks(token, None)


def _thanks(token: str, call_id: str | None) -> Response:
    """Where the form's POST leads. A new application's page links to its status; a repeat's shows only the
    reference (anyone who knows an email and a title can send them again)."""
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application, claim = deps.applicant_links().thanks(token, call_id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unusable_link(exc, 404)
    if call_id is None:
        return moved(bp.current_request, f"{application.call_id}/thanks/{token}")
    if not claim.created:
        return applicant_page("thanks.html", application, created=False)
    status_url = deps.links().status_url(application.call_id, application.id)
    return applicant_page("thanks.html", application, created=True, status_url=status_url)


@bp.route("/{call_id}/status/{token}", methods=["GET"])
def show_status(call_id: str, token: str) -> Response:
    return _status(token, call_id)


@bp.route("/status/{token}", methods=["GET"])
def show_status_of_one_call(token: str) -> Response:
    return _status(token, None)


def _status(token: str, call_id: str | None) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    request = bp.current_request
    try:
        application = deps.applicant_links().status(token, call_id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    if wants_json(request):
        return json_response(
            {
                "id": application.id,
                "call": application.call_id,
                "status": application.status,
                "history": [step.model_dump() for step in application.history],
            }
        )
    if call_id is None:
        return moved(request, f"{application.call_id}/status/{token}")
    return applicant_page("status.html", application, token=token)


def _confirmation(token: str, action: str, call_id: str | None) -> Response:
    """The step between a status page's button and what it does: says what will happen; only a POST acts."""
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.applicant_links().status(token, call_id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    if call_id is None:
        return moved(bp.current_request, f"{application.call_id}/status/{token}/{action}")
    return applicant_page("confirm.html", application, token=token, action=action)


@bp.route("/{call_id}/status/{token}/withdraw", methods=["GET"])
def confirm_withdrawal(call_id: str, token: str) -> Response:
    return _confirmation(token, "withdraw", call_id)


@bp.route("/status/{token}/withdraw", methods=["GET"])
def confirm_withdrawal_of_one_call(token: str) -> Response:
    return _confirmation(token, "withdraw", None)


@bp.route("/{call_id}/status/{token}/delete", methods=["GET"])
def confirm_deletion(call_id: str, token: str) -> Response:
    return _confirmation(token, "delete", call_id)


@bp.route("/status/{token}/delete", methods=["GET"])
def confirm_deletion_of_one_call(token: str) -> Response:
    return _confirmation(token, "delete", None)


@bp.route("/{call_id}/status/{token}/withdraw", methods=["POST"], content_types=FORM_OR_JSON)
def withdraw(call_id: str, token: str) -> Response:
    return _withdraw(token, call_id)


@bp.route("/status/{token}/withdraw", methods=["POST"], content_types=FORM_OR_JSON)
def withdraw_of_one_call(token: str) -> Response:
    return _withdraw(token, None)


def _withdraw(token: str, call_id: str | None) -> Response:
    """Withdraws the application; a confirmed speaker's "I can no longer come", with a reason for the organisers."""
    from chalicelib.applications import InvalidReason, read_reason
    from chalicelib.links import LinkError
    from chalicelib.stores.applications import CannotWithdraw
    from chalicelib.stores.table import ApplicationNotFound

    request = bp.current_request
    try:
        application = deps.applicant_links().status(token, call_id)  # the link first: a forged one reads no body
        reason = read_reason(read_fields(request, settings().max_body_bytes), chosen_language(request))
        application = deps.withdrawals().withdraw(application, reason)
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
        return applicant_page("status.html", exc.application, 409, token=token, too_late=True)
    status_url = deps.links().status_url(application.call_id, application.id)
    return applicant_page("withdrawn.html", application, status_url=status_url)


@bp.route("/{call_id}/status/{token}/delete", methods=["POST"], content_types=FORM_OR_JSON)
def delete_my_data(call_id: str, token: str) -> Response:
    return _delete(token, call_id)


@bp.route("/status/{token}/delete", methods=["POST"], content_types=FORM_OR_JSON)
def delete_my_data_of_one_call(token: str) -> Response:
    return _delete(token, None)


def _delete(token: str, call_id: str | None) -> Response:
    """Ends the workflow and blanks the personal fields."""
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.erasure().erase(deps.applicant_links().status(token, call_id))
    except (LinkError, ApplicationNotFound) as exc:
        return _unknown_status_link(exc)
    logs.event("data_deleted", application=application.id)
    return applicant_page("deleted.html", application)


@bp.route("/{call_id}/verify/{token}", methods=["GET"])
def ask_verification(call_id: str, token: str) -> Response:
    return _ask_verification(token, call_id)


@bp.route("/verify/{token}", methods=["GET"])
def ask_verification_of_one_call(token: str) -> Response:
    return _ask_verification(token, None)


def _ask_verification(token: str, call_id: str | None) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.applicant_links().verification(token, call_id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unusable_link(exc, 400)
    if call_id is None:
        return moved(bp.current_request, f"{application.call_id}/verify/{token}")
    return applicant_page("verify.html", application, token=token)


@bp.route("/{call_id}/verify/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def verify_email(call_id: str, token: str) -> Response:
    return _verify(token, call_id)


@bp.route("/verify/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def verify_email_of_one_call(token: str) -> Response:
    return _verify(token, None)


def _verify(token: str, call_id: str | None) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.stores.table import ApplicationNotFound

    try:
        application = deps.applicant_links().verification(token, call_id)
        verified = deps.verifications().verify(application.id)
        application = deps.applications().get(application.id)
    except (LinkError, ApplicationNotFound) as exc:
        return _unusable_link(exc, 400)
    return applicant_page("verify.html", application, 200 if verified else 409, verified=verified)
