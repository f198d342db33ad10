"""Organisers' pages: review links (GET shows, only POST votes) and the call's overview with exports.

A link that cannot be used gets a 400 page that says why; a revoked one (chalicelib/stores/revocations.py) a 403.
Each route imports the modules that load pydantic and itsdangerous when it is first called: a cold
start that serves the form (handlers/applicants.py) never pays for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from chalicelib.links import LinkError

bp = Blueprint(__name__)

BAD_LINK = N_("This review link cannot be used")
BAD_OVERVIEW_LINK = N_("This overview link cannot be used")
BAD_QUERY = N_("The overview cannot show that")
UNKNOWN_VALUE = N_(
    "“%(parameter)s” must be one of: %(allowed)s. Change it in the address, or use the form on the page."
)


def _unusable(title: str, exc: LinkError) -> Response:
    from chalicelib.links import LinkRevoked

    return problem(bp.current_request, 403 if isinstance(exc, LinkRevoked) else 400, title, str(exc))


@bp.route("/review/{token}", methods=["GET"])
def preview_vote(token: str) -> Response:
    from chalicelib.links import LinkError

    try:
        view = deps.review_desk().open(token)
    except LinkError as exc:
        return _unusable(BAD_LINK, exc)
    return html(bp.current_request, "review.html", call=deps.call(), view=view, token=token)


@bp.route("/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote(token: str) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.review import InvalidNote, read_note
    from chalicelib.stores.votes import AlreadyVoted, ReviewOver, VoteContended

    request = bp.current_request
    desk = deps.review_desk()
    try:
        # The link first: a forged one is refused before its body is read.
        desk.check(token)
        note = read_note(read_fields(request, settings().max_body_bytes), chosen_language(request))
        application = desk.vote(token, note)
        logs.event("vote_recorded", application=application.id, votes=len(application.votes))
        view = desk.open(token)
    except BodyTooLarge as exc:
        return problem(request, 413, N_("The note is too long"), TOO_LARGE, limit=exc.limit)
    except InvalidNote as exc:
        [message] = exc.errors.values()
        return problem(request, 422, N_("The note cannot be sent as it is"), message, errors=exc.errors)
    except LinkError as exc:
        return _unusable(BAD_LINK, exc)
    except BadBody as exc:
        return problem(request, 400, N_("The request could not be read"), str(exc))
    except (AlreadyVoted, ReviewOver, VoteContended):
        # The page says why the vote did not count, or, after a conflict, offers the button again.
        return html(request, "review.html", 409, call=deps.call(), view=desk.open(token), token=token)
    return html(request, "voted.html", call=deps.call(), view=view, application=application)


@bp.route("/overview/{token}", methods=["GET"])
def show_overview(token: str) -> Response:
    """The call's applications as a page (filtered and sorted by ?status=, ?kind=, ?sort=), or all of them
    exported with ?format=csv or ?format=json."""
    from chalicelib.links import LinkError
    from chalicelib.overview import InvalidQuery, OverviewQuery

    request = bp.current_request
    params: Mapping[str, str] = request.query_params or {}
    try:
        overview = deps.overview_desk().open(token, OverviewQuery.from_params(params))
    except LinkError as exc:
        return _unusable(BAD_OVERVIEW_LINK, exc)
    except InvalidQuery as exc:
        return problem(request, 400, BAD_QUERY, UNKNOWN_VALUE, parameter=exc.parameter, allowed=", ".join(exc.allowed))
    export = params.get("format", "")
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
