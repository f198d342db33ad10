"""A call's slots and its waitlist: the counter the workflow keeps, and the queue of applications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.models import Application
from chalicelib.stores.table import (
    EARLIER_WAITLIST,
    SLOTS,
    TableStore,
    application_key,
    call_key,
    call_partition,
    earlier_waitlist_place,
    to_item,
    waitlist_key,
    waitlist_partition,
    waitlist_sort_key,
)


@dataclass(frozen=True)
class WaitlistEntry:
    key: str
    application_id: str
    task_token: str
    # Written by a version that kept the queue under CALL#<call id>, beside the slot counter, where the worker
    # may no longer write: it is read, and skipped once its callback is gone, never removed.
    earlier: bool = False


class SlotStore(TableStore):
    def slots_taken(self, call_id: str) -> int:
        item = self._item(call_key(call_id, SLOTS))
        return int(item.get("taken", 0)) if item else 0

    def join_waitlist(self, application: Application, now: str, task_token: str) -> WaitlistEntry:
        """Queue the application with the callback that promotes it; one that comes back keeps its place. The
        entry expires with the application."""
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
            Item=waitlist_key(application.call_id, entry.key)
            | to_item(
                {"application_id": application.id, "task_token": task_token, "expires_at": application.expires_at}
            ),
        )
        return entry

    def waitlist(self, call_id: str) -> list[WaitlistEntry]:
        """The queue, first come first, with the entries an earlier version wrote."""
        entries = [
            WaitlistEntry(item["sk"]["S"], item["application_id"]["S"], item["task_token"]["S"])
            for item in self._query(waitlist_partition(call_id))
        ]
        entries += [
            WaitlistEntry(
                earlier_waitlist_place(item["sk"]["S"]), item["application_id"]["S"], item["task_token"]["S"], True
            )
            for item in self._query(call_partition(call_id), EARLIER_WAITLIST)
        ]
        return sorted(entries, key=lambda entry: entry.key)

    def leave_waitlist(self, call_id: str, entry: WaitlistEntry) -> bool:
        """Take an entry off the queue; False if it is gone, was replaced by a newer wait, or is an earlier
        version's (which stays, and is skipped once its callback is gone)."""
        if entry.earlier:
            return False
        return self._delete_if(
            waitlist_key(call_id, entry.key),
            "#token = :token",
            {"#token": "task_token"},
            {":token": {"S": entry.task_token}},
        )

    def _query(self, partition: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
        condition = "pk = :pk AND begins_with(sk, :prefix)" if prefix else "pk = :pk"
        values = {":pk": partition} | ({":prefix": {"S": prefix}} if prefix else {})
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        )
        return list(response["Items"])
