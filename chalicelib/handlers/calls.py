"""The calls and their forms: the root page lists the calls, each call's page is its form (/<call id>/),
and submission (form or JSON) leads to its thank-you page (handlers/applicants.py).

The root page and the forms are what a cold start serves most: they load neither pydantic nor boto3 (the
zip carries the calls validated, as JSON), so the other routes import the modules that do (applications,
links, the stores) when they are first called.
"""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib import deps, logs
from chalicelib.call import Call, UnknownCall, could_be_a_call
from chalicelib.fields import FIELD_LABELS
from chalicelib.handlers.gateway import no_route
from chalicelib.i18n import Language
from chalicelib.settings import settings
from chalicelib.web import (
    FORM_OR_JSON,
    chosen_language,
    client_address,
    html,
    json_response,
    read_fields,
    see_other,
    wants_json,
)

bp = Blueprint(__name__)


def known_call(call_id: str) -> Call | None:
    """The call an address names, if any: one of the call files, or a call whose file was removed."""
    if not could_be_a_call(call_id):
        return None
    try:
        return deps.call(call_id)
    except UnknownCall:
        return None


@bp.route("/", methods=["GET"])
def list_calls() -> Response:
    """The open calls, then the closed ones; with one open call, one click leads to its form."""
    open_calls, closed = deps.calls().listed()
    return html(bp.current_request, "calls.html", open_calls=open_calls, closed_calls=closed)


@bp.route("/{call_id}", methods=["GET"])
def show_call(call_id: str) -> Response:
    call = known_call(call_id)
    if call is None:
        return no_route(bp.current_request)
    return call_form(bp.current_request, call, chosen_language(bp.current_request), {}, {}, 200)


@bp.route("/{call_id}", methods=["POST"], content_types=FORM_OR_JSON)
def post_to_a_call_s_page(call_id: str) -> Response:
    """No page takes a POST here, as API Gateway answers for an address without a route: a 404 (an address
    that names no call would otherwise be a 405 locally, where chalice local finds the route /{call_id})."""
    return no_route(bp.current_request)


@bp.route("/{call_id}/applications", methods=["POST"], content_types=FORM_OR_JSON)
def submit_application(call_id: str) -> Response:
    """A form or JSON; what a refused one gets (too large, unreadable, automated, too many, closed, with
    mistakes) is in handlers/refusals.py."""
    request = bp.current_request
    call = known_call(call_id)
    if call is None:
        return no_route(request)
    fields = read_fields(request, settings().max_body_bytes)
    # The form says which language it was shown in; an API client may say it too.
    language = chosen_language(request, fields.pop("language", None))
    application, created = deps.submissions(call.id).submit(fields, client_address(request), language)
    logs.event("application_stored", application=application.id, call=call.id, created=created)
    if wants_json(request):
        if not created:
            # Anyone who knows an applicant's email and title can send them again: a repeat gets the
            # reference only, never the status link (a key to withdraw) or the status.
            return json_response({"id": application.id, "created": False}, 200)
        status_url = deps.links().status_url(call.id, application.id)
        return json_response(
            {"id": application.id, "status": application.status, "created": True, "status_url": status_url}, 201
        )
    # Post/Redirect/Get: the thank-you page can be reloaded, or come Back to, without sending the form again.
    return see_other(request, deps.links().thanks_path(call.id, application.id, created))


def call_form(
    request: Request,
    call: Call,
    language: Language,
    values: dict[str, object],
    errors: dict[str, str],
    status: int,
    **context: object,
) -> Response:
    """The call's form, with what was typed and what to correct."""
    return html(
        request,
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


@bp.route("/{call_id}/openapi.json", methods=["GET"])
def describe_api(call_id: str) -> Response:
    """The call's JSON API."""
    from chalicelib.openapi import spec

    call = known_call(call_id)
    if call is None:
        return no_route(bp.current_request)
    return json_response(spec(call, settings().public_url or "/"))
