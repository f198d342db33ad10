"""Revoking one organiser's emailed links, alone: their overview link and the review links it hands out.

An overview link shows every applicant's data and, on each row, that organiser's review links: whoever
holds it can vote as them. Revoking it touches no other organiser's links and no applicant's (which
rotating the signing secret would). The revocation is a moment, kept under its own key (see
chalicelib/stores/__init__.py).

Signing needs no read: every link carries the moment it was signed (itsdangerous stamps it), so the
worker signs the links of each organiser email as before, and the next email after a revocation
brings working links. A revocation only ever moves forward (a conditional write): a late or repeated
command never brings revoked links back. `make revoke-overview` (deploy/revoke.py) writes it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.stores.table import LINKS, REVOKED, TableStore, error_code


def revocation_key(call_id: str, organiser: str) -> dict[str, Any]:
    digest = hashlib.sha256(organiser.strip().casefold().encode()).hexdigest()[:16]
    return {"pk": {"S": f"{REVOKED}{call_id}#{digest}"}, "sk": {"S": LINKS}}


class RevocationStore(TableStore):
    def revoke(self, call_id: str, organiser: str, at: datetime) -> datetime:
        """Refuse the organiser's links signed before `at`; returns the revocation now in force, which
        is a later one if another command got there first."""
        from botocore.exceptions import ClientError

        try:
            self._client.update_item(
                TableName=self._table,
                Key=revocation_key(call_id, organiser),
                UpdateExpression="SET revoked_at = :at",
                ConditionExpression="attribute_not_exists(revoked_at) OR revoked_at < :at",
                ExpressionAttributeValues={":at": {"N": _epoch(at)}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
        return self.revoked_at(call_id, organiser) or at

    def revoked_at(self, call_id: str, organiser: str) -> datetime | None:
        item = self._item(revocation_key(call_id, organiser))
        return None if item is None else datetime.fromtimestamp(float(item["revoked_at"]), UTC)

    def allows(self, call_id: str, organiser: str, issued_at: datetime) -> bool:
        """Whether a link of this organiser's, signed at `issued_at`, still works.

        Links are stamped in whole seconds (rounded down): one signed in the second of the revocation,
        even just after it, is refused with the older ones; the next email brings a working one."""
        revoked = self.revoked_at(call_id, organiser)
        return revoked is None or issued_at > revoked


def _epoch(at: datetime) -> str:
    return str(Decimal(str(at.timestamp())).quantize(Decimal("0.001")))
