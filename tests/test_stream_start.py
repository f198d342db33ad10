"""The stream handler starts one execution per new application, however often a record is delivered."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import CfP

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
