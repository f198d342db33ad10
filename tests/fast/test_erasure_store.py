"""'Delete my data' in the table: every personal field blanked, on the application and on the items around it,
and nothing brought back that the retention already deleted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.models import Answer, Vote
from chalicelib.stores.callbacks import CallbackStore
from chalicelib.stores.erasure import ErasureStore
from chalicelib.stores.table import ApplicationNotFound, application_key
from chalicelib.stores.votes import VoteStore
from chalicelib.vocabulary import AttendanceAnswer, Outcome, Status
from tests.fast.conftest import NOW, Submit, sort_keys
from tests.support import STORY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOTE = "Ada's story about Analytical Engines Ltd is great but off-topic."


def test_erasing_blanks_the_application_the_notes_about_it_and_the_speakers_answer(
    erasure_store: ErasureStore,
    votes: VoteStore,
    callback_store: CallbackStore,
    dynamodb: DynamoDBClient,
    table: str,
    submitted: Submit,
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    vote = Vote(organiser="moderator@ow2con.example", outcome=Outcome.REJECT, at=NOW.isoformat(), note=NOTE)
    votes.record_vote(ada.id, 0, vote, 2, 2, ada.expires_at)
    callback_store.claim_answer(ada.id, Answer(answer=AttendanceAnswer.YES, at=NOW.isoformat()))

    erased = erasure_store.erase(ada.id, NOW)

    assert (erased.name, erased.email, erased.organisation, erased.summary, erased.title) == (
        "",
        "",
        None,
        "",
        "(deleted)",
    )
    assert erased.erased and [v.note for v in erased.votes] == [""]
    assert erased.history[-1].event == "data_deleted" and erased.history[-1].at == NOW.isoformat()
    assert (erased.status, erased.rejections) == ("in_review", 1)  # the workflow's own record stays
    assert sort_keys(dynamodb, f"APP#{ada.id}") == {"APPLICATION", "VOTE#0"}
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"APP#{ada.id}"}},
    )["Items"]
    for personal in (STORY["name"], STORY["email"], STORY["organisation"], STORY["summary"], STORY["title"], NOTE):
        assert personal not in json.dumps(items)


def test_erasing_an_application_the_retention_deleted_meanwhile_brings_nothing_back(
    erasure_store: ErasureStore, dynamodb: DynamoDBClient, table: str, submitted: Submit
) -> None:
    ada = submitted()

    def retention_ends(**_: Any) -> None:
        # DynamoDB's TTL deletes the application just after the store read it.
        dynamodb.delete_item(TableName=table, Key=application_key(ada.id))

    dynamodb.meta.events.register_first("after-call.dynamodb.GetItem", retention_ends)
    with pytest.raises(ApplicationNotFound):
        erasure_store.erase(ada.id, NOW)
    assert sort_keys(dynamodb, f"APP#{ada.id}") == set()


def test_erasing_an_application_that_does_not_exist_is_not_found(
    erasure_store: ErasureStore, dynamodb: DynamoDBClient
) -> None:
    with pytest.raises(ApplicationNotFound):
        erasure_store.erase("never-submitted", NOW)
    assert sort_keys(dynamodb, "APP#never-submitted") == set()
