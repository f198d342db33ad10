"""Organisers' review links: GET shows the application and a button, only POST decides."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.links import LinkError
from chalicelib.storage import AlreadyDecided
from chalicelib.web import BadBody, html, problem, read_fields
from chalicelib.workflow import ReviewClosed

bp = Blueprint(__name__)

CLOSED = "The review of this application has ended (it expired or was withdrawn), so it can no longer be decided."


@bp.route("/review/{token}", methods=["GET"])
def preview_decision(token: str) -> Response:
    try:
        view = deps.review_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, "This review link cannot be used", str(exc))
    return html("review.html", call=deps.call(), view=view, token=token)


@bp.route("/review/{token}", methods=["POST"], content_types=["application/x-www-form-urlencoded", "application/json"])
def take_decision(token: str) -> Response:
    request = bp.current_request
    desk = deps.review_desk()
    try:
        note = str(read_fields(request).get("note", ""))
        decision = desk.decide(token, note)
        view = desk.open(token)
    except (LinkError, BadBody) as exc:
        return problem(request, 400, "This review link cannot be used", str(exc))
    except AlreadyDecided as exc:
        return html("review.html", 409, call=deps.call(), view=desk.open(token), token=token, already=exc.decision)
    except ReviewClosed:
        return problem(request, 409, "Review closed", CLOSED)
    return html("decided.html", call=deps.call(), view=view, decision=decision)
