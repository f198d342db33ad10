"""The calls and their forms: the root page lists the calls, each call's page is its form (/<call id>/),
and submission (form or JSON) leads to its thank-you page (handlers/applicants.py).

The root page and the forms are what a cold start serves most: they load neither pydantic nor boto3 (the
zip carries the calls validated, as JSON), so the other routes import the modules that do (applications,
links, the stores) when they are first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib import deps, logs
from chalicelib.call import Call, UnknownCall, could_be_a_call
from chalicelib.fields import FIELD_LABELS
from chalicelib.handlers.gateway import no_route
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
    from chalicelib.links import LinkOfAnotherCall

bp = Blueprint(__name__)

AUTOMATED = N_(
    "The field “Leave this empty” was filled in, which robots do. If you are a person, "
    "go back, empty that field and send the form again."
)
TOO_MANY_PER_ADDRESS = N_("Too many applications from this address. Please try again in %(wait)s.")
TOO_MANY_PER_EMAIL = N_("Too many applications for this email address. Please try again in %(wait)s.")
PLEASE_WAIT = N_("Please wait a little")
ANOTHER_CALL = N_("This link belongs to another call")
ANOTHER_CALL_DETAIL = N_("It was sent for “%(call)s”: open it from the email it came in, at its own address.")


def known_call(call_id: str) -> Call | None:
    """The call an address names, if any: one of the call files, or a call whose file was removed."""
    if not could_be_a_call(call_id):
        return None
    try:
        return deps.call(call_id)
    except UnknownCall:
        return None


def link_refused(request: Request, exc: Exception, status: int, title: str, default: str = "") -> Response:
    """A link that cannot be used: at another call's address, the page that names its own call; otherwise
    `status`, with what the link's error says (or `default`)."""
    from chalicelib.links import LinkOfAnotherCall

    if isinstance(exc, LinkOfAnotherCall):
        return another_call(request, exc)
    return problem(request, status, title, str(exc) or default)


def another_call(request: Request, exc: LinkOfAnotherCall) -> Response:
    """A good link opened at another call's address: refused, with the name of its own call."""
    language = chosen_language(request)
    try:
        title = deps.call(exc.call_id).in_language(language).title
    except UnknownCall:
        title = exc.call_id
    return problem(request, 404, ANOTHER_CALL, ANOTHER_CALL_DETAIL, language=language, call=title)


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
    return _form(call, chosen_language(bp.current_request), {}, {}, 200)


@bp.route("/{call_id}", methods=["POST"], content_types=FORM_OR_JSON)
def post_to_a_call_s_page(call_id: str) -> Response:
    """No page takes a POST here, as API Gateway answers for an address without a route: a 404 (an address
    that names no call would otherwise be a 405 locally, where chalice local finds the route /{call_id})."""
    return no_route(bp.current_request)


@bp.route("/{call_id}/applications", methods=["POST"], content_types=FORM_OR_JSON)
def submit_application(call_id: str) -> Response:
    call = known_call(call_id)
    if call is None:
        return no_route(bp.current_request)
    return _submit(call)


@bp.route("/applications", methods=["POST"], content_types=FORM_OR_JSON)
def submit_to_the_default_call() -> Response:
    """The address of the one-call versions' form and JSON API: the default call's."""
    return _submit(deps.call())


def _submit(call: Call) -> Response:
    from chalicelib.applications import CallClosed, InvalidApplication, LooksAutomated, RateLimited

    request = bp.current_request
    language = chosen_language(request)
    fields: dict[str, object] = {}
    try:
        fields = read_fields(request, settings().max_body_bytes)
        # The form says which language it was shown in; an API client may say it too.
        language = chosen_language(request, fields.pop("language", None))
        application, created = deps.submissions(call.id).submit(fields, client_address(request), language)
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
        page = _form(call, language, fields, {}, 429, refusal=refusal)
        page.headers.update(retry)
        return page
    except CallClosed:
        closed = N_("Applications closed on %(deadline)s.") if not call.closed else N_("Applications are closed.")
        deadline = moment(call.deadline, call.timezone, language)
        return problem(request, 403, N_("The call is closed"), closed, language=language, deadline=deadline)
    except InvalidApplication as exc:
        if wants_json(request):
            return json_response({"title": "Please correct the form", "errors": exc.errors}, 422)
        return _form(call, language, fields, exc.errors, 422)
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


def _form(
    call: Call, language: Language, values: dict[str, object], errors: dict[str, str], status: int, **context: object
) -> Response:
    """The call's form, with what was typed and what to correct."""
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


@bp.route("/openapi.json", methods=["GET"])
def describe_api() -> Response:
    """The default call's JSON API."""
    from chalicelib.openapi import spec

    return json_response(spec(deps.call(), settings().public_url or "/"))


@bp.route("/{call_id}/openapi.json", methods=["GET"])
def describe_api_of_call(call_id: str) -> Response:
    from chalicelib.openapi import spec

    call = known_call(call_id)
    if call is None:
        return no_route(bp.current_request)
    return json_response(spec(call, settings().public_url or "/"))
