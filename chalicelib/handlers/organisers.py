"""Organisers' pages: review links (GET shows, only POST votes) and the call's overview with exports."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps, logs
from chalicelib.links import LinkError
from chalicelib.settings import settings
from chalicelib.storage import AlreadyVoted, ReviewOver
from chalicelib.web import FORM_OR_JSON, BadBody, BodyTooLarge, html, json_response, problem, read_fields

bp = Blueprint(__name__)

BAD_LINK = "This review link cannot be used"


@bp.route("/review/{token}", methods=["GET"])
def preview_vote(token: str) -> Response:
    try:
        view = deps.review_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    return html("review.html", call=deps.call(), view=view, token=token)


@bp.route("/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote(token: str) -> Response:
    request = bp.current_request
    desk = deps.review_desk()
    try:
        note = str(read_fields(request, settings().max_body_bytes).get("note", ""))
        application = desk.vote(token, note)
        logs.event("vote_recorded", application=application.id, votes=len(application.votes))
        view = desk.open(token)
    except BodyTooLarge as exc:
        return problem(request, 413, "The note is too long", str(exc))
    except (LinkError, BadBody) as exc:
        return problem(request, 400, BAD_LINK, str(exc))
    except (AlreadyVoted, ReviewOver):
        return html("review.html", 409, call=deps.call(), view=desk.open(token), token=token)
    return html("voted.html", call=deps.call(), view=view, application=application)


@bp.route("/overview/{token}", methods=["GET"])
def show_overview(token: str) -> Response:
    """The call's applications as a page, or exported with ?format=csv or ?format=json."""
    request = bp.current_request
    try:
        overview = deps.overview_desk().open(token)
    except LinkError as exc:
        return problem(request, 400, "This overview link cannot be used", str(exc))
    export = (request.query_params or {}).get("format", "")
    if export == "csv":
        disposition = f'attachment; filename="{overview.call.id}-applications.csv"'
        headers = {"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": disposition}
        return Response(body=overview.csv(), headers=headers | {"Cache-Control": "no-store"})
    if export == "json":
        return json_response(
            {"call": overview.call.id, "slots": overview.call.guest_slots, "applications": overview.rows()}
        )
    return html("overview.html", call=deps.call(), overview=overview, token=token)
