"""Accepted speakers' attendance links: GET asks "will you be there?", only POST answers.

Each route imports the modules that load pydantic when it is first called, so a cold start that
serves the form never pays for them.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.i18n import N_
from chalicelib.web import FORM_OR_JSON, html, problem

bp = Blueprint(__name__)

BAD_LINK = N_("This link cannot be used")


@bp.route("/attendance/{token}", methods=["GET"])
def ask_attendance(token: str) -> Response:
    from chalicelib.links import LinkError

    try:
        view = deps.attendance_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    return html(bp.current_request, "attendance.html", call=deps.call(), view=view, token=token)


@bp.route("/attendance/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def answer_attendance(token: str) -> Response:
    from chalicelib.attendance import ConfirmationClosed
    from chalicelib.links import LinkError
    from chalicelib.storage import AlreadyAnswered, AnswerChanging

    desk = deps.attendance_desk()
    try:
        answer = desk.answer(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    except (AlreadyAnswered, AnswerChanging, ConfirmationClosed):
        return html(bp.current_request, "attendance.html", 409, call=deps.call(), view=desk.open(token), token=token)
    return html(bp.current_request, "answered.html", call=deps.call(), view=desk.open(token), answer=answer)
