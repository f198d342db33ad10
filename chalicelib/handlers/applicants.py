"""Applicants' routes: the thank-you page, the status page with its two buttons, each behind a confirmation
step (GET shows, only POST acts), and the address confirmation.

Each lives under its call's address (/<call id>/status/<token>); a link opened under another call's is
refused. What a refused link, body or withdrawal gets is in handlers/refusals.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib import deps, logs
from chalicelib.clock import utc_now
from chalicelib.settings import settings
from chalicelib.web import FORM_OR_JSON, chosen_language, html, json_response, read_fields, wants_json

if TYPE_CHECKING:
    from chalicelib.models import Application

bp = Blueprint(__name__)


def applicant_page(
    request: Request, template: str, application: Application, status: int = 200, **context: object
) -> Response:
    """A page for the applicant, about their call: in the language they applied in, unless they chose another
    with the switch."""
    language = chosen_language(request, preferred=application.language)
    call = deps.call(application.call_id)
    # A confirmed speaker may cancel until the session starts.
    started = call.session_started(utc_now())
    return html(
        request, template, status, language, call=call, application=application, session_started=started, **context
    )


@bp.route("/{call_id}/thanks/{token}", methods=["GET"])
def thank_applicant(call_id: str, token: str) -> Response:
    """Where the form's POST leads. A new application's page links to its status; a repeat's shows only the
    reference (anyone who knows an email and a title can send them again)."""
    request = bp.current_request
    application, claim = deps.applicant_links().thanks(token, call_id)
    if not claim.created:
        return applicant_page(request, "thanks.html", application, created=False)
    status_url = deps.links().status_url(application.call_id, application.id)
    return applicant_page(request, "thanks.html", application, created=True, status_url=status_url)


@bp.route("/{call_id}/status/{token}", methods=["GET"])
def show_status(call_id: str, token: str) -> Response:
    request = bp.current_request
    application = deps.applicant_links().status(token, call_id)
    if wants_json(request):
        return json_response(
            {
                "id": application.id,
                "call": application.call_id,
                "status": application.status,
                "history": [step.model_dump() for step in application.history],
            }
        )
    return applicant_page(request, "status.html", application, token=token)


@bp.route("/{call_id}/status/{token}/withdraw", methods=["GET"])
def confirm_withdrawal(call_id: str, token: str) -> Response:
    return _confirmation(call_id, token, "withdraw")


@bp.route("/{call_id}/status/{token}/delete", methods=["GET"])
def confirm_deletion(call_id: str, token: str) -> Response:
    return _confirmation(call_id, token, "delete")


def _confirmation(call_id: str, token: str, action: str) -> Response:
    """The step between a status page's button and what it does: says what will happen; only a POST acts."""
    application = deps.applicant_links().status(token, call_id)
    return applicant_page(bp.current_request, "confirm.html", application, token=token, action=action)


@bp.route("/{call_id}/status/{token}/withdraw", methods=["POST"], content_types=FORM_OR_JSON)
def withdraw(call_id: str, token: str) -> Response:
    """Withdraws the application; a confirmed speaker's "I can no longer come", with a reason for the organisers."""
    from chalicelib.applications import read_reason

    request = bp.current_request
    application = deps.applicant_links().status(token, call_id)  # the link first: a forged one reads no body
    reason = read_reason(read_fields(request, settings().max_body_bytes), chosen_language(request))
    application = deps.withdrawals().withdraw(application, reason)
    logs.event("withdrawn", application=application.id)
    status_url = deps.links().status_url(application.call_id, application.id)
    return applicant_page(request, "withdrawn.html", application, status_url=status_url)


@bp.route("/{call_id}/status/{token}/delete", methods=["POST"], content_types=FORM_OR_JSON)
def delete_my_data(call_id: str, token: str) -> Response:
    """Ends the workflow and blanks the personal fields."""
    application = deps.erasure().erase(deps.applicant_links().status(token, call_id))
    logs.event("data_deleted", application=application.id)
    return applicant_page(bp.current_request, "deleted.html", application)


@bp.route("/{call_id}/verify/{token}", methods=["GET"])
def ask_verification(call_id: str, token: str) -> Response:
    application = deps.applicant_links().verification(token, call_id)
    return applicant_page(bp.current_request, "verify.html", application, token=token)


@bp.route("/{call_id}/verify/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def verify_email(call_id: str, token: str) -> Response:
    application = deps.applicant_links().verification(token, call_id)
    verified = deps.verifications().verify(application.id)
    application = deps.applications().get(application.id)
    return applicant_page(bp.current_request, "verify.html", application, 200 if verified else 409, verified=verified)
