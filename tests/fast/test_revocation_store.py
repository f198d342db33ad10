"""Revoking one organiser's links, of every call, against moto in process: the two guards, the comparison of a
link's signing time with the revocation, the conditional write that never moves a revocation back, and the
revocations a one-call version wrote, still in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.call import Call
from chalicelib.links import OVERVIEW_LINK_LIFETIME
from chalicelib.stores.revocations import REVOCATION_KEPT, RevocationStore
from chalicelib.stores.table import one_call_revocation_key, revocation_key
from tests.support import MODERATOR, PROGRAMME

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NOON = datetime(2024, 5, 30, 12, 0, 0, 500_000, tzinfo=UTC)


def test_links_signed_before_a_revocation_are_refused_and_later_ones_work(revocations: RevocationStore) -> None:
    assert revocations.allows(MODERATOR, NOON - timedelta(days=30))  # nothing revoked yet
    revocations.revoke(MODERATOR, NOON)

    # Links carry their signing time in whole seconds: one signed at 12:00:00.9 reads 12:00:00.
    for signed in (NOON - timedelta(days=30), NOON - timedelta(seconds=1), NOON.replace(microsecond=0)):
        assert not revocations.allows(MODERATOR, signed), signed
    assert revocations.allows(MODERATOR, NOON.replace(microsecond=0) + timedelta(seconds=1))
    # Nobody else's.
    assert revocations.allows(PROGRAMME, NOON - timedelta(days=30))
    # The address as the call's file may write it.
    assert not revocations.allows(" Moderator@OW2con.example", NOON - timedelta(seconds=1))


def test_a_revocation_only_moves_forward(revocations: RevocationStore) -> None:
    later = NOON + timedelta(hours=2)
    assert revocations.revoke(MODERATOR, later) == later.replace(microsecond=500_000)
    # A late or repeated command with an earlier moment changes nothing: links signed in between stay refused.
    assert revocations.revoke(MODERATOR, NOON) == later
    assert revocations.revoked_at(MODERATOR) == later
    assert not revocations.allows(MODERATOR, NOON + timedelta(hours=1))
    # A new one later still moves it on.
    assert revocations.revoke(MODERATOR, later + timedelta(days=1)) == later + timedelta(days=1)


def test_a_revocation_of_a_one_call_version_stays_in_force(
    revocations: RevocationStore, dynamodb: DynamoDBClient, table: str, call: Call
) -> None:
    """One-call versions revoked an organiser's links under their call's key (the default call's, the only
    call then); after the upgrade those links, and that organiser's links of every call signed before, stay
    refused."""
    dynamodb.put_item(
        TableName=table,
        Item=one_call_revocation_key(call.id, MODERATOR) | {"revoked_at": {"N": str(NOON.timestamp())}},
    )
    assert not revocations.allows(MODERATOR, NOON - timedelta(seconds=1))
    assert revocations.allows(MODERATOR, NOON + timedelta(seconds=1))
    assert revocations.allows(PROGRAMME, NOON - timedelta(seconds=1))
    # A later revocation of this version wins over it; an earlier one does not bring its links back.
    revocations.revoke(MODERATOR, NOON - timedelta(days=1))
    assert revocations.revoked_at(MODERATOR) == NOON.replace(microsecond=500_000)
    revocations.revoke(MODERATOR, NOON + timedelta(hours=1))
    assert not revocations.allows(MODERATOR, NOON + timedelta(minutes=30))


def test_a_revocation_lasts_until_every_link_it_refuses_has_expired(
    revocations: RevocationStore, dynamodb: DynamoDBClient, table: str
) -> None:
    """DynamoDB's TTL removes it once an overview link signed just before it would be out of date anyway."""
    revocations.revoke(MODERATOR, NOON)
    stored = dynamodb.get_item(TableName=table, Key=revocation_key(MODERATOR))["Item"]
    expires = datetime.fromtimestamp(int(stored["expires_at"]["N"]), UTC)
    assert expires >= NOON + OVERVIEW_LINK_LIFETIME
    assert expires == (NOON + REVOCATION_KEPT).replace(microsecond=0)
