"""A call's slots and its waitlist: the counter the workflow keeps, and the queue of applications."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.models import Application
from chalicelib.stores.table import (
    SLOTS,
    WAITLIST,
    TableStore,
    application_key,
    call_key,
    call_partition,
    to_item,
    waitlist_sort_key,
)


@dataclass(frozen=True)
class WaitlistEntry:
    key: str
    application_id: str
    task_token: str


class SlotStore(TableStore):
    def slots_taken(self, call_id: str) -> int:
        item = self._item(call_key(call_id, SLOTS))
        return int(item.get("taken", 0)) if item else 0

    def join_waitlist(self, application: Application, now: str, task_token: str) -> WaitlistEntry:
        """Queue the application with the callback that promotes it; one that comes back keeps its place."""
        response = self._client.update_item(
            TableName=self._table,
            Key=application_key(application.id),
            UpdateExpression="SET waitlisted_at = if_not_exists(waitlisted_at, :now)",
            ExpressionAttributeValues={":now": {"S": now}},
            ReturnValues="ALL_NEW",
        )
        since = response["Attributes"]["waitlisted_at"]["S"]
        entry = WaitlistEntry(waitlist_sort_key(since, application.id), application.id, task_token)
        self._client.put_item(
            TableName=self._table,
            Item=call_key(application.call_id, entry.key)
            | to_item({"application_id": application.id, "task_token": task_token}),
        )
        return entry

    def waitlist(self, call_id: str) -> list[WaitlistEntry]:
        """The queue, first come first."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": call_partition(call_id), ":prefix": {"S": WAITLIST}},
            ConsistentRead=True,
        )
        return [
            WaitlistEntry(item["sk"]["S"], item["application_id"]["S"], item["task_token"]["S"])
            for item in response["Items"]
        ]

    def leave_waitlist(self, call_id: str, entry: WaitlistEntry) -> bool:
        """Take an entry off the queue; False if it is gone, or was replaced by a newer wait."""
        return self._delete_if(
            call_key(call_id, entry.key),
            "#token = :token",
            {"#token": "task_token"},
            {":token": {"S": entry.task_token}},
        )
