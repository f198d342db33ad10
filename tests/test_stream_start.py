"""The stream handler starts one execution per new application, however often a record is delivered."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from chalicelib import aws
from chalicelib.stores.table import call_partition
from tests.support import DEFAULT_CALL, CfP

EVENT = json.loads((Path(__file__).parent / "events" / "dynamodb_stream.json").read_text())


def test_only_new_applications_start_a_review_and_a_replay_starts_nothing_new(cfp: CfP) -> None:
    cfp.client.lambda_.invoke("start_review", EVENT)
    cfp.client.lambda_.invoke("start_review", EVENT)  # Lambda delivers a stream batch at least once

    executions = cfp.executions()
    assert [e["name"] for e in executions] == ["fixtureapplication0001"]
    arn = executions[0]["executionArn"]
    started = json.loads(cfp.describe_execution(arn)["input"])
    assert started["application_id"] == "fixtureapplication0001"
    # The call's settings: 2 reminders spread over a 168-hour review, 2 of 3 votes decide, 5 slots.
    assert started["review"] == {
        "approvals_needed": 2,
        "rejections_needed": 2,
        "reminders": 2,
        "reminder_seconds": 56 * 3600,
    }
    assert started["slots"] == "5"


def test_an_application_make_restore_writes_back_starts_no_review(cfp: CfP) -> None:
    """A new APPLICATION item in a status past submitted was written back by make restore: its review ran."""
    restored = copy.deepcopy(EVENT["Records"][0])
    for image in (restored["dynamodb"]["Keys"], restored["dynamodb"]["NewImage"]):
        image["pk"]["S"] = "APP#fixtureapplication0004"
    restored["dynamodb"]["NewImage"] |= {"id": {"S": "fixtureapplication0004"}, "status": {"S": "accepted"}}
    cfp.client.lambda_.invoke("start_review", {"Records": [restored]})
    assert cfp.executions() == []


def test_make_smoke_s_application_keeps_nothing_of_its_call_and_waits_for_its_address(cfp: CfP) -> None:
    """Its review starts, to wait for a verification SES's mailbox simulator never gives; the call's record and slot
    counter are not kept for it (an ended call's would outlive its last real application)."""
    smoke = copy.deepcopy(EVENT["Records"][0])
    smoke["dynamodb"]["NewImage"] |= {
        "call_id": {"S": DEFAULT_CALL},
        "smoke": {"BOOL": True},
        "expires_at": {"N": "4102444800"},
    }
    cfp.client.lambda_.invoke("start_review", {"Records": [smoke]})
    [execution] = cfp.executions()
    assert json.loads(cfp.describe_execution(execution["executionArn"])["input"])["verify_email"] is True
    calls_items = aws.dynamodb().query(
        TableName=cfp.resources.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": call_partition(DEFAULT_CALL)},
    )["Items"]
    assert calls_items == []
