"""Submissions counted per client address and per email address, hour by hour, for the rate limits."""

from __future__ import annotations

import hashlib

from chalicelib.stores.table import TableStore


class RateLimits(TableStore):
    def count_hit(self, key: str, window_end: int) -> int:
        """Count one more hit in this window; the count disappears with the window (TTL)."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        scope = key.partition("#")[0]
        response = self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"RATE#{scope}#{digest}#{window_end}"}, "sk": {"S": "RATE"}},
            UpdateExpression="ADD hits :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(window_end + 3600)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["hits"]["N"])
