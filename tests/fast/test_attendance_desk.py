"""Accepted speakers' answers from their attendance links: taken once, handed to the waiting workflow, and
refused once the speaker no longer holds a slot."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.attendance import AttendanceDesk, ConfirmationClosed
from chalicelib.call import Call, Calls
from chalicelib.callbacks import Callbacks
from chalicelib.links import Links
from chalicelib.models import Record
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import AlreadyAnswered, CallbackStore
from chalicelib.vocabulary import AttendanceAnswer, Event, Status, WaitKind
from chalicelib.workflow import WaitEnded, execution_input
from tests.fast import asl
from tests.fast.conftest import NOW, KeepWait, RecordingWorkflow, Submit
from tests.support import DEFAULT_CALL, token_of


def attendance_token(links: Links, application_id: str, answer: AttendanceAnswer) -> str:
    """The token of an "I'll be there" or "I can't make it" link."""
    return token_of(links.attendance_url(DEFAULT_CALL, application_id, answer))


@pytest.mark.parametrize(("answer", "next_state"), [(AttendanceAnswer.YES, "Confirm"), (AttendanceAnswer.NO, "Cancel")])
def test_the_speakers_answer_wakes_the_workflow_which_confirms_or_cancels(
    answer: AttendanceAnswer,
    next_state: str,
    attendance_desk: AttendanceDesk,
    workflow: RecordingWorkflow,
    links: Links,
    call: Call,
    submitted: Submit,
    keep_wait: KeepWait,
) -> None:
    ada = submitted(status=Status.ACCEPTED)
    keep_wait(ada.id, WaitKind.CONFIRMATION, "acceptance")
    token = attendance_token(links, ada.id, answer)
    assert attendance_desk.open(token).can_answer is True

    assert attendance_desk.answer(token).answer == answer
    [output] = workflow.answers_to("acceptance")
    assert asl.choose("Attendance", execution_input(ada.id, call) | {"attendance": output}) == next_state
    assert attendance_desk.open(token).can_answer is False


def test_a_second_answer_is_told_the_first_and_changes_nothing(
    attendance_desk: AttendanceDesk,
    callback_store: CallbackStore,
    workflow: RecordingWorkflow,
    links: Links,
    submitted: Submit,
    keep_wait: KeepWait,
) -> None:
    ada = submitted(status=Status.ACCEPTED)
    keep_wait(ada.id, WaitKind.CONFIRMATION, "acceptance")
    attendance_desk.answer(attendance_token(links, ada.id, AttendanceAnswer.YES))

    with pytest.raises(AlreadyAnswered) as already:
        attendance_desk.answer(attendance_token(links, ada.id, AttendanceAnswer.NO))
    assert already.value.answer.answer == "yes"
    kept = callback_store.answer(ada.id)
    assert kept is not None and kept.answer == "yes"
    assert [a.output for a in workflow.answered] == [{"answer": "yes"}]


def test_an_answer_before_the_workflow_waits_is_kept_for_it(
    attendance_desk: AttendanceDesk,
    callback_store: CallbackStore,
    workflow: RecordingWorkflow,
    links: Links,
    submitted: Submit,
) -> None:
    # The acceptance email went out; its worker has not yet kept the callback.
    ada = submitted(status=Status.ACCEPTED)
    assert attendance_desk.answer(attendance_token(links, ada.id, AttendanceAnswer.YES)).answer == "yes"
    assert workflow.answered == []
    answer = callback_store.answer(ada.id)
    assert answer is not None and answer.answer == "yes"  # the worker reads it when it keeps the wait (test_worker.py)


@pytest.mark.parametrize("status", [Status.RELEASED, Status.WITHDRAWN, Status.CONFIRMED, Status.IN_REVIEW])
def test_an_answer_without_a_slot_to_confirm_is_refused_and_not_kept(
    status: Status, attendance_desk: AttendanceDesk, callback_store: CallbackStore, links: Links, submitted: Submit
) -> None:
    ada = submitted(status=status)
    with pytest.raises(ConfirmationClosed):
        attendance_desk.answer(attendance_token(links, ada.id, AttendanceAnswer.YES))
    assert callback_store.answer(ada.id) is None


class WindowClosesOnTheClick(RecordingWorkflow):
    """The confirmation window closes as the speaker clicks: the workflow records the release, and the
    answer finds nobody waiting."""

    def __init__(self, applications: ApplicationStore, application_id: str) -> None:
        super().__init__()
        self._applications = applications
        self._application_id = application_id

    def task_succeeded(self, task_token: str, output: dict[str, Any]) -> None:
        released = Record(status=Status.RELEASED, event=Event.CONFIRMATION_MISSED)
        self._applications.record_step(self._application_id, released, 0, NOW.isoformat())
        raise WaitEnded(task_token)


def test_an_answer_racing_the_end_of_the_confirmation_window_is_refused_and_given_back(
    applications: ApplicationStore,
    callback_store: CallbackStore,
    links: Links,
    calls: Calls,
    submitted: Submit,
    keep_wait: KeepWait,
) -> None:
    ada = submitted(status=Status.ACCEPTED)
    keep_wait(ada.id, WaitKind.CONFIRMATION, "acceptance")
    closing = Callbacks(callback_store, WindowClosesOnTheClick(applications, ada.id))
    desk = AttendanceDesk(applications, callback_store, closing, links, calls.of)

    with pytest.raises(ConfirmationClosed):
        desk.answer(attendance_token(links, ada.id, AttendanceAnswer.YES))
    assert callback_store.answer(ada.id) is None
    assert applications.get(ada.id).status == "released"
