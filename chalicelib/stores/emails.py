"""Email markers: an email claimed before it is sent, so that a redelivered task never sends it twice."""

from __future__ import annotations

import hashlib

from chalicelib.stores.table import EMAIL, TableStore, application_key, to_item


class EmailMarkers(TableStore):
    def claim(self, application_id: str, kind: str, recipient: str, at: str) -> bool:
        """Claim the right to send one email; False when it was sent (or claimed) before."""
        key = application_key(application_id, _email_sort_key(kind, recipient))
        return self._put_new(key | to_item({"kind": kind, "at": at}))

    def release(self, application_id: str, kind: str, recipient: str) -> None:
        """Give the claim back after a failed send, so the retry sends it."""
        self._client.delete_item(
            TableName=self._table, Key=application_key(application_id, _email_sort_key(kind, recipient))
        )


def _email_sort_key(kind: str, recipient: str) -> str:
    # Hashed so that the key holds no address.
    digest = hashlib.sha256(recipient.casefold().encode()).hexdigest()[:16]
    return f"{EMAIL}{kind}#{digest}"
