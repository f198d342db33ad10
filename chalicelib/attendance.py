"""Accepted speakers' answers from their attendance links: a GET asks, only a POST answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.callbacks import Callbacks
from chalicelib.clock import utc_now
from chalicelib.i18n import N_
from chalicelib.links import AttendanceClaim, LinkInvalid, Links
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
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._answers = answers
        self._callbacks = callbacks
        self._links = links
        self._clock = clock

    def open(self, token: str) -> AttendanceView:
        claim = self._links.read_attendance(token)
        try:
            application = self._store.get(claim.application_id)
        except ApplicationNotFound as exc:
            raise LinkInvalid(N_("This link points to an application that does not exist.")) from exc
        return AttendanceView(application, claim, self._answers.answer(application.id))

    def answer(self, token: str) -> Answer:
        """Record the speaker's answer once and hand it to the workflow.

        Raises AlreadyAnswered, ConfirmationClosed, AnswerChanging (a race the next try settles) or a LinkError.
        """
        view = self.open(token)
        if view.answer is not None:
            raise AlreadyAnswered(view.answer)
        if not view.can_answer:
            raise ConfirmationClosed(view.application.status)
        answer = Answer(answer=view.claim.answer, at=self._clock().isoformat(timespec="seconds"))
        self._answers.claim_answer(view.application.id, answer)
        if self._callbacks.answer(view.application.id, WaitKind.CONFIRMATION, {"answer": answer.answer}):
            return answer
        # Not waiting yet (the worker reads the answer when it stores its wait) or not any more.
        if self._store.get(view.application.id).status is not Status.ACCEPTED:
            self._answers.release_answer(view.application.id)
            raise ConfirmationClosed(view.application.status)
        return answer
