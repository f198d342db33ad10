"""What the table keeps of each call that has applications: its settings as they were when its latest
application arrived, so that a call whose file was removed runs on, closed, until its retention ends; and
how long the call's slot counter lasts (as long as its latest application)."""

from __future__ import annotations

import json
from dataclasses import replace

from chalicelib.call import Call
from chalicelib.stores.table import CALL_RECORD, SLOTS, TableStore, call_key

# An application that keeps its data longer than the one arriving now keeps the call's items as long.
LASTS_LONGER = "attribute_not_exists(expires_at) OR expires_at <= :expires"


class CallRecords(TableStore):
    def keep(self, call: Call, expires_at: int) -> None:
        """Write the call's settings; they, and the call's slot counter, stay as long as its latest application
        (DynamoDB's TTL). Only the workflow counts slots: this writes the counter's expiry, never its count."""
        values = {":call": {"S": json.dumps(call.as_validated(), sort_keys=True)}, ":expires": {"N": str(expires_at)}}
        self._conditional(
            self._client.update_item,
            Key=call_key(call.id, SLOTS),
            UpdateExpression="SET expires_at = :expires",
            ConditionExpression=LASTS_LONGER,
            ExpressionAttributeValues={":expires": values[":expires"]},
        )
        lasts_longer = self._conditional(
            self._client.update_item,
            Key=call_key(call.id, CALL_RECORD),
            UpdateExpression="SET #call = :call, expires_at = :expires",
            ConditionExpression=LASTS_LONGER,
            ExpressionAttributeNames={"#call": "call"},
            ExpressionAttributeValues=values,
        )
        if not lasts_longer:
            self._client.update_item(
                TableName=self._table,
                Key=call_key(call.id, CALL_RECORD),
                UpdateExpression="SET #call = :call",
                ExpressionAttributeNames={"#call": "call"},
                ExpressionAttributeValues={":call": values[":call"]},
            )

    def removed_call(self, call_id: str) -> Call | None:
        """The call as the table keeps it, closed: its file is gone, so it takes no more applications."""
        item = self._item(call_key(call_id, CALL_RECORD))
        if item is None:
            return None
        return replace(Call.from_validated(json.loads(item["call"])), closed=True)
