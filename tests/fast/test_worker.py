"""The queue's worker, given the very messages the definition's task states send: it records the step once,
keeps the callback where the workflow waits for someone, answers from what happened meanwhile, sends only
the emails that still have a reader, hands a freed slot to the waitlist's head, and lets go of a task
nobody waits for."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from chalicelib.call import Call, load_call
from chalicelib.correspondence import Correspondence
from chalicelib.faults import Fault
from chalicelib.links import AttendanceClaim, Links
from chalicelib.mailer import EmailThrottled, Mailer
from chalicelib.models import Answer, Application, TaskMessage, Vote
from chalicelib.settings import DEFAULT_CALL_FILE
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import CallbackStore
from chalicelib.stores.emails import EmailMarkers
from chalicelib.stores.slots import SlotStore
from chalicelib.tasks import MAX_DELIVERIES, TaskWorker
from chalicelib.vocabulary import AttendanceAnswer, Outcome, Status, WaitKind
from chalicelib.workflow import execution_input
from tests.fast import asl
from tests.fast.conftest import (
    NOW,
    TABLE_NAME,
    Clock,
    Outbox,
    RecordingWorkflow,
    Submit,
    client,
    faulty_client,
    message,
)
from tests.support import GRACE, LINUS, MODERATOR, PROGRAMME, STORY, TRACK, token_of

QUEUE_TASKS = sorted(
    name
    for name, state in asl.states().items()
    if state.get("Resource") == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
)


def waits_for_someone(state: str) -> bool:
    """A task state the definition does not send again when it times out: it waits for a person, or for
    another application's workflow, to answer."""
    retried = {error for rule in asl.state(state)["Retry"] for error in rule["ErrorEquals"]}
    return "States.Timeout" not in retried


def subjects_to(outbox: Outbox, address: str) -> list[str]:
    return [m.subject for m in outbox() if address in m.recipients]


# Dispatch ------------------------------------------------------------------------------------

STATUS_BEFORE = {
    "AwaitVerification": Status.SUBMITTED,
    "Acknowledge": Status.SUBMITTED,
    "Accept": Status.APPROVED,
    "JoinWaitlist": Status.APPROVED,
    "RemindSpeaker": Status.ACCEPTED,
    "Confirm": Status.ACCEPTED,
    "Cancel": Status.ACCEPTED,
    "Release": Status.ACCEPTED,
    "WithdrawWithSlot": Status.ACCEPTED,
    "PromoteNext": Status.CANCELLED,
    "WakeWaitlist": Status.CANCELLED,
    "WaitlistClosed": Status.WAITLISTED,
    "RemindBeforeSession": Status.CONFIRMED,
    "AwaitSession": Status.CONFIRMED,
    "CancelAfterConfirming": Status.CONFIRMED,
    "ReportFailure": Status.FAILED,
}


def test_the_definition_sends_the_worker_tasks() -> None:
    assert {"Acknowledge", "RequestReview", "Accept", "JoinWaitlist", "PromoteNext"} <= set(QUEUE_TASKS)


@pytest.mark.parametrize("state", QUEUE_TASKS)
def test_every_task_records_its_step_then_reports_or_keeps_its_callback(
    state: str,
    worker: TaskWorker,
    applications: ApplicationStore,
    callback_store: CallbackStore,
    workflow: RecordingWorkflow,
    call: Call,
    submitted: Submit,
    every_slot_taken: None,
) -> None:
    withdrawing = state.startswith("Withdraw") or state == "CancelAfterConfirming"
    ada = submitted(status=STATUS_BEFORE.get(state, Status.IN_REVIEW), withdraw_requested=withdrawing)
    task = message(state, ada, call)

    worker.run(task)

    stored = applications.get(ada.id)
    if task.record is not None:
        assert stored.history[-1].event == task.record.event
        assert stored.status == (task.record.status or ada.status)
    else:
        assert stored.history == ada.history
    wait = callback_store.wait(ada.id)
    if waits_for_someone(state):
        assert wait is not None and wait.task_token == task.task_token, "the callback is kept for someone to answer"
        assert workflow.answered == []
    else:
        assert wait is None
        [answer] = workflow.answers_to(task.task_token)
        assert answer["done"] == task.task.value
    assert workflow.failed == []


def test_a_redelivered_task_records_its_step_once(
    worker: TaskWorker, applications: ApplicationStore, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    acknowledge = message("Acknowledge", ada, call)
    worker.run(acknowledge)
    worker.run(acknowledge, delivery=2)  # the first delivery's report was lost

    stored = applications.get(ada.id)
    assert stored.status == "in_review"
    assert [e.event for e in stored.history] == ["submitted", "acknowledgement_sent"]


def test_each_round_of_reminders_is_a_step_of_its_own(
    worker: TaskWorker, applications: ApplicationStore, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    for sent in (0, 1):
        worker.run(message("RemindOrganisers", ada, call, organiser_reminders={"sent": sent}))
    assert [e.event for e in applications.get(ada.id).history] == [
        "submitted",
        "organisers_reminded",
        "organisers_reminded",
    ]


def test_a_task_for_an_application_that_is_gone_fails_it_by_name(
    worker: TaskWorker, workflow: RecordingWorkflow, call: Call
) -> None:
    acknowledge = message("Acknowledge", "gone", call)
    worker.run(acknowledge)
    assert workflow.errors_to(acknowledge.task_token) == ["ApplicationMissing"]


# The emails ------------------------------------------------------------------------------------


def test_the_acknowledgement_goes_to_the_applicant_in_their_language(
    worker: TaskWorker, outbox: Outbox, call: Call, submitted: Submit
) -> None:
    ada, grace = submitted(), submitted(GRACE, language="fr")
    worker.run(message("Acknowledge", ada, call))
    worker.run(message("Acknowledge", grace, call))

    assert subjects_to(outbox, STORY["email"]) == [f"We received your application: “{STORY['title']}”"]
    assert subjects_to(outbox, GRACE["email"]) == [
        f"Nous avons reçu votre candidature\u00a0: «\u00a0{GRACE['title']}\u00a0»"
    ]
    [email] = [m for m in outbox() if STORY["email"] in m.recipients]
    assert ada.id in email.text and "http://testserver/ow2con24-ospo-heroes/status/" in email.text


def test_every_organiser_is_asked_to_review_with_their_own_links(
    worker: TaskWorker, outbox: Outbox, links: Links, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    worker.run(message("RequestReview", ada, call))

    for index, organiser in enumerate(call.organisers):
        [email] = [m for m in outbox() if m.recipients == [organiser]]
        assert email.subject == f"New application to review: “{STORY['title']}”"
        approve, reject = dict(email.links)["Approve"], dict(email.links)["Reject"]
        for url, outcome in ((approve, Outcome.APPROVE), (reject, Outcome.REJECT)):
            claim = links.read_review(token_of(url))
            assert (claim.application_id, claim.organiser_index, claim.outcome) == (ada.id, index, outcome)
    assert subjects_to(outbox, STORY["email"]) == []


def test_the_accepted_speaker_is_asked_to_confirm_with_attendance_links(
    worker: TaskWorker, outbox: Outbox, links: Links, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.APPROVED)
    worker.run(message("Accept", ada, call))

    [email] = outbox()
    assert email.recipients == [STORY["email"]]
    assert email.subject == f"Action required: confirm your talk at “{call.title}”"
    answers = [links.read_attendance(token_of(url)) for _, url in email.links if "/attendance/" in url]
    assert answers == [
        AttendanceClaim(ada.id, AttendanceAnswer.YES, call.id),
        AttendanceClaim(ada.id, AttendanceAnswer.NO, call.id),
    ]


def test_a_confirmed_speaker_gets_the_invitation_and_every_organiser_is_told(
    worker: TaskWorker, outbox: Outbox, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.ACCEPTED)
    worker.run(message("Confirm", ada, call))

    [confirmation] = [m for m in outbox() if STORY["email"] in m.recipients]
    assert confirmation.subject.startswith(f"Confirmed: you speak at “{call.title}”")
    [(filename, content_type, ics)] = confirmation.attachments
    assert (filename, content_type) == ("invitation.ics", "text/calendar")
    assert "DTSTART;TZID=Europe/Paris:20240611T164000" in ics
    for organiser in call.organisers:
        assert subjects_to(outbox, organiser) == [f"Speaker confirmed: {STORY['name']}, “{STORY['title']}”"]


def test_a_decline_carries_the_organisers_notes(
    worker: TaskWorker, outbox: Outbox, call: Call, submitted: Submit
) -> None:
    notes = ["Great story, but we have three like it.", "Please bring it to the OSPO meetup!"]
    votes = [
        Vote(organiser=o, outcome=Outcome.REJECT, at=NOW.isoformat(), note=n)
        for o, n in zip(call.organisers[:2], notes, strict=True)
    ]
    ada = submitted(status=Status.IN_REVIEW, votes=votes, rejections=2)
    worker.run(message("Decline", ada, call))

    [decline] = outbox()
    assert decline.subject == f"About your application “{STORY['title']}”"
    for note in notes:
        assert note in decline.text and note in decline.html


# Decisions taken for the workflow: emails that still have a reader ----------------------------


def test_organisers_are_not_asked_to_vote_once_the_review_has_ended(
    worker: TaskWorker,
    outbox: Outbox,
    workflow: RecordingWorkflow,
    applications: ApplicationStore,
    call: Call,
    submitted: Submit,
) -> None:
    # The quorum was reached while the reminder waited on the queue.
    ada = submitted(status=Status.IN_REVIEW, approvals=2)
    reminder = message("RemindOrganisers", ada, call)
    worker.run(reminder)
    assert outbox() == []
    assert workflow.answers_to(reminder.task_token) == [{"done": "remind_organisers"}]
    # A step that only says an email went is not recorded when none went.
    assert [e.event for e in applications.get(ada.id).history] == ["submitted"]


def test_reminders_go_only_to_the_organisers_who_have_not_voted(
    worker: TaskWorker, outbox: Outbox, call: Call, submitted: Submit
) -> None:
    vote = Vote(organiser=MODERATOR, outcome=Outcome.APPROVE, at=NOW.isoformat())
    ada = submitted(status=Status.IN_REVIEW, votes=[vote], approvals=1)
    worker.run(message("RemindOrganisers", ada, call))

    assert sorted(r for m in outbox() for r in m.recipients) == [TRACK, PROGRAMME]
    assert all(m.subject == f"Reminder: “{STORY['title']}” is waiting for your vote" for m in outbox())


def test_a_speaker_who_answered_is_not_reminded(
    worker: TaskWorker,
    outbox: Outbox,
    callback_store: CallbackStore,
    workflow: RecordingWorkflow,
    call: Call,
    submitted: Submit,
) -> None:
    ada = submitted(status=Status.ACCEPTED)
    callback_store.claim_answer(ada.id, Answer(answer=AttendanceAnswer.YES, at=NOW.isoformat()))
    reminder = message("RemindSpeaker", ada, call)
    worker.run(reminder)

    assert outbox() == []
    [answer] = workflow.answers_to(reminder.task_token)  # and the answer reaches the workflow
    assert asl.choose("Attendance", execution_input(ada.id, call) | {"attendance": answer}) == "Confirm"


@pytest.mark.parametrize(
    ("state", "told"),
    [
        ("Decline", None),
        ("Expire", None),
        ("Withdraw", "Your application “{title}” is withdrawn"),
        # The notices of what the withdrawal did to a slot.
        ("Release", "Your slot at “{session}” has been released"),
        ("CancelAfterConfirming", "Cancelled: your story at “{session}”"),
    ],
)
def test_an_applicant_who_withdrew_hears_only_about_the_withdrawal(
    state: str, told: str | None, worker: TaskWorker, outbox: Outbox, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW, withdraw_requested=True)
    worker.run(message(state, ada, call))
    expected = [told.format(title=STORY["title"], session=call.title)] if told else []
    assert subjects_to(outbox, STORY["email"]) == expected


@pytest.mark.parametrize(
    ("state", "organisers_read"), [("Acknowledge", []), ("Withdraw", [f"Withdrawn: “{STORY['title']}”"])]
)
def test_an_address_that_bounced_is_written_to_no_more(
    state: str,
    organisers_read: list[str],
    worker: TaskWorker,
    outbox: Outbox,
    applications: ApplicationStore,
    call: Call,
    submitted: Submit,
) -> None:
    # SES reported the address as undeliverable: not even the notice of a withdrawal goes there.
    ada = submitted(withdraw_requested=state == "Withdraw", email_bounced="bounce")
    task = message(state, ada, call)
    worker.run(task)
    assert subjects_to(outbox, STORY["email"]) == []
    assert subjects_to(outbox, MODERATOR) == organisers_read
    # A step that changes the status is recorded all the same.
    assert task.record is not None and applications.get(ada.id).status == task.record.status


def test_a_reminder_of_the_session_that_comes_once_it_started_is_not_sent(
    worker: TaskWorker, outbox: Outbox, workflow: RecordingWorkflow, call: Call, submitted: Submit, clock: Clock
) -> None:
    ada, grace = submitted(status=Status.CONFIRMED), submitted(GRACE, status=Status.CONFIRMED)
    worker.run(message("RemindBeforeSession", ada, call))
    clock.now = call.starts_at  # Grace's execution caught up late
    late = message("RemindBeforeSession", grace, call)
    worker.run(late)

    [reminder] = subjects_to(outbox, STORY["email"])
    assert reminder.startswith("Reminder: ") and reminder.endswith(f"your story at “{call.title}”")
    assert subjects_to(outbox, GRACE["email"]) == []
    assert workflow.answers_to(late.task_token) == [{"done": "remind_before_session"}]


def test_a_slot_taken_from_the_waitlist_is_news_to_the_organisers(
    worker: TaskWorker, outbox: Outbox, call: Call, submitted: Submit, clock: Clock, every_slot_taken: None
) -> None:
    # A first acceptance is no change to the programme (the accepted speaker's test above); this is.
    grace = submitted(GRACE, status=Status.APPROVED)
    waitlisted(worker, call, grace, clock)
    worker.run(message("Accept", grace, call))
    assert subjects_to(outbox, MODERATOR) == [f"Promoted from the waitlist: “{GRACE['title']}”"]


@pytest.mark.parametrize("call", [replace(load_call(DEFAULT_CALL_FILE), tell_organisers=("withdrawal",))])
def test_organisers_hear_only_of_the_changes_their_call_tells(
    call: Call, worker: TaskWorker, outbox: Outbox, submitted: Submit
) -> None:
    ada, grace = submitted(status=Status.ACCEPTED, withdraw_requested=True), submitted(GRACE, status=Status.ACCEPTED)
    worker.run(message("Withdraw", ada, call))
    worker.run(message("Cancel", grace, call))
    assert subjects_to(outbox, MODERATOR) == [f"Withdrawn: “{STORY['title']}”"]
    assert subjects_to(outbox, GRACE["email"]) == [f"Your slot at “{call.title}” is released"]


def test_an_applicant_who_deleted_their_data_is_written_to_no_more(
    worker: TaskWorker, outbox: Outbox, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.ACCEPTED, withdraw_requested=True, erased=True, name="", email="", title="(deleted)")
    withdrawal = message("WithdrawWithSlot", ada, call)
    worker.run(withdrawal)
    # The organisers still hear that a slot holder left; the applicant, nothing.
    assert sorted(recipient for m in outbox() for recipient in m.recipients) == sorted(call.organisers)
    assert {m.subject for m in outbox()} == {"Withdrawn: “(deleted)”"}
    assert workflow.answers_to(withdrawal.task_token) == [{"done": "announce_withdrawal"}]


# Decisions taken for the workflow: what happened before the callback was kept -----------------


def test_a_withdrawal_before_the_wait_was_kept_ends_it_at_once(
    worker: TaskWorker, outbox: Outbox, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    # The applicant withdrew while the slot was being taken: nobody is told of a slot.
    ada = submitted(status=Status.APPROVED, withdraw_requested=True)
    accept = message("Accept", ada, call)
    worker.run(accept)
    assert workflow.errors_to(accept.task_token) == ["Withdrawn"]
    assert outbox() == []


def test_votes_counted_before_the_wait_was_kept_are_answered_at_once(
    worker: TaskWorker, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    # The workflow saw no vote; one came while no callback was kept.
    ada = submitted(status=Status.IN_REVIEW, approvals=1)
    await_vote = message("AwaitVote", ada, call, tally={"approvals": 0, "rejections": 0})
    worker.run(await_vote)
    assert workflow.answers_to(await_vote.task_token) == [{"approvals": 1, "rejections": 0}]


def test_votes_the_workflow_has_seen_are_not_answered_again(
    worker: TaskWorker, callback_store: CallbackStore, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW, approvals=1)
    await_vote = message("AwaitVote", ada, call, tally={"approvals": 1, "rejections": 0})
    assert await_vote.votes_seen == 1
    worker.run(await_vote)
    assert workflow.answered == []
    wait = callback_store.wait(ada.id)
    assert wait is not None and (wait.kind, wait.task_token) == (WaitKind.VOTE, await_vote.task_token)


def test_an_answer_given_before_the_wait_was_kept_is_answered_at_once(
    worker: TaskWorker, callback_store: CallbackStore, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.APPROVED)
    callback_store.claim_answer(ada.id, Answer(answer=AttendanceAnswer.NO, at=NOW.isoformat()))
    accept = message("Accept", ada, call)
    worker.run(accept)
    [answer] = workflow.answers_to(accept.task_token)
    assert asl.choose("Attendance", execution_input(ada.id, call) | {"attendance": answer}) == "Cancel"


def test_a_slot_freed_before_joining_the_waitlist_is_tried_for_at_once(
    worker: TaskWorker, slots: SlotStore, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    # TakeSlot found none free; the one slot was freed before the worker queued the application.
    grace = submitted(GRACE, status=Status.APPROVED)
    join = message("JoinWaitlist", grace, call)
    worker.run(join)

    [promotion] = workflow.answers_to(join.task_token)
    assert asl.choose("PromotionKind", execution_input(grace.id, call) | {"promotion": promotion}) == "TakeSlot"
    assert slots.waitlist(call.id) == []


def test_with_every_slot_taken_the_application_waits_on_the_waitlist(
    worker: TaskWorker,
    slots: SlotStore,
    workflow: RecordingWorkflow,
    outbox: Outbox,
    call: Call,
    submitted: Submit,
    every_slot_taken: None,
) -> None:
    grace = submitted(GRACE, status=Status.APPROVED)
    join = message("JoinWaitlist", grace, call)
    worker.run(join)

    assert workflow.answered == []
    assert [(e.application_id, e.task_token) for e in slots.waitlist(call.id)] == [(grace.id, join.task_token)]
    assert subjects_to(outbox, GRACE["email"]) == [f"You are on the waitlist for “{call.title}”"]


def test_a_wait_that_ended_before_the_facts_were_read_is_let_go(
    worker: TaskWorker, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW, approvals=1)
    await_vote = message("AwaitVote", ada, call)
    workflow.end_wait(await_vote.task_token)  # the review clock ended the review
    worker.run(await_vote)
    assert workflow.answered == [] and workflow.failed == []


# Decisions taken for the workflow: the waitlist's head -----------------------------------------


def waitlisted(worker: TaskWorker, call: Call, application: Application, clock: Clock) -> TaskMessage:
    """The application joins the waitlist; the next one joins a minute later."""
    join = message("JoinWaitlist", application, call)
    worker.run(join)
    clock.advance(minutes=1)
    return join


def test_a_released_slot_is_offered_to_the_longest_waiting_application(
    worker: TaskWorker,
    slots: SlotStore,
    workflow: RecordingWorkflow,
    call: Call,
    submitted: Submit,
    clock: Clock,
    every_slot_taken: None,
) -> None:
    ada, grace, linus = submitted(status=Status.CANCELLED), submitted(GRACE, status=Status.APPROVED), submitted(LINUS)
    grace_waits = waitlisted(worker, call, grace, clock)
    linus_waits = waitlisted(worker, call, linus.model_copy(update={"status": Status.APPROVED}), clock)

    promote = message("PromoteNext", ada, call)
    worker.run(promote)

    [handover] = workflow.answers_to(promote.task_token)
    assert asl.choose("Handed", execution_input(ada.id, call) | {"handover": handover}) == "RecordSlotHandedOn"
    [promotion] = workflow.answers_to(grace_waits.task_token)
    assert promotion == {"promoted": True, "offer": ada.id}
    assert asl.choose("PromotionKind", execution_input(grace.id, call) | {"promotion": promotion}) == "ClaimOffer"
    assert workflow.answers_to(linus_waits.task_token) == []
    assert [e.application_id for e in slots.waitlist(call.id)] == [linus.id]


def test_a_head_of_the_waitlist_that_no_longer_waits_is_passed_over(
    worker: TaskWorker,
    slots: SlotStore,
    workflow: RecordingWorkflow,
    call: Call,
    submitted: Submit,
    clock: Clock,
    every_slot_taken: None,
) -> None:
    ada, grace, linus = submitted(status=Status.CANCELLED), submitted(GRACE), submitted(LINUS)
    grace_waits = waitlisted(worker, call, grace.model_copy(update={"status": Status.APPROVED}), clock)
    linus_waits = waitlisted(worker, call, linus.model_copy(update={"status": Status.APPROVED}), clock)
    workflow.end_wait(grace_waits.task_token)  # Grace's waitlist time ran out

    worker.run(message("PromoteNext", ada, call))

    assert workflow.answers_to(linus_waits.task_token) == [{"promoted": True, "offer": ada.id}]
    assert slots.waitlist(call.id) == []


def test_a_release_with_nobody_waiting_frees_the_slot(
    worker: TaskWorker, workflow: RecordingWorkflow, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.CANCELLED)
    promote = message("PromoteNext", ada, call)
    worker.run(promote)
    [handover] = workflow.answers_to(promote.task_token)
    assert handover == {"done": "promote_next", "handed": False}
    assert asl.choose("Handed", execution_input(ada.id, call) | {"handover": handover}) == "ReleaseSlot"


def test_a_freed_slot_wakes_the_waitlist_without_an_offer(
    worker: TaskWorker, workflow: RecordingWorkflow, call: Call, submitted: Submit, clock: Clock, every_slot_taken: None
) -> None:
    ada, grace = submitted(status=Status.CANCELLED), submitted(GRACE, status=Status.APPROVED)
    grace_waits = waitlisted(worker, call, grace, clock)

    worker.run(message("WakeWaitlist", ada, call))
    [promotion] = workflow.answers_to(grace_waits.task_token)
    assert asl.choose("PromotionKind", execution_input(grace.id, call) | {"promotion": promotion}) == "TakeSlot"


# Letting go, and failing by name -------------------------------------------------------------


def test_a_task_nobody_waits_for_any_more_is_let_go(
    worker: TaskWorker, workflow: RecordingWorkflow, call: Call, submitted: Submit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ada = submitted(status=Status.IN_REVIEW)
    reminder = message("RemindOrganisers", ada, call)
    workflow.end_wait(reminder.task_token)  # the quorum cancelled the review clock's branch

    worker.run(reminder)  # no exception: SQS deletes the message
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cfp_events"]
    assert {"event": "task_outlived", "task": "remind_organisers", "application": ada.id} in events


def test_an_address_ses_refuses_fails_the_task_by_name(
    worker: TaskWorker, workflow: RecordingWorkflow, outbox: Outbox, call: Call, submitted: Submit
) -> None:
    # Stored before the form checked addresses this way; Python's email package refuses it.
    ada = submitted(status=Status.APPROVED, email="ada@example.org\r\nBcc: everyone@example.org")
    accept = message("Accept", ada, call)
    worker.run(accept)
    assert workflow.errors_to(accept.task_token) == ["EmailRejected"]
    assert outbox() == []


def throttled_worker(worker: TaskWorker, workflow: RecordingWorkflow, call: Call, links: Links) -> TaskWorker:
    sesv2 = faulty_client("sesv2", Fault("sesv2.SendEmail", "TooManyRequestsException"))
    markers = EmailMarkers(client("dynamodb"), TABLE_NAME)
    letters = Correspondence(markers, Mailer(sesv2, call.sender), links, worker.call_of, lambda: NOW)
    return TaskWorker(worker.stores, letters, workflow, links, worker.call_of, lambda: NOW)


def test_ses_throttling_leaves_the_task_on_the_queue_for_another_delivery(
    worker: TaskWorker, workflow: RecordingWorkflow, links: Links, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    with pytest.raises(EmailThrottled):
        throttled_worker(worker, workflow, call, links).run(message("Acknowledge", ada, call))
    assert workflow.answered == [] and workflow.failed == []


def test_ses_throttling_at_the_queues_last_delivery_is_retried_by_the_workflow(
    worker: TaskWorker, workflow: RecordingWorkflow, links: Links, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    acknowledge = message("Acknowledge", ada, call)
    throttled_worker(worker, workflow, call, links).run(acknowledge, delivery=MAX_DELIVERIES)
    assert workflow.errors_to(acknowledge.task_token) == ["EmailThrottled"]
    retried = {error for rule in asl.state("Acknowledge")["Retry"] for error in rule["ErrorEquals"]}
    assert "EmailThrottled" in retried
