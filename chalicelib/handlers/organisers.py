"""Organisers' pages: review links (GET shows, only POST votes), each under its call's address (the one-call
versions' addresses lead there, or vote in place), and each organiser's overview of their calls, with exports.

A link that cannot be used gets a 400 page that says why; a revoked one (chalicelib/stores/revocations.py) a 403.
Each route imports the modules that load pydantic and itsdangerous when it is first called: a cold
start that serves the form (handlers/applicants.py) never pays for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps, logs
from chalicelib.handlers.calls import link_refused
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
    moved,
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


NOT_YOURS = N_("Not one of your calls")
NOT_YOURS_DETAIL = N_("Your overview shows the calls you organise: %(calls)s.")


def _unusable(title: str, exc: LinkError) -> Response:
    from chalicelib.links import LinkRevoked

    return link_refused(bp.current_request, exc, 403 if isinstance(exc, LinkRevoked) else 400, title)


@bp.route("/{call_id}/review/{token}", methods=["GET"])
def preview_vote(call_id: str, token: str) -> Response:
    return _preview(token, call_id)


@bp.route("/review/{token}", methods=["GET"])
def preview_vote_of_one_call(token: str) -> Response:
    """The address of the one-call versions, in emails already sent: leads to the call's."""
    return _preview(token, None)


def _preview(token: str, call_id: str | None) -> Response:
    from chalicelib.links import LinkError

    try:
        view = deps.review_desk().open(token, call_id)
    except LinkError as exc:
        return _unusable(BAD_LINK, exc)
    if call_id is None:
        return moved(bp.current_request, f"{view.call.id}/review/{token}")
    return html(bp.current_request, "review.html", call=view.call, view=view, token=token)


@bp.route("/{call_id}/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote(call_id: str, token: str) -> Response:
    return _vote(token, call_id)


@bp.route("/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def cast_vote_of_one_call(token: str) -> Response:
    return _vote(token, None)


def _vote(token: str, call_id: str | None) -> Response:
    from chalicelib.links import LinkError
    from chalicelib.review import InvalidNote, read_note
    from chalicelib.stores.votes import AlreadyVoted, ReviewOver, VoteContended

    request = bp.current_request
    desk = deps.review_desk()
    try:
        # The link first: a forged one is refused before its body is read.
        desk.check(token)
        note = read_note(read_fields(request, settings().max_body_bytes), chosen_language(request))
        view = desk.vote(token, note, call_id)
        logs.event("vote_recorded", application=view.application.id, votes=len(view.application.votes))
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
        view = desk.open(token, call_id)
        return html(request, "review.html", 409, call=view.call, view=view, token=token)
    return html(request, "voted.html", call=view.call, view=view, application=view.application)


@bp.route("/overview/{token}", methods=["GET"])
def show_overview(token: str) -> Response:
    """The organiser's calls (one link for all of them); one call's applications as a page (?call=, filtered
    and sorted by ?status=, ?kind=, ?sort=), or all of them exported with ?format=csv or ?format=json."""
    from chalicelib.links import LinkError
    from chalicelib.overview import InvalidQuery, NotTheirCall, OrganiserCalls, OverviewQuery

    request = bp.current_request
    params: Mapping[str, str] = request.query_params or {}
    export = params.get("format", "")
    try:
        overview = deps.overview_desk().open(token, OverviewQuery.from_params(params))
        if isinstance(overview, OrganiserCalls) and export:
            # Each call has its own export: say which.
            raise InvalidQuery("call", tuple(summary.call.id for summary in overview.calls))
    except LinkError as exc:
        return _unusable(BAD_OVERVIEW_LINK, exc)
    except InvalidQuery as exc:
        return problem(request, 400, BAD_QUERY, UNKNOWN_VALUE, parameter=exc.parameter, allowed=", ".join(exc.allowed))
    except NotTheirCall as exc:
        return problem(request, 403, NOT_YOURS, NOT_YOURS_DETAIL, calls=", ".join(exc.theirs))
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
