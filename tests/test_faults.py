"""Faults injected around the AWS clients: nothing is lost and nothing is sent twice."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chalicelib import aws, deps
from chalicelib.tasks import MAX_DELIVERIES
from infra import DEFINITION, RESOURCES
from local.outbox import dead_letters
from tests.support import MODERATOR, PROGRAMME, STORY, TRACK, CfP

ASL = json.loads(DEFINITION.read_text())


def subjects_to(cfp: CfP, address: str) -> list[str]:
    return [m.subject for m in cfp.emails_to(address)]


def test_ses_throttling_is_retried_through_the_queue_and_the_email_goes_once(cfp: CfP) -> None:
    cfp.inject({"operation": "sesv2.SendEmail", "error": "TooManyRequestsException", "times": 3})
    cfp.submit()
    cfp.wait_for_email(MODERATOR, "New application to review")

    [fault] = aws.injected()
    assert fault.raised == 3
    assert subjects_to(cfp, STORY["email"]) == ["We received your application: “Our OSPO ate the legal team”"]
    assert len(subjects_to(cfp, MODERATOR)) == 1


def test_ses_throttling_past_the_queues_last_delivery_is_retried_by_the_workflow(cfp: CfP) -> None:
    # Every delivery SQS makes of the acknowledgement is throttled, and one more after that.
    cfp.inject({"operation": "sesv2.SendEmail", "error": "TooManyRequestsException", "times": MAX_DELIVERIES + 1})
    cfp.retry_at_once()
    cfp.submit()
    cfp.wait_for_email(MODERATOR, "New application to review", timeout=60)

    # The last delivery told the workflow, whose Retry sent the task again: nothing dead-lettered.
    assert dead_letters(cfp.resources.dead_letter_queue_url) == []
    assert subjects_to(cfp, STORY["email"]) == ["We received your application: “Our OSPO ate the legal team”"]
    [application] = cfp.applications()
    history = aws.stepfunctions().get_execution_history(
        executionArn=deps.workflow().execution_arn(application.id), maxResults=1000
    )["events"]
    failures = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    # moto keeps the task token across a Retry's attempts, so its next attempt may read the same
    # answer again; on AWS each attempt has its own token.
    assert failures and set(failures) == {"EmailThrottled"}
    assert cfp.execution_status(application.id) == "RUNNING"


def test_the_last_delivery_is_the_queues_redrive_limit() -> None:
    template = json.loads(RESOURCES.read_text())
    redrive = template["Resources"]["TaskQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == MAX_DELIVERIES


ACKNOWLEDGEMENT = "We received your application: “Our OSPO ate the legal team”"


def acknowledgement_marker(cfp: CfP) -> str | None:
    [application] = cfp.applications()
    return deps.email_markers().state(application.id, "acknowledge#0", STORY["email"])


def test_a_worker_that_dies_after_the_claim_and_before_ses_sends_once_when_the_claim_runs_out(cfp: CfP) -> None:
    # Each invocation may run 1 s, so its claim on an email lasts 6 s (with the margin).
    cfp.task_queue.timeout_ms = 1000
    cfp.inject({"operation": "sesv2.SendEmail", "error": "WorkerDied", "times": 1})
    cfp.submit()
    cfp.wait_for_email(MODERATOR, "New application to review")

    assert aws.injected()[0].raised == 1
    # The redelivered task found the dead worker's claim, waited for its lease, then sent it once.
    assert subjects_to(cfp, STORY["email"]) == [ACKNOWLEDGEMENT]
    assert acknowledgement_marker(cfp) == "sent"
    [application] = cfp.applications()
    assert cfp.execution_status(application.id) == "RUNNING"
    assert [e.event for e in application.history] == ["submitted", "acknowledgement_sent", "review_requested"]


def test_a_worker_that_dies_after_ses_and_before_the_mark_sends_again_once_the_claim_runs_out(cfp: CfP) -> None:
    # SES took the email, then the worker died: nothing says it went out, so the claim runs out and
    # the redelivered task sends it again. SES cannot tell the two apart (RELIABILITY.md).
    cfp.task_queue.timeout_ms = 1000
    cfp.inject({"operation": "sesv2.SendEmail", "error": "WorkerDied", "when": "after", "times": 1})
    cfp.submit()
    cfp.wait_for_email(MODERATOR, "New application to review")

    assert aws.injected()[0].raised == 1
    assert subjects_to(cfp, STORY["email"]) == [ACKNOWLEDGEMENT, ACKNOWLEDGEMENT]
    assert acknowledgement_marker(cfp) == "sent"
    assert len(subjects_to(cfp, MODERATOR)) == 1


def test_a_worker_that_dies_after_sending_and_before_reporting_does_not_send_twice(cfp: CfP) -> None:
    # The email goes out and is marked sent, then the worker dies before it tells the workflow.
    cfp.inject({"operation": "sfn.SendTaskSuccess", "error": "WorkerDied", "times": 1})
    cfp.submit()
    cfp.wait_for_email(MODERATOR, "New application to review")

    assert aws.injected()[0].raised == 1
    assert subjects_to(cfp, STORY["email"]) == [ACKNOWLEDGEMENT]
    assert acknowledgement_marker(cfp) == "sent"
    assert len(subjects_to(cfp, MODERATOR)) == 1
    [application] = cfp.applications()
    assert [e.event for e in application.history] == ["submitted", "acknowledgement_sent", "review_requested"]


def test_a_worker_that_cannot_report_to_the_workflow_tries_again_without_sending_twice(cfp: CfP) -> None:
    # The email goes out, then reporting to the workflow fails: SQS delivers the task again.
    cfp.inject({"operation": "sfn.SendTaskSuccess", "error": "ServiceUnavailable", "times": 2})
    cfp.submit()
    cfp.wait_for_email(MODERATOR, "New application to review")

    assert aws.injected()[0].raised == 2
    assert len(subjects_to(cfp, STORY["email"])) == 1
    assert len(subjects_to(cfp, MODERATOR)) == 1
    [application] = cfp.applications()
    assert [e.event for e in application.history] == ["submitted", "acknowledgement_sent", "review_requested"]


def test_a_failed_start_is_retried_from_the_stream_and_one_execution_exists(cfp: CfP) -> None:
    cfp.inject({"operation": "sfn.StartExecution", "error": "ServiceUnavailable", "times": 3})
    cfp.submit()
    cfp.wait_for_email(STORY["email"], "We received your application")

    assert aws.injected()[0].raised == 3
    # Later than any retry of the stream batch: the organisers are asked to review.
    cfp.wait_for_email(MODERATOR, "New application to review")
    [execution] = cfp.executions()
    assert execution["name"] == cfp.applications()[0].id


def test_a_poison_message_ends_in_the_dead_letter_queue_where_the_admin_sees_it(cfp: CfP) -> None:
    cfp.retry_at_once()
    aws.client("sqs").send_message(QueueUrl=cfp.resources.task_queue_url, MessageBody='{"task": "nonsense"}')

    cfp.pump.run_until(lambda: bool(dead_letters(cfp.resources.dead_letter_queue_url)))
    [poison] = dead_letters(cfp.resources.dead_letter_queue_url)
    assert poison["body"] == '{"task": "nonsense"}'
    assert int(poison["received"]) >= 5
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=cfp.resources.task_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_on_aws_alarms_watch_both_dead_letter_queues_and_failed_reviews_and_email_the_admin() -> None:
    from infra.monitoring import alarms

    template = json.loads(RESOURCES.read_text())
    # The alarms are added to the template by make package (tests/test_deploy.py checks every one of them).
    resources = template["Resources"] | {alarm.logical_id: alarm.resource() for alarm in alarms("api")}
    # Failed tasks can be redriven to the task queue; failed stream batches are notes about records
    # and must not be: each has its own queue, and its own alarm that says what to do.
    watched = {"DeadLetterAlarm": "TaskDeadLetterQueue", "ReviewStartFailureAlarm": "ReviewStartFailureQueue"}
    for alarm_name, queue in watched.items():
        alarm = resources[alarm_name]["Properties"]
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "ApproximateNumberOfMessagesVisible",
            "GreaterThanThreshold",
            0,
        )
        assert alarm["AlarmActions"] == {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}
    # A failed review (an email SES refused for good, a step that kept failing) ends the execution
    # FAILED: Step Functions counts it, and the alarm emails the admin too.
    failed = resources["FailedReviewAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"]) == ("AWS/States", "ExecutionsFailed", "Sum")
    assert failed["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "ReviewStateMachine"}}]
    assert (failed["ComparisonOperator"], failed["Threshold"], failed["TreatMissingData"]) == (
        "GreaterThanThreshold",
        0,
        "notBreaching",
    )
    assert failed["AlarmActions"] == {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}
    assert resources["ReviewStateMachine"]["Type"] == "AWS::StepFunctions::StateMachine"  # its Ref is the ARN
    stream = resources["StartReview"]["Properties"]["Events"]["StartReviewDynamodbEventSource"]["Properties"]
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["ReviewStartFailureQueue", "Arn"]}
    topic = resources["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]


def test_a_refused_organiser_address_keeps_neither_the_others_from_reviewing_nor_the_application(
    cfp: CfP, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    cfp.submit()
    cfp.wait_for_email(STORY["email"], "We received your application")
    # SES refuses the first organiser's address for good.
    cfp.inject({"operation": "sesv2.SendEmail", "error": "MessageRejected", "times": 1})
    for organiser in (PROGRAMME, TRACK):
        cfp.wait_for_email(organiser, "New application to review")

    assert subjects_to(cfp, MODERATOR) == []
    assert cfp.vote(PROGRAMME, "Approve").status_code == 200
    [application] = cfp.applications()
    assert (application.status, application.approvals) == ("in_review", 1)
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cfp_events"]
    refused = [e for e in events if e["event"] == "organiser_email_refused"]
    assert refused == [
        {
            "event": "organiser_email_refused",
            "application": application.id,
            "organiser": 0,
            "email": "review_request",
            "reason": "MessageRejected",
        }
    ]
    assert MODERATOR not in caplog.text


def test_a_vote_cancelled_by_a_passing_conflict_is_tried_again_and_counts(cfp: CfP) -> None:
    cfp.submit()
    approve = cfp.review_link(MODERATOR, "Approve")
    cancelled = {"operation": "dynamodb.TransactWriteItems", "error": "TransactionCanceledException"}
    # A write racing the tally, then DynamoDB throttling, cancel the vote's transaction.
    cfp.inject(
        cancelled | {"reasons": ["None", "TransactionConflict"], "times": 1},
        cancelled | {"reasons": ["ThrottlingError", "None"], "times": 1},
    )
    page = cfp.post(approve)
    assert page.status_code == 200 and "Vote recorded" in page.body.decode()
    assert [fault.raised for fault in aws.injected()] == [1, 1]
    [application] = cfp.applications()
    assert (application.status, application.approvals) == ("in_review", 1)


def test_a_vote_that_keeps_conflicting_is_not_counted_and_can_be_cast_again(cfp: CfP) -> None:
    cfp.submit()
    approve = cfp.review_link(MODERATOR, "Approve")
    cfp.inject(
        {
            "operation": "dynamodb.TransactWriteItems",
            "error": "TransactionCanceledException",
            "reasons": ["TransactionConflict", "None"],
            "times": 10,
        }
    )
    page = cfp.post(approve)
    assert page.status_code == 409
    assert "Approve this application?" in page.body.decode()  # the button, not "the review is over"
    assert cfp.applications()[0].approvals == 0

    cfp.inject()
    assert "Vote recorded" in cfp.post(approve).body.decode()


def test_a_reminder_that_outlived_its_review_emails_nobody_and_is_not_retried(cfp: CfP) -> None:
    # A quorum of one, and a reminder 3.6 seconds into the review.
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1, review_window_hours=0.002, review_reminders=1)
    cfp.retry_at_once()
    cfp.submit()
    with cfp.holding_back("remind_organisers") as held:
        cfp.pump.run_until(lambda: bool(held))  # the reminder is due, and its worker is slow
        cfp.vote(MODERATOR, "Approve")
        cfp.wait_for_email(STORY["email"], "Action required")
        # The quorum ended the review and cancelled the reminder's branch: on AWS its token is gone.
        cfp.inject({"operation": "sfn.SendTaskSuccess", "error": "InvalidToken", "times": 5})
    cfp.pump.run_until(cfp.queue_is_empty)

    assert not any("Reminder" in m.subject for m in cfp.outbox())
    assert aws.injected()[0].raised == 1  # told once that nobody waits, the worker let the task go
    assert dead_letters(cfp.resources.dead_letter_queue_url) == []
    assert cfp.applications()[0].status == "accepted"


def tasks(kind: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []

    def visit(states: dict[str, Any]) -> None:
        for name, state in states.items():
            if state.get("Resource", "").endswith(kind):
                found.append((name, state))
            for branch in state.get("Branches", []):
                visit(branch["States"])

    visit(ASL["States"])
    return found


def test_task_states_retry_the_errors_that_pass_with_backoff() -> None:
    queued = tasks("sqs:sendMessage.waitForTaskToken")
    assert len(queued) >= 15
    for name, state in queued:
        [retry] = state["Retry"]
        caught = {error for rule in state.get("Catch", []) for error in rule["ErrorEquals"]}
        # A task that waits for a person catches its timeout (a reminder is due); an email is sent again.
        retried = (
            {"EmailThrottled"}
            if "States.Timeout" in caught or "TimeoutSecondsPath" not in state
            else {
                "States.Timeout",
                "EmailThrottled",
            }
        )
        assert set(retry["ErrorEquals"]) == retried, name
        assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 3, name
    for name, state in tasks("dynamodb:updateItem") + tasks("dynamodb:getItem"):
        [retry] = state["Retry"]
        assert "DynamoDB.ProvisionedThroughputExceededException" in retry["ErrorEquals"], name
        assert "DynamoDB.ThrottlingException" in retry["ErrorEquals"], name
        # A single write that meets a transaction on the same item (a vote's) is cancelled, not refused.
        assert "DynamoDB.TransactionConflictException" in retry["ErrorEquals"], name
        assert retry["BackoffRate"] > 1, name
