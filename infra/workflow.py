"""The review workflow, one application from submission to the session, written as Amazon States Language.

    python -m infra.workflow          # writes infra/review.asl.json and docs/workflow.md (make workflow)

This file is the workflow's source; review.asl.json is what it writes, committed because packaging,
the local run and the tests read it, and `make test` fails when the two differ. The states are
grouped by phase: verification, review, slot, confirmation, session, release, waitlist and endings.

Two kinds of step write to the application:
- a task state sends the queue's worker a message that names its task and what to record
  (`record`: a status and a history event); the worker writes them, once, before it does the
  task's work (an email, a callback to keep), and reports back;
- a `record` state writes them itself, through the direct DynamoDB integration, where no email
  goes with them. Slots are counted by direct conditional writes, so that two applications can
  never take the last slot twice.

Only JSONPath, Parameters, ResultPath and intrinsics are used: moto's interpreter (5.2.5), which
runs this definition locally and in the tests, has no JSONata, no variables and no nested executions.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from chalicelib.vocabulary import AttendanceAnswer, Event, Status, Task, WorkflowError
from infra import DEFINITION as DEFINITION
from infra import INFRA

State = dict[str, Any]
DIAGRAM = INFRA.parent / "docs" / "workflow.md"

# Filled in by CloudFormation's DefinitionSubstitutions (infra/resources.json), and by the local run.
TABLE = "${TableName}"
QUEUE = "${TaskQueueUrl}"

# The two retry shapes: DynamoDB's passing errors, and an email the worker could not send yet.
DYNAMODB_RETRY = [
    {
        "ErrorEquals": [
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.ThrottlingException",
            "DynamoDB.InternalServerErrorException",
            "DynamoDB.TransactionConflictException",
        ],
        "IntervalSeconds": 1,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
]
# SES throttled the worker past the queue's last delivery (EmailThrottled), or the worker never
# answered (States.Timeout, only for tasks that do not wait on a person): send the task again.
EMAIL_RETRY = [
    {
        "ErrorEquals": [WorkflowError.TIMEOUT, WorkflowError.EMAIL_THROTTLED],
        "IntervalSeconds": 5,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
]
WAIT_RETRY = [
    {"ErrorEquals": [WorkflowError.EMAIL_THROTTLED], "IntervalSeconds": 5, "MaxAttempts": 3, "BackoffRate": 2}
]
# How long the worker may take over an email before the task is sent again (workflow.execution_input).
EMAIL_SECONDS = "$.timeouts.email_seconds"


# The shapes ----------------------------------------------------------------------------------


def catch(error: str, next_state: str, result_path: str | None = None) -> dict[str, Any]:
    return {"ErrorEquals": [error], "ResultPath": result_path, "Next": next_state}


def failed(next_state: str = "RecordFailure") -> dict[str, Any]:
    """Any other error: recorded in $.failure, which the release path reads to end as a failure."""
    return catch("States.ALL", next_state, "$.failure")


def task(
    name: Task,
    comment: str,
    next_state: str,
    *,
    record: tuple[Status | None, Event] | None = None,
    waits: bool = False,
    timeout: str | None = EMAIL_SECONDS,
    result_path: str | None = None,
    catches: list[dict[str, Any]] | None = None,
    message: dict[str, str] | None = None,
) -> State:
    """A task state: a message with the task token on the queue, answered by the worker.

    A task that `waits` is answered later, by a person or by another application's workflow; its
    `timeout` (a path to seconds, or None) goes to its Catch of States.Timeout. Any other task is
    answered by the worker once its email is sent, and is sent again if the worker never answers.
    """
    body: dict[str, Any] = {"task": name.value, "application_id.$": "$.application_id", "task_token.$": "$$.Task.Token"}
    if record is not None:
        status, event = record
        body["record"] = {"event": event.value} | ({"status": status.value} if status else {})
    body |= message or {}
    state: State = {
        "Type": "Task",
        "Comment": comment,
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": QUEUE, "MessageBody": body},
        "ResultPath": result_path,
        "Next": next_state,
    }
    if timeout:
        state["TimeoutSecondsPath"] = timeout
    state["Retry"] = WAIT_RETRY if waits else EMAIL_RETRY
    if catches:
        state["Catch"] = catches
    return state


def record(
    status: Status | None, event: Event, comment: str, next_state: str, catches: list[dict[str, Any]] | None = None
) -> State:
    """A status and a history event written on the application by the workflow itself."""
    update = "SET history = list_append(history, :event)"
    values: dict[str, Any] = {
        ":event": {"L": [{"M": {"event": {"S": event.value}, "at": {"S.$": "$$.State.EnteredTime"}}}]}
    }
    parameters: dict[str, Any] = {"TableName": TABLE, "Key.$": "$.key"}
    if status is not None:
        update = "SET #status = :status, history = list_append(history, :event)"
        values[":status"] = {"S": status.value}
        parameters["ExpressionAttributeNames"] = {"#status": "status"}
    parameters |= {"UpdateExpression": update, "ExpressionAttributeValues": values}
    return dynamodb(comment, parameters, next_state, catches)


def slots(
    comment: str,
    update: str,
    values: dict[str, Any],
    next_state: str,
    condition: str | None = None,
    catches: list[dict[str, Any]] | None = None,
) -> State:
    """A write to the call's SLOTS item: the counter `taken` and the set `offers`."""
    parameters = {"TableName": TABLE, "Key.$": "$.slots_key", "UpdateExpression": update}
    if condition:
        parameters["ConditionExpression"] = condition
    return dynamodb(comment, parameters | {"ExpressionAttributeValues": values}, next_state, catches)


def dynamodb(
    comment: str, parameters: dict[str, Any], next_state: str, catches: list[dict[str, Any]] | None = None
) -> State:
    state: State = {
        "Type": "Task",
        "Comment": comment,
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Parameters": parameters,
        "ResultPath": None,
        "Retry": DYNAMODB_RETRY,
        "Next": next_state,
    }
    if catches:
        state["Catch"] = catches
    return state


def choice(comment: str, rules: list[dict[str, Any]], default: str) -> State:
    return {"Type": "Choice", "Comment": comment, "Choices": rules, "Default": default}


def count(counter: str, next_state: str) -> State:
    """One more reminder sent: `$.<counter>.sent` + 1."""
    return {
        "Type": "Pass",
        "Parameters": {"sent.$": f"States.MathAdd($.{counter}.sent, 1)"},
        "ResultPath": f"$.{counter}",
        "Next": next_state,
    }


def fail(error: str, cause: str) -> State:
    return {"Type": "Fail", "Error": error, "Cause": cause}


def failure(error: str, cause: str, next_state: str, comment: str | None = None) -> State:
    """An error of the workflow's own, written in $.failure as a caught one is (failed()), then `next_state`."""
    state: State = {"Type": "Pass"} | ({"Comment": comment} if comment else {})
    return state | {"Result": {"Error": error, "Cause": cause}, "ResultPath": "$.failure", "Next": next_state}


SUCCEED: State = {"Type": "Succeed"}
OFFER: dict[str, Any] = {"SS.$": "States.Array($.application_id)"}


# The phases ----------------------------------------------------------------------------------

VERIFICATION: dict[str, State] = {
    "VerificationNeeded": choice(
        "Double opt-in: the call's `verify_email` decides whether the address is confirmed first.",
        [{"Variable": "$.verify_email", "BooleanEquals": True, "Next": "AwaitVerification"}],
        "Acknowledge",
    ),
    "AwaitVerification": task(
        Task.AWAIT_VERIFICATION,
        "Emails the confirmation link and waits for the click (the API answers the callback).",
        "RecordVerified",
        record=(Status.AWAITING_VERIFICATION, Event.VERIFICATION_REQUESTED),
        waits=True,
        timeout="$.timeouts.verification_seconds",
        catches=[
            catch(WorkflowError.TIMEOUT, "RecordUnverified"),
            catch(WorkflowError.WITHDRAWN, "WithdrawUnverified"),
            failed(),
        ],
    ),
    "RecordVerified": record(None, Event.EMAIL_VERIFIED, "The address is confirmed.", "Acknowledge"),
    "WithdrawUnverified": record(
        Status.WITHDRAWN,
        Event.WITHDRAWN,
        "Withdrawn before the address was confirmed: nobody is written to (the address may be anyone's, and the "
        "organisers never saw the application).",
        "Withdrawn",
    ),
    "RecordUnverified": record(
        Status.UNVERIFIED, Event.VERIFICATION_EXPIRED, "Never confirmed: not reviewed, and nobody told.", "Unverified"
    ),
    "Unverified": SUCCEED,
}

# Votes and the review clock run side by side; whichever ends first ends both, by the error it raises.
VOTES: dict[str, State] = {
    "RequestReview": task(
        Task.REQUEST_REVIEW,
        "Emails every organiser the story with Approve and Reject links, then waits for a vote: "
        "the API answers with the tally once it has counted one.",
        "Tally",
        record=(None, Event.REVIEW_REQUESTED),
        waits=True,
        timeout=None,  # the review clock bounds the votes' waits
        result_path="$.tally",
    ),
    "Tally": choice(
        "A quorum of approvals or of rejections decides; otherwise wait for the next vote.",
        [
            {
                "Variable": "$.tally.approvals",
                "NumericGreaterThanEqualsPath": "$.review.approvals_needed",
                "Next": "QuorumApproves",
            },
            {
                "Variable": "$.tally.rejections",
                "NumericGreaterThanEqualsPath": "$.review.rejections_needed",
                "Next": "QuorumRejects",
            },
        ],
        "AwaitVote",
    ),
    "AwaitVote": task(
        Task.AWAIT_VOTE,
        "Waits for the next vote; the worker answers at once if one came while no callback was kept.",
        "Tally",
        waits=True,
        timeout=None,
        result_path="$.tally",
        message={"votes_seen.$": "States.MathAdd($.tally.approvals, $.tally.rejections)"},
    ),
    "QuorumApproves": fail("Review.Approved", "Enough organisers approved."),
    "QuorumRejects": fail("Review.Rejected", "Enough organisers rejected."),
}

REVIEW_CLOCK: dict[str, State] = {
    "WaitForVotes": {
        "Type": "Wait",
        "Comment": "Reminders are spread evenly over the review window (workflow.execution_input).",
        "SecondsPath": "$.review.reminder_seconds",
        "Next": "OrganiserReminderDue",
    },
    "OrganiserReminderDue": choice(
        "Reminders left: remind the organisers who have not voted; none left: the review expires.",
        [
            {
                "Variable": "$.organiser_reminders.sent",
                "NumericLessThanPath": "$.review.reminders",
                "Next": "RemindOrganisers",
            }
        ],
        "ReviewTimeIsUp",
    ),
    "RemindOrganisers": task(
        Task.REMIND_ORGANISERS,
        "Emails the organisers who have not voted yet.",
        "CountOrganiserReminder",
        record=(None, Event.ORGANISERS_REMINDED),
        message={"round.$": "$.organiser_reminders.sent"},
    ),
    "CountOrganiserReminder": count("organiser_reminders", "WaitForVotes"),
    "ReviewTimeIsUp": fail("Review.Expired", "The review window ended without a quorum."),
}

REVIEW: dict[str, State] = {
    "Acknowledge": task(
        Task.ACKNOWLEDGE,
        "Emails the applicant their reference and status link; the review opens.",
        "Review",
        record=(Status.IN_REVIEW, Event.ACKNOWLEDGEMENT_SENT),
        catches=[failed()],
    ),
    "Review": {
        "Type": "Parallel",
        "Comment": "Votes and the review clock side by side; each branch ends both with the error it raises.",
        "Branches": [
            {"StartAt": "RequestReview", "States": VOTES},
            {"StartAt": "WaitForVotes", "States": REVIEW_CLOCK},
        ],
        "ResultPath": None,
        "Next": "ReviewEndedUnexpectedly",
        "Catch": [
            catch("Review.Approved", "RecordApproved"),
            catch("Review.Rejected", "Decline"),
            catch("Review.Expired", "Expire"),
            catch(WorkflowError.WITHDRAWN, "Withdraw"),
            failed(),
        ],
    },
    "ReviewEndedUnexpectedly": failure(
        "Review.NoDecision",
        "The review ended without a decision.",
        "RecordFailure",
        "Each branch ends with an error; a review that ended without one is a failure.",
    ),
}

SLOT: dict[str, State] = {
    "RecordApproved": record(Status.APPROVED, Event.APPROVED, "The quorum approved.", "TakeSlot"),
    "TakeSlot": slots(
        "An atomic counter: the condition keeps two acceptances from taking the last slot twice. A slot "
        "freed while applications wait is never free here: it stays taken while offered to them (OfferSlot).",
        "ADD taken :one",
        {":one": {"N": "1"}, ":slots": {"N.$": "$.slots"}},
        "Accept",
        condition="attribute_not_exists(taken) OR taken < :slots",
        catches=[catch("DynamoDB.ConditionalCheckFailedException", "JoinWaitlist"), failed()],
    ),
}

# Every state that holds a slot fails through the release path, so the slot goes to the waitlist first.
HOLDING = [catch(WorkflowError.WITHDRAWN, "WithdrawWithSlot"), failed("OfferSlot")]


def awaiting_attendance(
    name: Task, comment: str, record: tuple[Status | None, Event], message: dict[str, str] | None = None
) -> State:
    """An email to the speaker that then waits for their answer (Attendance) until the next reminder is due."""
    return task(
        name,
        comment,
        "Attendance",
        record=record,
        waits=True,
        timeout="$.confirmation.reminder_seconds",
        result_path="$.attendance",
        catches=[catch(WorkflowError.TIMEOUT, "SpeakerReminderDue"), *HOLDING],
        message=message,
    )


def handing_on(name: Task, comment: str, record: tuple[Status, Event]) -> State:
    """The speaker's last email about a slot they held, which then goes to the waitlist (OfferSlot)."""
    return task(name, comment, "OfferSlot", record=record, catches=[failed("OfferSlot")])


CONFIRMATION: dict[str, State] = {
    "Accept": awaiting_attendance(
        Task.ANNOUNCE_ACCEPTANCE,
        "Emails the speaker 'Action required' with 'I'll be there' and 'I can't make it' links, then "
        "waits for the answer until the next reminder is due.",
        (Status.ACCEPTED, Event.SLOT_TAKEN),
    ),
    "SpeakerReminderDue": choice(
        "No answer yet: remind the speaker while reminders are left, then release the slot.",
        [
            {
                "Variable": "$.speaker_reminders.sent",
                "NumericLessThanPath": "$.confirmation.reminders",
                "Next": "CountSpeakerReminder",
            }
        ],
        "Release",
    ),
    "CountSpeakerReminder": count("speaker_reminders", "RemindSpeaker"),
    "RemindSpeaker": awaiting_attendance(
        Task.REMIND_SPEAKER,
        "Reminds the speaker, unless they answered meanwhile, and waits for the answer again.",
        (None, Event.SPEAKER_REMINDED),
        message={"round.$": "$.speaker_reminders.sent"},
    ),
    "Attendance": choice(
        "The speaker's answer, from their attendance link.",
        [
            {"Variable": "$.attendance.answer", "StringEquals": AttendanceAnswer.YES, "Next": "Confirm"},
            {"Variable": "$.attendance.answer", "StringEquals": AttendanceAnswer.NO, "Next": "Cancel"},
        ],
        "UnknownAnswer",
    ),
    "UnknownAnswer": failure(
        WorkflowError.UNKNOWN_ANSWER, "The attendance answer was neither yes nor no.", "OfferSlot"
    ),
    "Confirm": task(
        Task.ANNOUNCE_CONFIRMATION,
        "Emails the speaker the confirmation with its invitation.ics, and tells every organiser.",
        "UntilTheSession",
        record=(Status.CONFIRMED, Event.CONFIRMED),
        catches=[failed()],
    ),
}

# A confirmed speaker keeps the slot until the session, and may still cancel until it starts.
SESSION_REMINDER: dict[str, State] = {
    "WaitForReminderTime": {
        "Type": "Wait",
        "Comment": "Until the call's session_reminder_hours before the session (workflow.execution_input).",
        "TimestampPath": "$.session.reminder_at",
        "Next": "RemindBeforeSession",
    },
    "RemindBeforeSession": task(
        Task.REMIND_BEFORE_SESSION,
        "Emails the speaker when and where, the format, whom to ask, and the link to cancel.",
        "WaitForSessionStart",
        record=(None, Event.SESSION_REMINDED),
        catches=[catch("States.ALL", "WaitForSessionStart")],  # a lost reminder cancels nothing
    ),
    "WaitForSessionStart": {
        "Type": "Wait",
        "Comment": "Until the session starts: then nobody can cancel any more.",
        "TimestampPath": "$.session.starts_at",
        "Next": "SessionStarts",
    },
    "SessionStarts": fail("Session.Started", "The session has started."),
}
SESSION_CANCELLATION: dict[str, State] = {
    "AwaitSession": task(
        Task.AWAIT_SESSION,
        "Keeps a callback that only a cancellation answers: the status page's 'I can no longer come' and "
        "'Delete my data' fail it with Withdrawn.",
        "SpeakerCancels",
        waits=True,
        timeout=None,  # the other branch ends it when the session starts
    ),
    "SpeakerCancels": fail("Session.Cancelled", "The speaker can no longer come."),
}

SESSION: dict[str, State] = {
    "UntilTheSession": {
        "Type": "Parallel",
        "Comment": "The day-before reminder beside the speaker's way out; the session's start ends both.",
        "Branches": [
            {"StartAt": "WaitForReminderTime", "States": SESSION_REMINDER},
            {"StartAt": "AwaitSession", "States": SESSION_CANCELLATION},
        ],
        "ResultPath": None,
        "Next": "SessionHeld",
        "Catch": [
            catch("Session.Started", "SessionHeld"),
            catch("Session.Cancelled", "CancelAfterConfirming"),
            catch(WorkflowError.WITHDRAWN, "CancelAfterConfirming"),
            failed(),
        ],
    },
    "SessionHeld": SUCCEED,
    "CancelAfterConfirming": handing_on(
        Task.ANNOUNCE_SPEAKER_CANCELLATION,
        "A confirmed speaker cancelled: they get the calendar's cancellation, the organisers the reason; "
        "then the slot is handed on.",
        (Status.CANCELLED, Event.CANCELLED_AFTER_CONFIRMING),
    ),
}

RELEASE: dict[str, State] = {
    "Cancel": handing_on(
        Task.ANNOUNCE_CANCELLATION,
        "The speaker cannot come: tell them, then hand the slot on.",
        (Status.CANCELLED, Event.CANCELLED_BY_SPEAKER),
    ),
    "Release": handing_on(
        Task.ANNOUNCE_RELEASE,
        "No answer in the confirmation window: tell the speaker, then hand the slot on.",
        (Status.RELEASED, Event.CONFIRMATION_MISSED),
    ),
    "WithdrawWithSlot": handing_on(
        Task.ANNOUNCE_WITHDRAWAL,
        "The speaker withdrew while holding a slot: tell them, then hand the slot on.",
        (Status.WITHDRAWN, Event.WITHDRAWN),
    ),
    "OfferSlot": slots(
        "The slot stays taken while it is offered to the head of the waitlist, so an application approved "
        "meanwhile finds none free; the offer names this application, so that one claim at most takes it up.",
        "ADD offers :offer",
        {":offer": OFFER},
        "PromoteNext",
        catches=[failed()],
    ),
    "PromoteNext": task(
        Task.PROMOTE_NEXT,
        "The worker wakes the longest-waiting application with the offer, and says whether it found one.",
        "Handed",
        result_path="$.handover",
        catches=[failed("ReleaseSlot")],
        message={"offer.$": "$.application_id"},
    ),
    "Handed": choice(
        "Handed on, or nobody waited.",
        [{"Variable": "$.handover.handed", "BooleanEquals": True, "Next": "RecordSlotHandedOn"}],
        "ReleaseSlot",
    ),
    "RecordSlotHandedOn": record(
        None,
        Event.SLOT_HANDED_ON,
        "The waitlist's head has the offer.",
        "AfterRelease",
        catches=[failed("AfterRelease")],
    ),
    "ReleaseSlot": slots(
        "Nobody waited: the offer is withdrawn and the slot freed, unless the offer was claimed meanwhile.",
        "DELETE offers :offer ADD taken :minus_one",
        {":offer": OFFER, ":application": {"S.$": "$.application_id"}, ":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
        "WakeWaitlist",
        condition="contains(offers, :application) AND taken > :zero",
        catches=[catch("DynamoDB.ConditionalCheckFailedException", "AfterRelease"), failed()],
    ),
    "WakeWaitlist": task(
        Task.PROMOTE_NEXT,
        "An application that joined the waitlist while PromoteNext looked is woken to try for the free "
        "slot (or sees it free itself when it joins).",
        "AfterRelease",
        record=(None, Event.SLOT_FREED),
        catches=[failed()],
    ),
    "AfterRelease": choice(
        "The release path ends here for every slot holder; one that came to it from a failure records it now.",
        [{"Variable": "$.failure", "IsPresent": True, "Next": "RecordFailure"}],
        "SlotHandedOn",
    ),
    "SlotHandedOn": SUCCEED,
}

WAITLIST: dict[str, State] = {
    "JoinWaitlist": task(
        Task.JOIN_WAITLIST,
        "No slot free: tells the applicant they are on the waitlist, queues them (an application that comes "
        "back keeps its place) and waits for a promotion until the waitlist closes.",
        "PromotionKind",
        record=(Status.WAITLISTED, Event.WAITLISTED),
        waits=True,
        timeout="$.timeouts.waitlist_seconds",
        result_path="$.promotion",
        catches=[catch(WorkflowError.TIMEOUT, "WaitlistClosed"), catch(WorkflowError.WITHDRAWN, "Withdraw"), failed()],
    ),
    "PromotionKind": choice(
        "Woken with an offer, it claims the releasing application's slot; otherwise it tries for a free one.",
        [{"Variable": "$.promotion.offer", "IsPresent": True, "Next": "ClaimOffer"}],
        "TakeSlot",
    ),
    "ClaimOffer": slots(
        "Takes up the offered slot, which is already counted as taken; a second application woken with the "
        "same offer finds it gone and tries for a free slot instead.",
        "DELETE offers :offer",
        {":offer": {"SS.$": "States.Array($.promotion.offer)"}, ":releaser": {"S.$": "$.promotion.offer"}},
        "RecordPromoted",
        condition="contains(offers, :releaser)",
        catches=[catch("DynamoDB.ConditionalCheckFailedException", "TakeSlot"), failed()],
    ),
    "RecordPromoted": record(
        None,
        Event.PROMOTED_FROM_WAITLIST,
        "The freed slot is this application's now.",
        "Accept",
        catches=[failed("OfferSlot")],
    ),
}


def ending(state: str, name: Task, comment: str, record: tuple[Status, Event], end: str) -> dict[str, State]:
    """The applicant's last email, then the execution ends SUCCEEDED in the state named `end`."""
    return {state: task(name, comment, end, record=record, catches=[failed()]), end: SUCCEED}


ENDINGS: dict[str, State] = {
    **ending(
        "Decline",
        Task.ANNOUNCE_DECLINE,
        "Enough organisers rejected: the applicant is told, with the organisers' notes.",
        (Status.DECLINED, Event.REJECTED),
        "Declined",
    ),
    **ending(
        "Expire",
        Task.ANNOUNCE_EXPIRY,
        "The review window closed without a quorum: the applicant is told.",
        (Status.EXPIRED, Event.REVIEW_EXPIRED),
        "Expired",
    ),
    **ending(
        "Withdraw",
        Task.ANNOUNCE_WITHDRAWAL,
        "The applicant withdrew before holding a slot: they are told.",
        (Status.WITHDRAWN, Event.WITHDRAWN),
        "Withdrawn",
    ),
    **ending(
        "WaitlistClosed",
        Task.ANNOUNCE_WAITLIST_CLOSED,
        "No slot freed up in the waitlist window: the applicant is told.",
        (Status.NOT_SELECTED, Event.WAITLIST_CLOSED),
        "NotSelected",
    ),
    "RecordFailure": record(
        Status.FAILED, Event.WORKFLOW_FAILED, "A step failed for good; any slot was handed on first.", "ReportFailure"
    ),
    "ReportFailure": task(
        Task.REPORT_FAILURE,
        "Tells every organiser which application failed, why, and what to do; the alarm on failed "
        "executions tells the admin.",
        "RecordFailureReported",
        catches=[catch("States.ALL", "Failed")],
        message={"failure.$": "$.failure.Error"},
    ),
    "RecordFailureReported": record(
        None,
        Event.FAILURE_REPORTED,
        "The status page says the organisers know only once they do.",
        "Failed",
        catches=[catch("States.ALL", "Failed")],
    ),
    "Failed": fail("Workflow.Failed", "A step failed for good; the execution's history says which."),
}


def definition() -> dict[str, Any]:
    return {
        "Comment": "Review-and-accept flow for one application, built by infra/workflow.py: verify the email "
        "address if the call asks, acknowledge, organisers vote to a quorum (with reminders and expiry), take a "
        "slot or join the waitlist, the speaker confirms (with reminders) or the slot goes to the next on the "
        "waitlist; a confirmed speaker is reminded before the session and may cancel until it starts.",
        "StartAt": "VerificationNeeded",
        "States": VERIFICATION | REVIEW | SLOT | CONFIRMATION | SESSION | RELEASE | WAITLIST | ENDINGS,
    }


def as_json(workflow: dict[str, Any]) -> str:
    return json.dumps(workflow, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    from infra import diagram

    workflow = definition()
    DEFINITION.write_text(as_json(workflow), encoding="utf-8")
    DIAGRAM.write_text(diagram.markdown(workflow), encoding="utf-8")
    print(f"✓ wrote {DEFINITION.relative_to(INFRA.parent)} and {DIAGRAM.relative_to(INFRA.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
