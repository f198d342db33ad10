"""Accepted speakers' answers from their attendance links: a GET asks, only a POST answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.call import Call, CallOf
from chalicelib.callbacks import Callbacks
from chalicelib.clock import utc_now
from chalicelib.i18n import N_
from chalicelib.links import AttendanceClaim, LinkInvalid, Links, belonging
from chalicelib.models import Answer, Application
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import AlreadyAnswered, CallbackStore
from chalicelib.stores.table import ApplicationNotFound
from chalicelib.vocabulary import Status, WaitKind


class ConfirmationClosed(Exception):
    """The speaker no longer holds a slot to confirm (the window passed, or they withdrew)."""


@dataclass(frozen=True)
class AttendanceView:
    application: Application
    claim: AttendanceClaim
    answer: Answer | None
    call: Call

    @property
    def can_answer(self) -> bool:
        return self.answer is None and self.application.status is Status.ACCEPTED


class AttendanceDesk:
    def __init__(
        self,
        store: ApplicationStore,
        answers: CallbackStore,
        callbacks: Callbacks,
        links: Links,
        call_of: CallOf,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._answers = answers
        self._callbacks = callbacks
        self._links = links
        self._call_of = call_of
        self._clock = clock

    def open(self, token: str, route_call_id: str | None = None) -> AttendanceView:
        """Raises a LinkError: LinkOfAnotherCall at the address of another call than the link's
        (`route_call_id`; None: wherever it is opened)."""
        claim = self._links.read_attendance(token)
        try:
            application = self._store.get(claim.application_id)
        except ApplicationNotFound as exc:
            raise LinkInvalid(N_("This link points to an application that does not exist.")) from exc
        call = self._call_of(belonging(claim.call_id, application, route_call_id))
        return AttendanceView(application, claim, self._answers.answer(application.id), call)

    def answer(self, token: str, route_call_id: str | None = None) -> Answer:
        """Record the speaker's answer once and hand it to the workflow.

        Raises AlreadyAnswered, ConfirmationClosed, AnswerChanging (a race the next try settles) or a LinkError.
        """
        view = self.open(token, route_call_id)
        if view.answer is not None:
            raise AlreadyAnswered(view.answer)
        if not view.can_answer:
            raise ConfirmationClosed(view.application.status)
        answer = Answer(answer=view.claim.answer, at=self._clock().isoformat(timespec="seconds"))
        self._answers.claim_answer(view.application.id, answer, view.application.expires_at)
        if self._callbacks.answer(view.application.id, WaitKind.CONFIRMATION, {"answer": answer.answer}):
            return answer
        # Not waiting yet (the worker reads the answer when it stores its wait) or not any more.
        if self._store.get(view.application.id).status is not Status.ACCEPTED:
            self._answers.release_answer(view.application.id)
            raise ConfirmationClosed(view.application.status)
        return answer
