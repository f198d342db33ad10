"""Accepted speakers' attendance links: GET asks "will you be there?", only POST answers.

Each route imports the modules that load pydantic when it is first called, so a cold start that
serves the form never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.i18n import N_
from chalicelib.web import FORM_OR_JSON, chosen_language, html, problem

if TYPE_CHECKING:
    from chalicelib.attendance import AttendanceView

bp = Blueprint(__name__)

BAD_LINK = N_("This link cannot be used")


def _speaker_page(template: str, view: AttendanceView, status: int = 200, **context: object) -> Response:
    """In the language the speaker applied in, unless they chose another with the switch."""
    request = bp.current_request
    language = chosen_language(request, preferred=view.application.language)
    return html(request, template, status, language, call=deps.call(), view=view, **context)


@bp.route("/attendance/{token}", methods=["GET"])
def ask_attendance(token: str) -> Response:
    from chalicelib.links import LinkError

    try:
        view = deps.attendance_desk().open(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    return _speaker_page("attendance.html", view, token=token)


@bp.route("/attendance/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def answer_attendance(token: str) -> Response:
    from chalicelib.attendance import ConfirmationClosed
    from chalicelib.links import LinkError
    from chalicelib.stores.callbacks import AlreadyAnswered, AnswerChanging

    desk = deps.attendance_desk()
    try:
        answer = desk.answer(token)
    except LinkError as exc:
        return problem(bp.current_request, 400, BAD_LINK, str(exc))
    except (AlreadyAnswered, AnswerChanging, ConfirmationClosed):
        return _speaker_page("attendance.html", desk.open(token), 409, token=token)
    return _speaker_page("answered.html", desk.open(token), answer=answer)
