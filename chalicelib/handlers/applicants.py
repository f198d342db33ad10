"""Applicants' routes: the call and its form, submission (form or JSON), and the status page."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.applications import CallClosed, InvalidApplication
from chalicelib.i18n import N_
from chalicelib.links import LinkError
from chalicelib.models import FIELD_LABELS
from chalicelib.storage import ApplicationNotFound, CannotWithdraw
from chalicelib.web import (
    FORM_OR_JSON,
    BadBody,
    chosen_language,
    html,
    json_response,
    problem,
    read_fields,
    wants_json,
)

bp = Blueprint(__name__)


@bp.route("/", methods=["GET"])
def show_call() -> Response:
    call = deps.call()
    return html(
        bp.current_request, "form.html", call=call, values={}, errors={}, labels=FIELD_LABELS, is_open=call.is_open()
    )


@bp.route("/applications", methods=["POST"], content_types=FORM_OR_JSON)
def submit_application() -> Response:
    request = bp.current_request
    call = deps.call()
    language = chosen_language(request)
    try:
        fields = read_fields(request)
        # The form says which language it was shown in; an API client may say it too.
        language = chosen_language(request, fields.pop("language", None))
        application, created = deps.submissions().submit(fields, language)
    except BadBody as exc:
        return problem(request, 400, N_("The request could not be read"), str(exc))
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
    status_url = deps.links().status_url(application.id)
    status_code = 201 if created else 200
    if wants_json(request):
        return json_response(
            {"id": application.id, "status": application.status, "created": created, "status_url": status_url},
            status_code,
        )
    return html(
        request,
        "thanks.html",
        status_code,
        language=language,
        call=call,
        application=application,
        created=created,
        status_url=status_url,
    )


@bp.route("/status/{token}", methods=["GET"])
def show_status(token: str) -> Response:
    request = bp.current_request
    try:
        application = deps.submissions().status(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return problem(
            request, 404, N_("Status link not recognised"), str(exc) or N_("This application does not exist.")
        )
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
    request = bp.current_request
    try:
        application = deps.withdrawals().withdraw(deps.links().read_status(token))
    except (LinkError, ApplicationNotFound) as exc:
        return problem(
            request, 404, N_("Status link not recognised"), str(exc) or N_("This application does not exist.")
        )
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
