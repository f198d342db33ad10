"""Organisers' pages: review links (GET shows, only POST votes), each under its call's address, and each
organiser's overview of their calls, with exports.

A link that cannot be used gets a 400 page that says why; a revoked one (chalicelib/stores/revocations.py) a 403
(handlers/refusals.py). Each route imports the modules that load pydantic and itsdangerous when it is first
called: a cold start that serves the form (handlers/calls.py) never pays for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib import deps, logs
from chalicelib.settings import settings
from chalicelib.web import FORM_OR_JSON, chosen_language, html, json_response, read_fields

if TYPE_CHECKING:
    from chalicelib.review import ReviewView

bp = Blueprint(__name__)


def review_page(request: Request, view: ReviewView, token: str, status: int = 200) -> Response:
    """What the review link will do, or, once it cannot, why."""
    return html(request, "review.html", status, call=view.call, view=view, token=token)


@bp.route("/{call_id}/review/{token}", methods=["GET"])
def preview_vote(call_id: str, token: str) -> Response:
    return review_page(bp.current_request, deps.review_desk().open(token, call_id), token)


@bp.route("/{call_id}/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote(call_id: str, token: str) -> Response:
    from chalicelib.review import read_note

    request = bp.current_request
    desk = deps.review_desk()
    # The link first: a forged one is refused before its body is read.
    desk.check(token)
    note = read_note(read_fields(request, settings().max_body_bytes), chosen_language(request))
    view = desk.vote(token, note, call_id)
    logs.event("vote_recorded", application=view.application.id, votes=len(view.application.votes))
    return html(request, "voted.html", call=view.call, view=view, application=view.application)


@bp.route("/overview/{token}", methods=["GET"])
def show_overview(token: str) -> Response:
    """The organiser's calls (one link for all of them); one call's applications as a page (?call=, filtered
    and sorted by ?status=, ?kind=, ?sort=), or all of them exported with ?format=csv or ?format=json."""
    from chalicelib.overview import InvalidQuery, OrganiserCalls, OverviewQuery

    request = bp.current_request
    params: Mapping[str, str] = request.query_params or {}
    export = params.get("format", "")
    overview = deps.overview_desk().open(token, OverviewQuery.from_params(params))
    if isinstance(overview, OrganiserCalls) and export:
        # Each call has its own export: say which.
        raise InvalidQuery("call", tuple(summary.call.id for summary in overview.calls))
    if isinstance(overview, OrganiserCalls):
        return html(request, "organiser.html", overview=overview, token=token)
    if export == "csv":
        disposition = f'attachment; filename="{overview.call.id}-applications.csv"'
        headers: dict[str, str | list[str]] = {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": disposition,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        return Response(body=overview.csv(), headers=headers)
    if export == "json":
        return json_response(
            {"call": overview.call.id, "slots": overview.call.guest_slots, "applications": overview.rows()}
        )
    return html(request, "overview.html", call=overview.call, overview=overview, token=token)
