"""The callbacks the workflow waits on: kept, answered once, and never cleared by a stale answer; and the
speaker's answer, taken once."""

from __future__ import annotations

import pytest

from chalicelib.callbacks import Callbacks
from chalicelib.faults import Fault
from chalicelib.models import Answer, Wait
from chalicelib.stores.callbacks import AlreadyAnswered, AnswerChanging, CallbackStore
from chalicelib.vocabulary import AttendanceAnswer, WaitKind
from tests.fast.conftest import NOW, TABLE_NAME, RecordingWorkflow, faulty_client

AT = NOW.isoformat()


def wait(kind: WaitKind, task_token: str, application_id: str = "ada") -> Wait:
    return Wait(application_id=application_id, kind=kind, task_token=task_token, since=AT)


# The store -----------------------------------------------------------------------------------


def test_each_wait_replaces_the_one_before(callback_store: CallbackStore) -> None:
    callback_store.save_wait(wait(WaitKind.VOTE, "review-request"))
    callback_store.save_wait(wait(WaitKind.CONFIRMATION, "acceptance"))
    assert callback_store.wait("ada") == wait(WaitKind.CONFIRMATION, "acceptance")
    assert callback_store.wait("grace") is None


def test_an_old_wait_cleared_by_a_stale_answer_leaves_the_newer_wait(callback_store: CallbackStore) -> None:
    answered = wait(WaitKind.VOTE, "review-request")
    callback_store.save_wait(answered)
    # The vote's answer woke the workflow, which kept its next wait before the answer cleared its own.
    callback_store.save_wait(wait(WaitKind.VOTE, "await-vote"))

    callback_store.clear_wait(answered)
    assert callback_store.wait("ada") == wait(WaitKind.VOTE, "await-vote")
    callback_store.clear_wait(wait(WaitKind.VOTE, "await-vote"))
    assert callback_store.wait("ada") is None


def test_the_speakers_answer_is_taken_once(callback_store: CallbackStore) -> None:
    callback_store.claim_answer("ada", Answer(answer=AttendanceAnswer.YES, at=AT))

    # A second click, on the other link of the same email.
    with pytest.raises(AlreadyAnswered) as already:
        callback_store.claim_answer("ada", Answer(answer=AttendanceAnswer.NO, at=AT))
    assert already.value.answer.answer == "yes"
    assert callback_store.answer("ada") == Answer(answer=AttendanceAnswer.YES, at=AT)


def test_an_answer_released_before_it_could_be_read_is_told_apart(table: str) -> None:
    # The claim finds an answer in place, which the other request releases before it is read.
    racing = faulty_client("dynamodb", Fault("dynamodb.PutItem", "ConditionalCheckFailedException"))
    store = CallbackStore(racing, TABLE_NAME)
    with pytest.raises(AnswerChanging):
        store.claim_answer("ada", Answer(answer=AttendanceAnswer.YES, at=AT))
    store.claim_answer("ada", Answer(answer=AttendanceAnswer.YES, at=AT))  # the next try settles it
    assert store.answer("ada") == Answer(answer=AttendanceAnswer.YES, at=AT)


def test_a_released_answer_can_be_given_again(callback_store: CallbackStore) -> None:
    callback_store.claim_answer("ada", Answer(answer=AttendanceAnswer.YES, at=AT))
    callback_store.release_answer("ada")
    assert callback_store.answer("ada") is None
    callback_store.claim_answer("ada", Answer(answer=AttendanceAnswer.NO, at=AT))
    assert callback_store.answer("ada") == Answer(answer=AttendanceAnswer.NO, at=AT)


# The service ----------------------------------------------------------------------------------


def test_an_answer_wakes_the_workflow_once_and_forgets_the_wait(
    callbacks: Callbacks, callback_store: CallbackStore, workflow: RecordingWorkflow
) -> None:
    callback_store.save_wait(wait(WaitKind.CONFIRMATION, "acceptance"))

    assert callbacks.answer("ada", WaitKind.CONFIRMATION, {"answer": "yes"}) is True
    assert workflow.answers_to("acceptance") == [{"answer": "yes"}]
    assert callback_store.wait("ada") is None
    assert callbacks.answer("ada", WaitKind.CONFIRMATION, {"answer": "yes"}) is False  # a second click
    assert workflow.answers_to("acceptance") == [{"answer": "yes"}]


def test_an_answer_of_another_kind_leaves_the_wait_alone(
    callbacks: Callbacks, callback_store: CallbackStore, workflow: RecordingWorkflow
) -> None:
    # An old verification link, clicked while the workflow waits for votes.
    callback_store.save_wait(wait(WaitKind.VOTE, "review-request"))
    assert callbacks.answer("ada", WaitKind.VERIFICATION, {"verified": True}) is False
    assert workflow.answered == []
    assert callback_store.wait("ada") == wait(WaitKind.VOTE, "review-request")


def test_an_answer_nobody_waits_for_any_more_is_not_given(
    callbacks: Callbacks, callback_store: CallbackStore, workflow: RecordingWorkflow
) -> None:
    callback_store.save_wait(wait(WaitKind.CONFIRMATION, "acceptance"))
    workflow.end_wait("acceptance")  # the confirmation window closed
    assert callbacks.answer("ada", WaitKind.CONFIRMATION, {"answer": "yes"}) is False
    assert workflow.answered == []
    assert callbacks.answer("grace", WaitKind.CONFIRMATION, {"answer": "yes"}) is False  # and nothing kept at all


def test_a_failure_ends_whatever_the_workflow_waits_on(
    callbacks: Callbacks, callback_store: CallbackStore, workflow: RecordingWorkflow
) -> None:
    callbacks.fail("ada", "Withdrawn", "The applicant withdrew.")  # between two waits: nothing to fail
    assert workflow.failed == []

    callback_store.save_wait(wait(WaitKind.PROMOTION, "join-waitlist"))
    callbacks.fail("ada", "Withdrawn", "The applicant withdrew.")
    assert workflow.errors_to("join-waitlist") == ["Withdrawn"]
