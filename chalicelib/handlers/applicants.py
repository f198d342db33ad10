"""Applicants' routes: the call and its form, submission (form or JSON), and the status page."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.applications import CallClosed, InvalidApplication
from chalicelib.links import LinkError
from chalicelib.models import FIELD_LABELS
from chalicelib.storage import ApplicationNotFound, CannotWithdraw
from chalicelib.web import FORM_OR_JSON, BadBody, html, json_response, problem, read_fields, wants_json

bp = Blueprint(__name__)


@bp.route("/", methods=["GET"])
def show_call() -> Response:
    call = deps.call()
    return html("form.html", call=call, values={}, errors={}, labels=FIELD_LABELS, is_open=call.is_open())


@bp.route("/applications", methods=["POST"], content_types=FORM_OR_JSON)
def submit_application() -> Response:
    request = bp.current_request
    call = deps.call()
    try:
        fields = read_fields(request)
        application, created = deps.submissions().submit(fields)
    except BadBody as exc:
        return problem(request, 400, "The request could not be read", str(exc))
    except CallClosed:
        return problem(
            request, 403, "The call is closed", f"Applications closed on {call.deadline:%d %B %Y at %H:%M %Z}."
        )
    except InvalidApplication as exc:
        if wants_json(request):
            return json_response({"title": "Please correct the form", "errors": exc.errors}, 422)
        return html("form.html", 422, call=call, values=fields, errors=exc.errors, labels=FIELD_LABELS, is_open=True)
    status_url = deps.links().status_url(application.id)
    status_code = 201 if created else 200
    if wants_json(request):
        return json_response(
            {"id": application.id, "status": application.status, "created": created, "status_url": status_url},
            status_code,
        )
    return html("thanks.html", status_code, call=call, application=application, created=created, status_url=status_url)


@bp.route("/status/{token}", methods=["GET"])
def show_status(token: str) -> Response:
    request = bp.current_request
    try:
        application = deps.submissions().status(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return problem(request, 404, "Status link not recognised", str(exc) or "This application does not exist.")
    if wants_json(request):
        return json_response(
            {
                "id": application.id,
                "status": application.status,
                "history": [step.model_dump() for step in application.history],
            }
        )
    return html("status.html", call=deps.call(), application=application, token=token)


@bp.route("/status/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def withdraw(token: str) -> Response:
    """The status page's withdraw button."""
    request = bp.current_request
    try:
        application = deps.withdrawals().withdraw(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return problem(request, 404, "Status link not recognised", str(exc) or "This application does not exist.")
    except CannotWithdraw as exc:
        return html("status.html", 409, call=deps.call(), application=exc.application, token=token, too_late=True)
    return html(
        "withdrawn.html", call=deps.call(), application=application, status_url=deps.links().status_url(application.id)
    )
