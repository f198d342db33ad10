"""Accepted speakers' attendance links: GET asks "will you be there?", only POST answers. Each lives under its
call's address; what a refused link or a second answer gets is in handlers/refusals.py.

Each route imports the modules that load pydantic when it is first called, so a cold start that
serves the form never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib import deps
from chalicelib.web import FORM_OR_JSON, chosen_language, html

if TYPE_CHECKING:
    from chalicelib.attendance import AttendanceView

bp = Blueprint(__name__)


def speaker_page(
    request: Request, template: str, view: AttendanceView, status: int = 200, **context: object
) -> Response:
    """In the language the speaker applied in, unless they chose another with the switch."""
    language = chosen_language(request, preferred=view.application.language)
    return html(request, template, status, language, call=view.call, view=view, **context)


@bp.route("/{call_id}/attendance/{token}", methods=["GET"])
def ask_attendance(call_id: str, token: str) -> Response:
    view = deps.attendance_desk().open(token, call_id)
    return speaker_page(bp.current_request, "attendance.html", view, token=token)


@bp.route("/{call_id}/attendance/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def answer_attendance(call_id: str, token: str) -> Response:
    desk = deps.attendance_desk()
    answer = desk.answer(token, call_id)
    return speaker_page(bp.current_request, "answered.html", desk.open(token, call_id), answer=answer)
