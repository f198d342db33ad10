"""`make restore`, rehearsed on the emulator: the table brought back to a moment, and the stage running on it.

moto's RestoreTableToPointInTime copies the table as it is now, whatever the moment asked (moto 5.2.5's own
docstring says so), where AWS restores the moment. So the rehearsal restores the moment it is: what it shows
holds on both, that the items come back under the stack's own table, whose name and stream stay what the
stack knows, and that a review under way, and a new application, go on. Which items the copy holds is AWS's
business; what is done with them (written back, the expired ones left out, the others deleted) is checked on
mock_aws below, with a copy made by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from chalicelib import aws
from deploy import restore
from deploy.stack import stack_outputs
from tests.fast.conftest import table_definition
from tests.support import GRACE, MODERATOR, PROGRAMME, STORY, CfP

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def test_a_restore_brings_the_table_back_under_its_name_and_the_stage_runs_on(cfp: CfP) -> None:
    assert cfp.submit(STORY).status_code == 303
    cfp.vote(MODERATOR, "Approve")
    [ada] = cfp.applications()
    stage = cfp.resources.table_name.removeprefix("cfp-").removesuffix("-applications")
    table = aws.dynamodb().describe_table(TableName=cfp.resources.table_name)["Table"]
    before = {"items": aws.dynamodb().scan(TableName=table["TableName"])["Count"], "stream": table["LatestStreamArn"]}

    output = io.StringIO()
    with contextlib.redirect_stderr(output):
        code = restore.main(["--stage", stage, "--at", datetime.now(UTC).isoformat()])
    assert code == 0, output.getvalue()

    restored = aws.dynamodb().describe_table(TableName=cfp.resources.table_name)["Table"]
    assert aws.dynamodb().scan(TableName=restored["TableName"])["Count"] == before["items"]
    # What the stack, its functions and its running executions know is unchanged.
    assert restored["LatestStreamArn"] == before["stream"] == stack_outputs(stage)["TableStreamArn"]
    assert aws.dynamodb().list_tables()["TableNames"] == [cfp.resources.table_name]
    printed = output.getvalue()
    for step in ("is ready", "no function to pause", f"holds the copy's {before['items']} items", "copy", "deleted"):
        assert step in printed, printed

    # The review under way goes on, on the restored votes and the callback it waits on.
    cfp.vote(PROGRAMME, "Approve")
    cfp.wait_for_email(STORY["email"], "Action required")
    assert cfp.application(ada.id).status == "accepted"
    # A new application starts its review from the new stream.
    assert cfp.submit(GRACE).status_code == 303
    cfp.wait_for_email(GRACE["email"], "We received your application")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--at", "2026-05-30T09:00:00"], "has no time zone"),
        (["--at", "yesterday"], "is not a moment"),
        ([], "give AT=<moment>"),
        (["--at", "2099-01-01T00:00:00Z"], "until now, not to 2099-01-01"),
    ],
)
def test_a_moment_it_cannot_restore_is_refused_before_anything_changes(
    cfp: CfP, arguments: list[str], says: str
) -> None:
    stage = cfp.resources.table_name.removeprefix("cfp-").removesuffix("-applications")
    output = io.StringIO()
    with contextlib.redirect_stderr(output):
        assert restore.main(["--stage", stage, *arguments]) == 1
    assert says in output.getvalue()
    assert aws.dynamodb().list_tables()["TableNames"] == [cfp.resources.table_name]


# Bringing the copy back: on mock_aws, with a copy made by hand ------------------------------------


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDBClient]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client: DynamoDBClient = boto3.client("dynamodb", region_name="eu-west-3")
        for name in ("table", "copy"):
            client.create_table(TableName=name, **table_definition())
        yield client


def item(pk: str, sk: str, **values: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}} | {
        k: {"N": v} if k == "expires_at" else {"S": v} for k, v in values.items()
    }


def test_the_table_ends_holding_the_copys_items_whose_retention_runs(tables: DynamoDBClient) -> None:
    future, past = str(int((datetime.now(UTC) + timedelta(days=30)).timestamp())), "1700000000"
    for name, rows in {
        "table": [
            item("APP#a", "APPLICATION", status="withdrawn", expires_at=future),  # changed after the moment
            item("APP#b", "APPLICATION", status="submitted", expires_at=future),  # arrived after it
        ],
        "copy": [
            item("APP#a", "APPLICATION", status="accepted", expires_at=future),
            item("APP#a", "VOTE#0", outcome="approve", expires_at=future),  # deleted after it, by mistake
            item("APP#c", "APPLICATION", status="expired", expires_at=past),  # its retention ended since
            item("RATE#x", "RATE"),
        ],
    }.items():
        for row in rows:
            tables.put_item(TableName=name, Item=row)

    assert restore._bring_back(tables, "copy", "table") == (3, 1, 1)

    held = sorted(json.dumps(row, sort_keys=True) for row in tables.scan(TableName="table")["Items"])
    assert held == sorted(
        json.dumps(row, sort_keys=True)
        for row in (
            item("APP#a", "APPLICATION", status="accepted", expires_at=future),
            item("APP#a", "VOTE#0", outcome="approve", expires_at=future),
            item("RATE#x", "RATE"),
        )
    )
