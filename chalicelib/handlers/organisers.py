"""Organisers' pages: review links (GET shows, only POST votes) and the call's overview with exports.

Each route imports the modules that load pydantic and itsdangerous when it is first called: a cold
start that serves the form (handlers/applicants.py) never pays for them.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps, logs
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
    problem,
    read_fields,
)

bp = Blueprint(__name__)

BAD_LINK = N_("This review link cannot be used")
BAD_OVERVIEW_LINK = N_("This overview link cannot be used")


@bp.route("/review/{token}", methods=["GET"])
def preview_vote(token: str) -> Response:
    from chalicelib.links import LinkError

    try:
        view = deps.review_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    return html(bp.current_request, "review.html", call=deps.call(), view=view, token=token)


@bp.route("/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.review import InvalidNote, read_note
    from chalicelib.storage import AlreadyVoted, ReviewOver, VoteContended

    request = bp.current_request
    desk = deps.review_desk()
    try:
        note = read_note(read_fields(request, settings().max_body_bytes), chosen_language(request))
        application = desk.vote(token, note)
        logs.event("vote_recorded", application=application.id, votes=len(application.votes))
        view = desk.open(token)
    except BodyTooLarge as exc:
        return problem(request, 413, N_("The note is too long"), TOO_LARGE, limit=exc.limit)
    except InvalidNote as exc:
        [message] = exc.errors.values()
        return problem(request, 422, N_("The note cannot be sent as it is"), message, errors=exc.errors)
    except (LinkError, BadBody) as exc:
        return problem(request, 400, BAD_LINK, str(exc))
    except (AlreadyVoted, ReviewOver, VoteContended):
        # The page says why the vote did not count, or, after a conflict, offers the button again.
        return html(request, "review.html", 409, call=deps.call(), view=desk.open(token), token=token)
    return html(request, "voted.html", call=deps.call(), view=view, application=application)


@bp.route("/overview/{token}", methods=["GET"])
def show_overview(token: str) -> Response:
    """The call's applications as a page, or exported with ?format=csv or ?format=json."""
    from chalicelib.links import LinkError

    request = bp.current_request
    try:
        overview = deps.overview_desk().open(token)
    except LinkError as exc:
        return problem(request, 400, BAD_OVERVIEW_LINK, str(exc))
    export = request.query_params.get("format", "") if request.query_params else ""
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
    return html(request, "overview.html", call=deps.call(), overview=overview, token=token)
