"""Revoking one organiser's emailed links, alone: their overview link and the review links it hands out, of
every call they organise.

An overview link shows every applicant's data and, on each row, that organiser's review links: whoever
holds it can vote as them. Revoking it touches no other organiser's links and no applicant's (which
rotating the signing secret would). The revocation is a moment, kept under its own key (see
chalicelib/stores/__init__.py).

Signing needs no read: every link carries the moment it was signed (itsdangerous stamps it), so the
worker signs the links of each organiser email as before, and the next email after a revocation
brings working links. A revocation only ever moves forward (a conditional write): a late or repeated
command never brings revoked links back. `make revoke-overview` (deploy/revoke.py) writes it.

One-call versions kept a revocation per call; the store still reads those of the default call (the only
call then), so that links revoked before an upgrade stay revoked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.links import OVERVIEW_LINK_LIFETIME
from chalicelib.stores.table import TableStore, one_call_revocation_key, revocation_key

# A revocation is kept until every link it refuses has expired of itself: an organiser's review links last
# their call's review window and a day, their overview link a year.
REVOCATION_KEPT = OVERVIEW_LINK_LIFETIME + timedelta(days=1)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class RevocationStore(TableStore):
    def __init__(self, client: DynamoDBClient, table_name: str, default_call_id: str | None = None) -> None:
        super().__init__(client, table_name)
        # The call of the one-call versions, whose revocations are still read.
        self._default_call_id = default_call_id

    def revoke(self, organiser: str, at: datetime) -> datetime:
        """Refuse the organiser's links signed before `at`; returns the revocation now in force, which
        is a later one if another command got there first. It lasts until the links it refuses have expired."""
        self._conditional(
            self._client.update_item,
            Key=revocation_key(organiser),
            UpdateExpression="SET revoked_at = :at, expires_at = :expires",
            ConditionExpression="attribute_not_exists(revoked_at) OR revoked_at < :at",
            ExpressionAttributeValues={
                ":at": {"N": _epoch(at)},
                ":expires": {"N": str(int((at + REVOCATION_KEPT).timestamp()))},
            },
        )
        return self.revoked_at(organiser) or at

    def revoked_at(self, organiser: str) -> datetime | None:
        """The latest revocation of the organiser's links: this version's, or one a one-call version wrote."""
        keys = [revocation_key(organiser)]
        if self._default_call_id is not None:
            keys.append(one_call_revocation_key(self._default_call_id, organiser))
        response = self._client.batch_get_item(
            RequestItems={self._table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "revoked_at"}}
        )
        moments = [float(item["revoked_at"]["N"]) for item in response["Responses"].get(self._table, [])]
        return datetime.fromtimestamp(max(moments), UTC) if moments else None

    def allows(self, organiser: str, issued_at: datetime) -> bool:
        """Whether a link of this organiser's, signed at `issued_at`, still works.

        Links are stamped in whole seconds (rounded down): one signed in the second of the revocation,
        even just after it, is refused with the older ones; the next email brings a working one."""
        revoked = self.revoked_at(organiser)
        return revoked is None or issued_at > revoked


def _epoch(at: datetime) -> str:
    return str(Decimal(str(at.timestamp())).quantize(Decimal("0.001")))
