"""Submissions counted per client address and per email address, hour by hour, for the rate limits."""

from __future__ import annotations

from chalicelib.stores.table import TableStore, rate_key


class RateLimits(TableStore):
    def count_hit(self, scope: str, call_id: str, value: str, window_end: int) -> int:
        """Count one more hit of `value` (an address) in this call's window of the limit `scope`; the count
        disappears with the window (TTL)."""
        response = self._client.update_item(
            TableName=self._table,
            Key=rate_key(scope, call_id, value, window_end),
            UpdateExpression="ADD hits :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(window_end + 3600)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["hits"]["N"])
