"""Every AWS call each function makes, in a flow that reaches all of them, is allowed by its own policy.

moto does not enforce IAM, so a call missing from a hand-written policy would pass every other test
and fail only on AWS. This test records which function made each call (from the handler on the
stack) and checks it against that function's policy in .chalice/: its action, and for DynamoDB its
conditions (the partitions and attributes it names, evaluated by tests/iam.py). The same flow writes every
kind of item an application has, and each must expire with its application.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from chalicelib import aws
from chalicelib.stores.table import (
    ANSWER,
    APPLICATION,
    CALL_RECORD,
    EMAIL,
    RATE,
    SLOTS,
    VOTE,
    WAIT,
    application_partition,
    call_partition,
    item_kind,
    waitlist_partition,
)
from local.bounce import notification, publish
from tests import iam
from tests.support import GRACE, MODERATOR, PROJECT, STORY, CfP

HANDLERS = PROJECT / "chalicelib" / "handlers"
LINUS = STORY | {"name": "Linus", "email": "linus@example.org", "title": "A story withdrawn under review"}
# botocore's service id -> IAM's service prefix.
IAM_PREFIX = {"dynamodb": "dynamodb", "sfn": "states", "sesv2": "ses", "ssm": "ssm"}
# Calls no flow on the emulator makes: the deployed functions read the link secret from SSM
# (tests/test_deployed_settings.py covers the read itself); locally LINK_SECRET is given.
DEPLOYED_ONLY = {
    ("api_handler", "ssm:GetParameter"),
    ("run_task", "ssm:GetParameter"),
    ("record_email_events", "ssm:GetParameter"),
}

Call = tuple[str, str, dict[str, Any]]  # function, "service.Operation", the call's parameters


def function_on_stack() -> str | None:
    """The Lambda function whose handler is running: the event handlers by name, any route is the API."""
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.parent == HANDLERS:
            return frame.f_code.co_name if path.name == "events.py" else "api_handler"
        frame = frame.f_back  # type: ignore[assignment]
    return None  # the test harness's own reads


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    calls: list[Call] = []
    make_api_call = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        function = function_on_stack()
        if function is not None:
            calls.append((function, f"{client.meta.service_model.service_id.hyphenize()}.{operation}", params))
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    yield calls


def iam_actions(operation: str, params: dict[str, Any]) -> set[str]:
    """What IAM checks for one call. A transaction is checked item by item."""
    service, _, name = operation.partition(".")
    if service == "dynamodb":
        return {request.action for request in iam.requests(operation, params)}
    if operation == "sesv2.SendEmail" and "Raw" in params.get("Content", {}):
        return {"ses:SendEmail", "ses:SendRawEmail"}
    return {f"{IAM_PREFIX[service]}:{name}"}


@cache
def policy_of(function: str) -> dict[str, Any]:
    config = json.loads((PROJECT / ".chalice" / "config.json").read_text())
    policy_file = config["stages"]["prod"]["lambda_functions"][function]["iam_policy_file"]
    policy: dict[str, Any] = json.loads((PROJECT / ".chalice" / policy_file).read_text())
    return policy


@cache
def allowed_actions(function: str) -> frozenset[str]:
    return frozenset(
        action
        for statement in policy_of(function)["Statement"]
        if statement["Effect"] == "Allow"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )


def calls_in_the_code() -> set[str]:
    """Every boto3 operation chalicelib/ calls, as IAM names it ("put_item" -> "PutItem")."""
    source = "\n".join(path.read_text() for path in (PROJECT / "chalicelib").rglob("*.py"))
    names = set(re.findall(r"(?:_client|aws\.\w+\(\))\.(\w+)\(", source)) - {"get_paginator", "cache_clear"}
    names |= set(re.findall(r"get_paginator\(\"(\w+)\"\)", source))
    return {"".join(part.title() for part in name.split("_")) for name in names}


def test_every_call_of_each_function_is_in_its_own_policy(cfp: CfP, recorded: list[Call]) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1)
    # Ada takes the one slot, Grace waits for it, Linus withdraws while under review.
    assert cfp.submit(STORY).status_code == 303
    cfp.vote(MODERATOR, "Approve")
    cfp.wait_for_email(STORY["email"], "Action required")
    assert cfp.submit(GRACE).status_code == 303
    cfp.vote(MODERATOR, "Approve", title=GRACE["title"])
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
    assert cfp.submit(LINUS).status_code == 303
    cfp.wait_for_email(MODERATOR, LINUS["title"])
    linus_status = next(url for url in cfp.links_of(LINUS["email"]) if "/status/" in url)
    assert cfp.post(f"{cfp.path(linus_status)}/withdraw").status_code == 200
    # Ada cannot make it: her slot goes to Grace, who confirms, then deletes her data.
    cfp.post(cfp.attendance_link("no"))
    cfp.wait_for_email(GRACE["email"], "Action required")
    cfp.post(cfp.attendance_link("yes", GRACE["email"]))
    cfp.wait_for_email(GRACE["email"], "Confirmed")
    cfp.wait_for_email(MODERATOR, "Speaker confirmed")
    grace_status = next(url for url in cfp.links_of(GRACE["email"]) if "/status/" in url)
    assert cfp.post(cfp.path(grace_status) + "/delete").status_code == 200
    overview = next(url for url in cfp.links_of(MODERATOR) if "/overview/" in url)
    assert cfp.client.http.get(cfp.path(overview) + "&format=csv").status_code == 200
    # SES reports that Linus's address bounces: recorded, and the organisers are told.
    linus = next(a.id for a in cfp.applications() if a.title == LINUS["title"])
    publish(cfp.resources.email_events_topic_arn, notification(linus, LINUS["email"]))
    cfp.wait_for_email(MODERATOR, "Emails to an applicant bounce")

    made = {(function, action) for function, operation, params in recorded for action in iam_actions(operation, params)}
    missing = {(function, action) for function, action in made if action not in allowed_actions(function)}
    assert not missing, f"calls that AWS would refuse: {sorted(missing)}"
    # The flow reached every operation the code can call, so nothing above went unchecked.
    reached = {operation.partition(".")[2] for _, operation, _ in recorded}
    deployed_only = {action.partition(":")[2] for _, action in DEPLOYED_ONLY}
    assert calls_in_the_code() - deployed_only <= reached
    assert {(f, a) for f, a in DEPLOYED_ONLY if a not in allowed_actions(f)} == set()
    refused = [
        (function, request)
        for function, operation, params in recorded
        if operation.startswith("dynamodb.")
        for request in iam.requests(operation, params)
        if not iam.allows(policy_of(function), request)
    ]
    assert not refused, f"items or attributes that AWS would refuse: {refused}"
    assert_every_item_expires_with_its_application(cfp.resources.table_name)


def assert_every_item_expires_with_its_application(table: str) -> None:
    """The flow wrote every kind of item an application has; DynamoDB's TTL (`expires_at`) removes each with it."""
    items: list[dict[str, Any]] = list(aws.dynamodb().scan(TableName=table)["Items"])
    assert not [item for item in items if "expires_at" not in item]
    expiry = {item["pk"]["S"]: item["expires_at"]["N"] for item in items if item["sk"]["S"] == APPLICATION}
    calls = {item["call_id"]["S"] for item in items if item["sk"]["S"] == APPLICATION}
    kinds = set()
    for item in items:
        if item["pk"]["S"] in expiry:
            kinds.add(item_kind(item["sk"]["S"]))
            assert item["expires_at"]["N"] == expiry[item["pk"]["S"]], item
        elif item["pk"] in [waitlist_partition(call) for call in calls]:
            kinds.add("WAITLIST")
            assert item["expires_at"]["N"] == expiry[application_partition(item["application_id"]["S"])["S"]], item
        elif item["pk"] in [call_partition(call) for call in calls]:
            kinds.add(item["sk"]["S"])
            # The call's record and slot counter: as long as its latest application.
            assert int(item["expires_at"]["N"]) == max(int(moment) for moment in expiry.values()), item
        elif item["sk"]["S"] == RATE:
            kinds.add(RATE)
    # Grace's waitlist entry went with her promotion: tests/fast/test_slot_store.py reads one's expiry.
    assert kinds >= {APPLICATION, VOTE, WAIT, ANSWER, EMAIL, RATE, CALL_RECORD, SLOTS}
