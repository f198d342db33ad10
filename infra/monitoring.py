"""The alarms and the dashboard: every failure path of a deployed stage watched, each alarm emailed to ALARM_EMAIL.

`make package` adds them to the template (deploy/package.py); the local run has nothing to alarm on. Each
alarm says what it means and what to do: its AlarmDescription (in the email) is those two sentences, and the
README's runbook has the same line for it (a test compares them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Value = Any  # a CloudFormation value: a string or an intrinsic function

STAGE_NAME = "cfp-${Stage}"
# The functions, by their logical id in Chalice's template and the name infra/resources.json gives them.
FUNCTIONS = {
    "APIHandler": "api",
    "StartReview": "start-review",
    "RunTask": "run-task",
    "RecordEmailEvents": "record-email-events",
}
FIVE_MINUTES = 300
# SES counts the reputation of the whole account in the region, over many sends: an hour is its pace.
ONE_HOUR = 3600


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, Value], ...]

    def as_alarm(self) -> dict[str, Value]:
        return {
            "Namespace": self.namespace,
            "MetricName": self.name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
        }


@dataclass(frozen=True)
class Alarm:
    logical_id: str
    # The alarm's name is cfp-<stage>-<name>.
    name: str
    means: str
    action: str
    # Summed when there are several.
    metrics: tuple[Metric, ...]
    statistic: str = "Sum"
    threshold: float = 0
    period: int = FIVE_MINUTES
    # How many periods in a row must breach.
    periods: int = 1

    @property
    def description(self) -> str:
        return f"{self.means} {self.action}"

    def resource(self) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "AlarmName": {"Fn::Sub": f"{STAGE_NAME}-{self.name}"},
            "AlarmDescription": {"Fn::Sub": self.description.replace("<stage>", "${Stage}")},
            "EvaluationPeriods": self.periods,
            "Threshold": self.threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]},
        }
        if len(self.metrics) == 1:
            [metric] = self.metrics
            properties |= metric.as_alarm() | {"Statistic": self.statistic, "Period": self.period}
        else:
            properties["Metrics"] = [
                {
                    "Id": f"m{index}",
                    "MetricStat": {"Metric": metric.as_alarm(), "Period": self.period, "Stat": self.statistic},
                    "ReturnData": False,
                }
                for index, metric in enumerate(self.metrics)
            ] + [{"Id": "total", "Expression": "SUM(METRICS())", "Label": self.name, "ReturnData": True}]
        return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def _queue(resource: str) -> Metric:
    return Metric(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        (("QueueName", {"Fn::GetAtt": [resource, "QueueName"]}),),
    )


def _executions(metric: str) -> Metric:
    return Metric("AWS/States", metric, (("StateMachineArn", {"Ref": "ReviewStateMachine"}),))


def _function(logical_id: str, metric: str) -> Metric:
    return Metric("AWS/Lambda", metric, (("FunctionName", {"Ref": logical_id}),))


def _table(metric: str, index: str | None = None) -> Metric:
    dimensions: tuple[tuple[str, Value], ...] = (("TableName", {"Ref": "ApplicationsTable"}),)
    if index:
        dimensions += (("GlobalSecondaryIndexName", index),)
    return Metric("AWS/DynamoDB", metric, dimensions)


def _ses(metric: str) -> Metric:
    return Metric("AWS/SES", metric, ())


def _api(metric: str, api_stage: str) -> Metric:
    # The API's name (RestAPI's Name in infra/resources.json): the OpenAPI title is `cfp` for every stage.
    return Metric("AWS/ApiGateway", metric, (("ApiName", {"Fn::Sub": STAGE_NAME}), ("Stage", api_stage)))


OLDEST_TASK = Metric(
    "AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", {"Fn::GetAtt": ["TaskQueue", "QueueName"]}),)
)
TABLE_THROTTLES = (
    _table("ReadThrottleEvents"),
    _table("WriteThrottleEvents"),
    _table("ReadThrottleEvents", "by_call"),
    _table("WriteThrottleEvents", "by_call"),
)


QUEUE_ALARMS = (
    Alarm(
        "DeadLetterAlarm",
        "dead-letters",
        "A task failed five deliveries and waits in cfp-<stage>-tasks-dead-letter: its application's workflow "
        "waits on that step until the task is sent again or its wait times out.",
        "Read the message in the SQS console and the cfp-<stage>-run-task log for its application, fix the "
        "cause, then redrive the queue to cfp-<stage>-tasks.",
        (_queue("TaskDeadLetterQueue"),),
        statistic="Maximum",
    ),
    Alarm(
        "ReviewStartFailureAlarm",
        "review-starts-failed",
        "The table's stream could not start a review after ten tries: the message in "
        "cfp-<stage>-review-starts-failed names the stream records (shard and sequence numbers), not tasks.",
        "Find their applications in the table and start their reviews again (aws stepfunctions start-execution "
        "--name <application id>, with the input the cfp-<stage>-start-review log shows). Never redrive these "
        "to the task queue.",
        (_queue("ReviewStartFailureQueue"),),
        statistic="Maximum",
    ),
    Alarm(
        "EmailEventsFailureAlarm",
        "email-events-failed",
        "SES reported a bounce or a complaint that the cfp-<stage>-record-email-events function could not "
        "record after Lambda's two retries: its applicant may still be written to.",
        "The message in cfp-<stage>-email-events-failed holds SES's notification and the error; fix the "
        "cause, then publish the notification again to the topic cfp-<stage>-email-events (aws sns publish).",
        (_queue("EmailEventsDeadLetterQueue"),),
        statistic="Maximum",
    ),
    Alarm(
        "TaskAgeAlarm",
        "tasks-waiting",
        "The oldest task on cfp-<stage>-tasks has waited over 10 minutes: emails and workflow steps are "
        "late (the worker fails, is throttled, or is paused by make restore).",
        "Read the cfp-<stage>-run-task log and its alarms; check that the function's SQS event source "
        "mapping is enabled (aws lambda list-event-source-mappings --function-name cfp-<stage>-run-task).",
        (OLDEST_TASK,),
        statistic="Maximum",
        threshold=600,
    ),
)

REVIEW_ALARMS = (
    Alarm(
        "FailedReviewAlarm",
        "reviews-failed",
        "A review's execution failed: its application is recorded failed, the organisers were told why, and "
        "its workflow sends nothing more.",
        "In the Step Functions console, open the state machine cfp-<stage>-review and filter on Failed: each "
        "execution is named after its application's reference, and its last events name the step and the "
        "error. Fix the cause, then write to the applicant.",
        (_executions("ExecutionsFailed"),),
    ),
    Alarm(
        "TimedOutReviewAlarm",
        "reviews-timed-out",
        "A review's execution ran out of time (Step Functions ends a standard execution after a year): its "
        "application stays where it was, with no more reminders and no cancellation.",
        "Open the execution (named after the application's reference) in the Step Functions console, see "
        "where it stopped, and tell the applicant and the organisers.",
        (_executions("ExecutionsTimedOut"),),
    ),
    Alarm(
        "AbortedReviewAlarm",
        "reviews-aborted",
        "A review's execution was stopped (StopExecution): none of its clean-up ran, so a slot it held stays "
        "taken. make destroy stops every review on purpose.",
        "If it was not make destroy, find who stopped it in CloudTrail; free the slot (taken on the call's "
        "SLOTS item) if its application held one, and tell its applicant.",
        (_executions("ExecutionsAborted"),),
    ),
)

FUNCTION_ERRORS = {
    "APIHandler": (
        "The api function itself failed (a timeout, its memory, or an error at its start): those requests got "
        "API Gateway's 502 or 504.",
        "Read the cfp-<stage>-api log (/aws/lambda/cfp-<stage>-api), fix, and deploy.",
        1,
    ),
    "StartReview": (
        "The stream function failed on a batch of new applications: Lambda tries it again, ten times, before "
        "noting it in cfp-<stage>-review-starts-failed, and holds back the reviews behind it meanwhile.",
        "Read the cfp-<stage>-start-review log (/aws/lambda/cfp-<stage>-start-review).",
        1,
    ),
    "RunTask": (
        "The email worker has failed for 15 minutes: one failure is normal (SES throttling puts the task back "
        "on the queue on purpose), failing that long is not.",
        "Read the cfp-<stage>-run-task log (/aws/lambda/cfp-<stage>-run-task); SES's quotas and the account's "
        "sending status are in the SES console.",
        3,
    ),
    "RecordEmailEvents": (
        "The bounce and complaint handler failed on one of SES's notifications; Lambda tries it twice more, "
        "then puts it in cfp-<stage>-email-events-failed.",
        "Read the cfp-<stage>-record-email-events log (/aws/lambda/cfp-<stage>-record-email-events).",
        1,
    ),
}


def _function_alarms() -> tuple[Alarm, ...]:
    alarms: list[Alarm] = []
    for logical_id, name in FUNCTIONS.items():
        means, action, periods = FUNCTION_ERRORS[logical_id]
        alarms.append(
            Alarm(
                f"{logical_id}ErrorAlarm",
                f"{name}-errors",
                means,
                action,
                (_function(logical_id, "Errors"),),
                periods=periods,
            )
        )
        alarms.append(
            Alarm(
                f"{logical_id}ThrottleAlarm",
                f"{name}-throttled",
                f"Lambda refused to run cfp-<stage>-{name}: the account's concurrent executions were used up, so "
                "its work ran late or failed.",
                "See what uses the account's concurrency in the Lambda console (a new account may run 10 at once) "
                "and ask for more in Service Quotas if the stage needs it.",
                (_function(logical_id, "Throttles"),),
            )
        )
    return tuple(alarms)


def _edge_alarms(api_stage: str) -> tuple[Alarm, ...]:
    return (
        Alarm(
            "ApiServerErrorAlarm",
            "api-5xx",
            "The API answered with 5xx errors: people saw an error instead of a page.",
            "Read the cfp-<stage>-api log and the API's access log /aws/apigateway/cfp-<stage>-access (each "
            "request's route and status, never its link).",
            (_api("5XXError", api_stage),),
        ),
        Alarm(
            "TableThrottleAlarm",
            "table-throttled",
            "DynamoDB throttled reads or writes of cfp-<stage>-applications (an on-demand table still has "
            "limits per partition and per account): requests failed, or were tried again.",
            "See which operations in the dashboard's table widget; a surge on one application or one call "
            "(one partition) is the usual cause.",
            TABLE_THROTTLES,
        ),
        Alarm(
            "SesBounceRateAlarm",
            "ses-bounce-rate",
            "The account's SES bounce rate is over 5 %: SES reviews an account there, and may pause its "
            "sending at 10 % (the rate is the account's, in this region, for every stage).",
            "Find the applications marked undeliverable in the overview and read the SES console's reputation "
            "page; with double opt-in, bounces come from addresses mistyped, or typed by someone else.",
            (_ses("Reputation.BounceRate"),),
            statistic="Maximum",
            threshold=0.05,
            period=ONE_HOUR,
        ),
        Alarm(
            "SesComplaintRateAlarm",
            "ses-complaint-rate",
            "The account's SES complaint rate is over 0.1 %: SES reviews an account there, and may pause its "
            "sending at 0.5 % (the rate is the account's, in this region, for every stage).",
            "Find the applications marked as complaining in the overview (nothing more is sent to them) and "
            "read the SES console's reputation page; make sure the call's emails say why they come.",
            (_ses("Reputation.ComplaintRate"),),
            statistic="Maximum",
            threshold=0.001,
            period=ONE_HOUR,
        ),
    )


def alarms(api_stage: str) -> tuple[Alarm, ...]:
    """Every alarm of a stage whose API Gateway stage is `api_stage` (`api_gateway_stage` in .chalice/config.json)."""
    return QUEUE_ALARMS + REVIEW_ALARMS + _function_alarms() + _edge_alarms(api_stage)


def resources(template: dict[str, Any]) -> dict[str, Any]:
    """The alarms and the dashboard, for Chalice's template merged with infra/resources.json."""
    api_stage = str(template["Resources"]["RestAPI"]["Properties"]["StageName"])
    every = alarms(api_stage)
    return {alarm.logical_id: alarm.resource() for alarm in every} | {"Dashboard": dashboard(every, api_stage)}


# The dashboard ------------------------------------------------------------------------------


def _sub(value: Value) -> str:
    """A metric dimension's value as it reads inside the dashboard's Fn::Sub string."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    return str(value["Fn::Sub"])


def _line(metric: Metric, stat: str, label: str) -> list[Any]:
    dimensions = [part for name, value in metric.dimensions for part in (name, _sub(value))]
    return [metric.namespace, metric.name, *dimensions, {"stat": stat, "label": label}]


def _graph(title: str, lines: list[list[Any]], x: int, y: int, width: int = 12) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": width,
        "height": 6,
        "properties": {"title": title, "region": "${AWS::Region}", "view": "timeSeries", "metrics": lines},
    }


def dashboard(every: tuple[Alarm, ...], api_stage: str) -> dict[str, Any]:
    """One dashboard, cfp-<stage>: the alarms' states, then the reviews, functions, API, queues, table and email."""
    alarm_arn = f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{STAGE_NAME}-"
    widgets = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 4,
            "properties": {"title": "Alarms (README: Runbook)", "alarms": [alarm_arn + alarm.name for alarm in every]},
        },
        _graph(
            "Reviews",
            [
                _line(_executions(name), "Sum", name.removeprefix("Executions"))
                for name in (
                    "ExecutionsStarted",
                    "ExecutionsSucceeded",
                    "ExecutionsFailed",
                    "ExecutionsTimedOut",
                    "ExecutionsAborted",
                )
            ],
            0,
            4,
        ),
        _graph(
            "Functions: errors and throttles",
            [
                _line(_function(logical_id, metric), "Sum", f"{name} {metric.lower()}")
                for logical_id, name in FUNCTIONS.items()
                for metric in ("Errors", "Throttles")
            ],
            12,
            4,
        ),
        _graph(
            "API: requests and errors",
            [_line(_api(name, api_stage), "Sum", name) for name in ("Count", "4XXError", "5XXError")],
            0,
            10,
        ),
        _graph(
            "Queues",
            [
                _line(_queue("TaskQueue"), "Maximum", "tasks waiting"),
                _line(OLDEST_TASK, "Maximum", "oldest task (s)"),
                _line(_queue("TaskDeadLetterQueue"), "Maximum", "dead letters"),
                _line(_queue("ReviewStartFailureQueue"), "Maximum", "review starts failed"),
                _line(_queue("EmailEventsDeadLetterQueue"), "Maximum", "email events failed"),
            ],
            12,
            10,
        ),
        _graph(
            "Table",
            [_line(_table(name), "Sum", name) for name in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")]
            + [
                _line(metric, "Sum", metric.name + (" (by_call)" if len(metric.dimensions) > 1 else ""))
                for metric in TABLE_THROTTLES
            ],
            0,
            16,
        ),
        _graph(
            "Email (the account's, in this region)",
            [_line(_ses(name), "Sum", name) for name in ("Send", "Delivery", "Bounce", "Complaint")]
            + [_line(_ses(name), "Maximum", name) for name in ("Reputation.BounceRate", "Reputation.ComplaintRate")],
            12,
            16,
        ),
    ]
    body = json.dumps({"widgets": widgets}, sort_keys=True)
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": {"Fn::Sub": STAGE_NAME}, "DashboardBody": {"Fn::Sub": body}},
    }
