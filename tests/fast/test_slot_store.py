"""The waitlist: first come first, an application that comes back keeps its place, and a stale entry is never
removed in place of the newer one; its entries are kept apart from the call's slot counter, and expire with
their applications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.call import Call
from chalicelib.stores.slots import SlotStore
from chalicelib.stores.table import (
    EARLIER_WAITLIST,
    call_key,
    call_partition,
    from_item,
    waitlist_key,
    waitlist_partition,
    waitlist_sort_key,
)
from tests.fast.conftest import TABLE_NAME, Submit
from tests.support import GRACE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EARLIER, LATER, LATER_STILL = "2024-05-20T09:30:00+00:00", "2024-05-20T10:00:00+00:00", "2024-05-21T08:00:00+00:00"


def test_the_waitlist_is_first_come_first(slots: SlotStore, call: Call, submitted: Submit) -> None:
    grace, ada = submitted(GRACE), submitted()
    slots.join_waitlist(ada, EARLIER, "ada-waits")
    slots.join_waitlist(grace, LATER, "grace-waits")
    assert [(e.application_id, e.task_token) for e in slots.waitlist(call.id)] == [
        (ada.id, "ada-waits"),
        (grace.id, "grace-waits"),
    ]


def test_an_application_that_comes_back_to_the_waitlist_keeps_its_place(
    slots: SlotStore, call: Call, submitted: Submit
) -> None:
    ada, grace = submitted(), submitted(GRACE)
    first = slots.join_waitlist(ada, EARLIER, "ada-waits")
    slots.join_waitlist(grace, LATER, "grace-waits")
    # Ada was woken, found the slot claimed by someone else, and waits again.
    again = slots.join_waitlist(ada, LATER_STILL, "ada-waits-again")

    assert again.key == first.key
    assert [(e.application_id, e.task_token) for e in slots.waitlist(call.id)] == [
        (ada.id, "ada-waits-again"),
        (grace.id, "grace-waits"),
    ]


def test_a_stale_waitlist_entry_is_not_removed_in_place_of_the_newer_one(
    slots: SlotStore, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    stale = slots.join_waitlist(ada, EARLIER, "ada-waits")
    current = slots.join_waitlist(ada, LATER, "ada-waits-again")

    assert slots.leave_waitlist(call.id, stale) is False
    assert slots.waitlist(call.id) == [current]
    assert slots.leave_waitlist(call.id, current) is True
    assert slots.waitlist(call.id) == []
    assert slots.leave_waitlist(call.id, current) is False


def test_no_slot_is_taken_before_the_workflow_counts_one(slots: SlotStore, call: Call) -> None:
    assert slots.slots_taken(call.id) == 0
    assert slots.waitlist(call.id) == []


def test_a_waitlist_entry_is_apart_from_the_calls_items_and_expires_with_its_application(
    slots: SlotStore, call: Call, submitted: Submit, dynamodb: DynamoDBClient
) -> None:
    """The worker writes the entries, and IAM can hold it to a partition (dynamodb:LeadingKeys), never to a sort
    key: under CALL#<call id> they would sit beside the slot counter it must not touch."""
    ada = submitted()
    entry = slots.join_waitlist(ada, EARLIER, "ada-waits")

    stored = dynamodb.get_item(TableName=TABLE_NAME, Key=waitlist_key(call.id, entry.key))["Item"]
    assert stored["pk"] == waitlist_partition(call.id) != call_partition(call.id)
    assert int(from_item(stored)["expires_at"]) == ada.expires_at
    calls_items = dynamodb.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": call_partition(call.id)},
    )["Items"]
    assert calls_items == []


def test_an_earlier_versions_entry_keeps_its_place_and_is_never_removed(
    slots: SlotStore, call: Call, submitted: Submit, dynamodb: DynamoDBClient
) -> None:
    """Before the entries had a partition of their own they were CALL#<call id>, WAITLIST#<since>#<id>: read in
    their place, and left where they are (the worker may no longer write there) once their callback is gone."""
    ada, grace = submitted(), submitted(GRACE)
    earlier = call_key(call.id, EARLIER_WAITLIST + waitlist_sort_key(EARLIER, ada.id))
    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item=earlier | {"application_id": {"S": ada.id}, "task_token": {"S": "ada-waits"}},
    )
    slots.join_waitlist(grace, LATER, "grace-waits")

    queue = slots.waitlist(call.id)
    assert [(e.application_id, e.task_token, e.earlier) for e in queue] == [
        (ada.id, "ada-waits", True),
        (grace.id, "grace-waits", False),
    ]
    assert slots.leave_waitlist(call.id, queue[0]) is False
    assert "Item" in dynamodb.get_item(TableName=TABLE_NAME, Key=earlier)
