"""Organisers' pages: review links (GET shows, only POST votes) and the call's overview with exports."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.i18n import N_
from chalicelib.links import LinkError
from chalicelib.storage import AlreadyVoted, ReviewOver
from chalicelib.web import FORM_OR_JSON, BadBody, html, json_response, problem, read_fields

bp = Blueprint(__name__)

BAD_LINK = N_("This review link cannot be used")
BAD_OVERVIEW_LINK = N_("This overview link cannot be used")


@bp.route("/review/{token}", methods=["GET"])
def preview_vote(token: str) -> Response:
    try:
        view = deps.review_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    return html(bp.current_request, "review.html", call=deps.call(), view=view, token=token)


@bp.route("/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote(token: str) -> Response:
    request = bp.current_request
    desk = deps.review_desk()
    try:
        note = str(read_fields(request).get("note", ""))
        application = desk.vote(token, note)
        view = desk.open(token)
    except (LinkError, BadBody) as exc:
        return problem(request, 400, BAD_LINK, str(exc))
    except (AlreadyVoted, ReviewOver):
        return html(request, "review.html", 409, call=deps.call(), view=desk.open(token), token=token)
    return html(request, "voted.html", call=deps.call(), view=view, application=application)


@bp.route("/overview/{token}", methods=["GET"])
def show_overview(token: str) -> Response:
    try:
        overview = deps.overview_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_OVERVIEW_LINK, str(exc))
    return html(bp.current_request, "overview.html", call=deps.call(), overview=overview, token=token)


@bp.route("/overview/{token}/applications.csv", methods=["GET"])
def export_csv(token: str) -> Response:
    try:
        overview = deps.overview_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_OVERVIEW_LINK, str(exc))
    return Response(
        body=overview.csv(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{overview.call.id}-applications.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/overview/{token}/applications.json", methods=["GET"])
def export_json(token: str) -> Response:
    try:
        overview = deps.overview_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_OVERVIEW_LINK, str(exc))
    return json_response(
        {"call": overview.call.id, "slots": overview.call.guest_slots, "applications": overview.rows()}
    )
