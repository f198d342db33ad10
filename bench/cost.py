"""Cost per 1,000 applications on AWS, from one real run of the workflow per application on the emulator.

    python -m bench.cost [--applications 3]

Each application goes the longest common way: submitted, its status page read once, two organisers
each open their Approve link and press the button (the quorum), the speaker opens "I'll be there"
and presses it, and the execution ends SUCCEEDED. The same number then go the shortest way: two
organisers reject, the applicant is told. Along the way this counts, per application:
- API requests (one API Gateway request and one Lambda invocation each) and their durations;
- stream records (each at most one `start_review` invocation) and queue messages (one `run_task`
  invocation each), with their durations;
- the state transitions, from the execution's history (every state entered, inside Parallel too);
- the SQS requests: the workflow's SendMessage, then Lambda's receive and delete per message;
- DynamoDB reads and writes by the functions (counted at the botocore client) and by the workflow's
  direct integration (from the history), in request units, by the item's size;
- SES messages, one per recipient, from the emulated outbox.

Durations are measured against moto on loopback. A function's billed time is its own time plus an
assumed 25 ms for each AWS call it makes (generous for in-region DynamoDB, SQS, Step Functions; SES
is slower but is only called by the worker); the upper bound also bills a cold start (INIT, billed
since August 2025) on every invocation.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

from bench.common import LambdaContext, api_event, emulated_stack, save, say, story, submission_event
from chalicelib.stores.table import APPLICATION, application_key

# AWS list prices, us-east-1, on-demand, without free tiers, as written on PRICES_DATE from PRICE_PAGES.
PRICES_DATE = "2026-11-25"
REGION = "us-east-1"
PRICES = {
    "lambda_request": 0.20 / 1e6,  # per invocation
    "lambda_gb_second": 0.0000166667,  # x86_64
    "api_gateway_rest_request": 3.50 / 1e6,  # REST API (Chalice's), first 333 million
    "step_functions_transition": 0.025 / 1000,  # standard workflows
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB request
    "dynamodb_write_unit": 0.625 / 1e6,  # on-demand WRU (price of November 2024)
    "dynamodb_read_unit": 0.125 / 1e6,  # on-demand RRU
    "ses_message": 0.10 / 1000,  # per recipient
    "logs_ingested_gb": 0.50,  # CloudWatch Logs
    "kms_request": 0.03 / 10_000,  # decrypting the SSM SecureString once per cold start
    "kms_key_month": 1.00,  # the topics' customer managed key (infra/resources.json), not rotated
    "alarm_metric_month": 0.10,  # a standard-resolution alarm, per metric it reads
}
# CloudWatch's always-free alarm metrics, for the whole account.
FREE_ALARM_METRICS = 10
PRICE_PAGES = {
    "lambda": "https://aws.amazon.com/lambda/pricing/",
    "api_gateway": "https://aws.amazon.com/api-gateway/pricing/",
    "step_functions": "https://aws.amazon.com/step-functions/pricing/",
    "sqs": "https://aws.amazon.com/sqs/pricing/",
    "dynamodb": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "ses": "https://aws.amazon.com/ses/pricing/",
    "cloudwatch": "https://aws.amazon.com/cloudwatch/pricing/",
    "kms": "https://aws.amazon.com/kms/pricing/",
}
MEMORY_MB = {"api_handler": 512, "start_review": 256, "run_task": 256}  # .chalice/config.json, dev and prod
ASSUMED_AWS_CALL_MS = 25
LOG_BYTES_PER_INVOCATION = 600  # START, END and REPORT lines, and one JSON line of ours
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "TransactGetItems", "BatchGetItem"}


@dataclass
class Invocation:
    function: str
    seconds: float
    aws_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    aws_seconds: float = 0.0


class Meter:
    """Times each handler invocation and records the AWS calls made inside it (not the pump's own)."""

    def __init__(self) -> None:
        self.invocations: list[Invocation] = []
        self.stream_records = 0
        self._current: Invocation | None = None

    def install(self) -> None:
        from botocore.client import BaseClient

        original: Callable[..., Any] = BaseClient._make_api_call
        meter = self

        def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                if meter._current is not None:
                    meter._current.aws_calls.append((client.meta.service_model.service_name, operation, params))
                    meter._current.aws_seconds += time.perf_counter() - started

        BaseClient._make_api_call = recorded  # type: ignore[method-assign]

    def invoke(self, function: str, handler: Callable[..., Any], event: dict[str, Any], context: Any) -> Any:
        invocation = Invocation(function, 0.0)
        self._current = invocation
        started = time.perf_counter()
        try:
            return handler(event, context)
        finally:
            invocation.seconds = time.perf_counter() - started
            self._current = None
            self.invocations.append(invocation)
            if function == "start_review":
                self.stream_records += len(event.get("Records", []))

    def wrap(self, function: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        return lambda event, context: self.invoke(function, handler, event, context)


def route_event(method: str, url: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway event for an emailed link: /<call id>/<kind>/<token>, routed as /{call_id}/<kind>/{token}."""
    path = urlparse(url).path
    call_id, kind, token = path.strip("/").split("/", 2)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    body = urlencode(fields or {}) if method == "POST" else None
    resource, parameters = f"/{{call_id}}/{kind}/{{token}}", {"call_id": call_id, "token": token}
    return api_event(method, path, body, headers, resource=resource, parameters=parameters)


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size, roughly: attribute names plus the JSON of their values."""
    return sum(len(name) + len(json.dumps(value)) for name, value in item.items())


def request_units(calls: list[tuple[str, dict[str, Any]]], application_bytes: int) -> tuple[float, float]:
    """(write units, read units) of DynamoDB calls, by operation and by which item they touch.

    Writes to the application item are billed at its final size, and once more for the `by_call`
    index (projection ALL), which holds every application item. Transactions cost double.
    Reads are strongly consistent at 4 KB a unit: an over-estimate for the eventually consistent ones.
    """
    app_wru = math.ceil(application_bytes / 1024)
    app_rru = math.ceil(application_bytes / 4096)
    writes = reads = 0.0
    for operation, params in calls:
        if operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                (kind,) = entry.values()
                on_app = kind.get("Key", kind.get("Item", {})).get("sk", {}).get("S") == APPLICATION
                writes += 2 * (2 * app_wru if on_app else 1)
        elif operation in WRITES:
            key = params.get("Key") or params.get("Item") or {}
            on_app = key.get("sk", {}).get("S") == APPLICATION
            writes += 2 * app_wru if on_app else 1
        elif operation in READS:
            reads += app_rru
    return writes, reads


def history(stepfunctions: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def one_application(
    number: int, app: Any, pump: Any, meter: Meter, endpoint: str, accepted: bool = True
) -> dict[str, Any]:
    from chalicelib import aws, deps
    from local.outbox import accepted_count, read_outbox

    fields = story(number, "cost")
    context = LambdaContext()
    first_invocation = len(meter.invocations)
    records_before = meter.stream_records
    messages_before = accepted_count(endpoint)

    def api(event: dict[str, Any]) -> Any:
        response = meter.invoke("api_handler", app, event, context)
        assert response["statusCode"] < 400, (event["path"], response["statusCode"])
        return response

    def mail(to: str, subject_part: str) -> Any:
        def found() -> Any:
            return next(
                (
                    m
                    for m in read_outbox(endpoint, after=messages_before)
                    if to in m.recipients and subject_part in m.subject
                ),
                None,
            )

        pump.run_until(lambda: found() is not None, timeout=60)
        return found()

    api(submission_event(fields))
    acknowledgement = mail(fields["email"], "We received your application")
    status_link = next(url for _, url in acknowledgement.links if "/status/" in url)
    api(route_event("GET", status_link))
    label, votes = ("Approve", deps.call().approvals_needed) if accepted else ("Reject", deps.call().rejections_needed)
    for organiser in deps.call().organisers[:votes]:
        request = mail(organiser, "New application to review")
        link = next(url for name, url in request.links if name == label)
        api(route_event("GET", link))
        api(route_event("POST", link, {"note": ""}))
    if accepted:
        action = mail(fields["email"], "Action required")
        yes = next(url for _, url in action.links if "/attendance/" in url)
        api(route_event("GET", yes))
        api(route_event("POST", yes))

    application_id = deps.links().read_status(status_link.rsplit("/", 1)[1]).application_id
    execution_arn = deps.workflow().execution_arn(application_id)
    stepfunctions = aws.stepfunctions()
    pump.run_until(
        lambda: stepfunctions.describe_execution(executionArn=execution_arn)["status"] != "RUNNING", timeout=60
    )
    status = stepfunctions.describe_execution(executionArn=execution_arn)["status"]
    events = history(stepfunctions, execution_arn)
    pump.poll_once()  # the last stream records, from the workflow's final writes
    item = aws.dynamodb().get_item(TableName=deps.settings().table_name, Key=application_key(application_id))["Item"]

    invocations = meter.invocations[first_invocation:]
    by_function = Counter(i.function for i in invocations)
    transitions = sum(1 for e in events if e["type"].endswith("StateEntered"))
    scheduled = [e["taskScheduledEventDetails"] for e in events if e["type"] == "TaskScheduled"]
    workflow_sqs = sum(1 for s in scheduled if s["resourceType"] == "sqs")
    workflow_dynamodb = [
        (s["resource"].split(".")[0][:1].upper() + s["resource"].split(".")[0][1:], json.loads(s["parameters"]))
        for s in scheduled
        if s["resourceType"] == "dynamodb"
    ]
    function_dynamodb = [
        (op, params) for i in invocations for service, op, params in i.aws_calls if service == "dynamodb"
    ]
    other_calls = Counter(f"{s}:{op}" for i in invocations for s, op, _ in i.aws_calls if s != "dynamodb")
    writes, reads = request_units(function_dynamodb + workflow_dynamodb, item_size(item))
    sent = read_outbox(endpoint, after=messages_before)
    durations: dict[str, list[dict[str, float]]] = {}
    for i in invocations:
        durations.setdefault(i.function, []).append(
            {"seconds": i.seconds, "app_seconds": i.seconds - i.aws_seconds, "aws_calls": len(i.aws_calls)}
        )
    return {
        "execution_status": status,
        "api_requests": by_function["api_handler"],
        "start_review_invocations": by_function["start_review"],
        "stream_records": meter.stream_records - records_before,
        "run_task_invocations": by_function["run_task"],
        "state_transitions": transitions,
        "sqs_messages": workflow_sqs,
        "sqs_requests": 3 * workflow_sqs,  # SendMessage, then Lambda's ReceiveMessage and DeleteMessage
        "dynamodb_calls_by_functions": dict(Counter(op for op, _ in function_dynamodb)),
        "dynamodb_calls_by_workflow": dict(Counter(op for op, _ in workflow_dynamodb)),
        "dynamodb_write_units": writes,
        "dynamodb_read_units": reads,
        "application_item_bytes": item_size(item),
        "other_aws_calls_by_functions": dict(other_calls),
        "ses_messages": sum(len(m.recipients) for m in sent),
        "durations": durations,
    }


def cost(counts: dict[str, Any], cold_init_seconds: float, every_invocation_cold: bool) -> dict[str, float]:
    """Dollars for one application, by service."""
    gb_seconds = 0.0
    invocations = 0
    for function, runs in counts["durations"].items():
        for run in runs:
            billed_ms = math.ceil(run["app_seconds"] * 1000 + ASSUMED_AWS_CALL_MS * run["aws_calls"])
            if every_invocation_cold:
                billed_ms += math.ceil(cold_init_seconds * 1000)
            gb_seconds += billed_ms / 1000 * MEMORY_MB[function] / 1024
            invocations += 1
    # A stream record that did not share a batch would be one more start_review invocation.
    extra_stream = max(0, counts["stream_records"] - counts["start_review_invocations"])
    if extra_stream and counts["durations"].get("start_review"):
        mean_ms = statistics.mean(r["app_seconds"] * 1000 for r in counts["durations"]["start_review"])
        gb_seconds += (
            extra_stream * math.ceil(mean_ms + (cold_init_seconds * 1000 if every_invocation_cold else 0)) / 1000 / 4
        )
        invocations += extra_stream
    return {
        "lambda_requests": invocations * PRICES["lambda_request"],
        "lambda_compute": gb_seconds * PRICES["lambda_gb_second"],
        "api_gateway": counts["api_requests"] * PRICES["api_gateway_rest_request"],
        "step_functions": counts["state_transitions"] * PRICES["step_functions_transition"],
        "sqs": counts["sqs_requests"] * PRICES["sqs_request"],
        "dynamodb": counts["dynamodb_write_units"] * PRICES["dynamodb_write_unit"]
        + counts["dynamodb_read_units"] * PRICES["dynamodb_read_unit"],
        "ses": counts["ses_messages"] * PRICES["ses_message"],
        "cloudwatch_logs": invocations * LOG_BYTES_PER_INVOCATION / 1e9 * PRICES["logs_ingested_gb"],
        "kms": (invocations if every_invocation_cold else 0) * PRICES["kms_request"],
    }


def idle_cost_per_month() -> dict[str, Any]:
    """What a deployed stack costs in a month with no application at all."""
    from infra.monitoring import alarms

    # Lambda's SQS event source long-polls (20 s) with 5 pollers, whether or not messages come.
    polls = 5 * 3 * 60 * 24 * 30
    # The alarms (infra/monitoring.py) and the topics' key; the dashboard is one of an account's three free.
    metrics = sum(len(alarm.metrics) for alarm in alarms("api"))
    return {
        "provisioned_anything": "none: no provisioned concurrency, on-demand table, no NAT, no server",
        "compute_and_requests": 0.0,
        "sqs_long_polling_requests": polls,
        "sqs_long_polling_cost_beyond_free_tier": polls * PRICES["sqs_request"],
        "sqs_free_tier_requests": 1_000_000,  # always free, every month
        "sqs_long_polling_cost": 0.0 if polls <= 1_000_000 else (polls - 1_000_000) * PRICES["sqs_request"],
        "storage": "a few MB of table, point-in-time recovery, logs and zips: under $0.01 a month",
        "alarm_metrics": metrics,
        "monitoring_cost": PRICES["kms_key_month"]
        + max(0, metrics - FREE_ALARM_METRICS) * PRICES["alarm_metric_month"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=3)
    parser.add_argument(
        "--cold-init-seconds", type=float, default=None, help="defaults to bench/results/cold_start.json"
    )
    arguments = parser.parse_args(argv)
    cold_init = arguments.cold_init_seconds
    if cold_init is None:
        from bench.common import RESULTS

        cold = json.loads((RESULTS / "cold_start.json").read_text()) if (RESULTS / "cold_start.json").exists() else {}
        cold_init = max(
            cold.get("form_from_zip", {}).get("wall", {}).get("median", 1.0),
            cold.get("submission_from_zip", {}).get("wall", {}).get("median", 1.0),
        )

    say(f"… cost model: {arguments.applications} applications through the whole workflow on the emulator")
    with emulated_stack("cost", guest_slots=100) as stack:
        from app import app
        from local.pump import Pump, QueueSource, StreamSource

        meter = Meter()
        meter.install()
        pump = Pump(
            [
                StreamSource(
                    stack.stream_arn, meter.wrap("start_review", app.handler_map["start_review"]), "start_review"
                ),
                QueueSource(stack.queue_url, meter.wrap("run_task", app.handler_map["run_task"]), "run_task"),
            ]
        )
        runs = [one_application(n, app, pump, meter, stack.endpoint) for n in range(arguments.applications)]
        declined_runs = [
            one_application(100 + n, app, pump, meter, stack.endpoint, accepted=False)
            for n in range(arguments.applications)
        ]

    typical = runs[len(runs) // 2]
    declined = declined_runs[len(declined_runs) // 2]
    per_application_measured = cost(typical, cold_init, every_invocation_cold=False)
    per_application_all_cold = cost(typical, cold_init, every_invocation_cold=True)
    per_declined = cost(declined, cold_init, every_invocation_cold=False)
    results = {
        "prices": {"date": PRICES_DATE, "region": REGION, "usd": PRICES, "pages": PRICE_PAGES},
        "assumptions": {
            "memory_mb": MEMORY_MB,
            "assumed_aws_call_ms": ASSUMED_AWS_CALL_MS,
            "cold_init_seconds_if_cold": cold_init,
            "log_bytes_per_invocation": LOG_BYTES_PER_INVOCATION,
            "path": "submitted, status read once, 2 approvals (quorum), accepted, confirmed: the longest common path",
        },
        "per_application": typical,
        "runs": [{k: v for k, v in r.items() if k != "durations"} for r in runs],
        "per_1000_applications": {k: 1000 * v for k, v in per_application_measured.items()}
        | {"total": 1000 * sum(per_application_measured.values())},
        "per_1000_applications_every_invocation_cold": {k: 1000 * v for k, v in per_application_all_cold.items()}
        | {"total": 1000 * sum(per_application_all_cold.values())},
        "declined": {k: v for k, v in declined.items() if k != "durations"},
        "per_1000_declined_applications": {k: 1000 * v for k, v in per_declined.items()}
        | {"total": 1000 * sum(per_declined.values())},
        "idle_per_month": idle_cost_per_month(),
    }
    save("cost", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, default=str))
