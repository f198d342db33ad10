"""Email markers: each email is claimed ("sending", for a lease) before it is sent and marked "sent"
after, so that a redelivered task neither repeats an email nor loses one (the pattern of the
Powertools idempotency utility: in progress with an expiry, then done)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.stores.table import StorageError, TableStore, application_key, email_sort_key, to_item

SENDING = "sending"
SENT = "sent"


class EmailBeingSent(StorageError):
    """Another delivery of the same task claimed this email and may be sending it now: try again after its lease."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"the email {kind} is being sent by another delivery of its task")
        self.kind = kind


class EmailMarkers(TableStore):
    def claim(
        self,
        application_id: str,
        kind: str,
        recipient: str,
        now: datetime,
        lease: timedelta,
        expires_at: int | None = None,
    ) -> bool:
        """Claim the right to send one email for `lease`: True to send it now, False when it was sent before.

        A claim whose lease ran out (its worker died before SES answered) is taken over. Raises
        EmailBeingSent while another claim's lease runs. A marker of an earlier version, without a
        state, counts as sent. The marker expires with its application, at `expires_at` (DynamoDB's TTL).
        """
        key = application_key(application_id, email_sort_key(kind, recipient))
        claim = {
            "kind": kind,
            "state": SENDING,
            "at": now.isoformat(),
            "lease_until": int((now + lease).timestamp()),
            "expires_at": expires_at,
        }
        if self._conditional(
            self._client.put_item,
            Item=key | to_item(claim),
            ConditionExpression="attribute_not_exists(pk) OR (#state = :sending AND lease_until < :now)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_item({":sending": SENDING, ":now": int(now.timestamp())}),
        ):
            return True
        existing = self._item(key)
        if existing is not None and existing.get("state", SENT) == SENT:
            return False
        raise EmailBeingSent(kind)

    def sent(self, application_id: str, kind: str, recipient: str, at: datetime) -> None:
        """SES took the email: no later delivery sends it again."""
        self._client.update_item(
            TableName=self._table,
            Key=application_key(application_id, email_sort_key(kind, recipient)),
            UpdateExpression="SET #state = :sent, sent_at = :at REMOVE lease_until",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_item({":sent": SENT, ":at": at.isoformat()}),
        )

    def release(self, application_id: str, kind: str, recipient: str) -> None:
        """Give a claim back after SES refused the email, so that the retry sends it; a sent one stays."""
        self._delete_if(
            application_key(application_id, email_sort_key(kind, recipient)),
            "#state = :sending",
            {"#state": "state"},
            {":sending": {"S": SENDING}},
        )

    def state(self, application_id: str, kind: str, recipient: str) -> str | None:
        """ "sending", "sent", or None when the email was never claimed."""
        item = self._item(application_key(application_id, email_sort_key(kind, recipient)))
        return None if item is None else str(item.get("state", SENT))
