"""Accepted speakers' attendance links: GET asks "will you be there?", only POST answers. Each lives under its
call's address; the one-call versions' addresses lead there (GET) or answer in place (POST).

Each route imports the modules that load pydantic when it is first called, so a cold start that
serves the form never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.handlers.calls import link_refused
from chalicelib.i18n import N_
from chalicelib.web import FORM_OR_JSON, chosen_language, html, moved

if TYPE_CHECKING:
    from chalicelib.attendance import AttendanceView
    from chalicelib.links import LinkError

bp = Blueprint(__name__)

BAD_LINK = N_("This link cannot be used")


def _speaker_page(template: str, view: AttendanceView, status: int = 200, **context: object) -> Response:
    """In the language the speaker applied in, unless they chose another with the switch."""
    request = bp.current_request
    language = chosen_language(request, preferred=view.application.language)
    return html(request, template, status, language, call=view.call, view=view, **context)


def _refused(exc: LinkError) -> Response:
    return link_refused(bp.current_request, exc, 400, BAD_LINK)


@bp.route("/{call_id}/attendance/{token}", methods=["GET"])
def ask_attendance(call_id: str, token: str) -> Response:
    return _ask(token, call_id)


@bp.route("/attendance/{token}", methods=["GET"])
def ask_attendance_of_one_call(token: str) -> Response:
    """The address of the one-call versions, in emails already sent: leads to the call's."""
    return _ask(token, None)


def _ask(token: str, call_id: str | None) -> Response:
    from chalicelib.links import LinkError

    try:
        view = deps.attendance_desk().open(token, call_id)
    except LinkError as exc:
        return _refused(exc)
    if call_id is None:
        return moved(bp.current_request, f"{view.application.call_id}/attendance/{token}")
    return _speaker_page("attendance.html", view, token=token)


@bp.route("/{call_id}/attendance/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def answer_attendance(call_id: str, token: str) -> Response:
    return _answer(token, call_id)


@bp.route("/attendance/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def answer_attendance_of_one_call(token: str) -> Response:
    return _answer(token, None)


def _answer(token: str, call_id: str | None) -> Response:
    from chalicelib.attendance import ConfirmationClosed
    from chalicelib.links import LinkError
    from chalicelib.stores.callbacks import AlreadyAnswered, AnswerChanging

    desk = deps.attendance_desk()
    try:
        answer = desk.answer(token, call_id)
    except LinkError as exc:
        return _refused(exc)
    except (AlreadyAnswered, AnswerChanging, ConfirmationClosed):
        return _speaker_page("attendance.html", desk.open(token, call_id), 409, token=token)
    return _speaker_page("answered.html", desk.open(token, call_id), answer=answer)
