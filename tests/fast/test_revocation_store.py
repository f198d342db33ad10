"""Revoking one organiser's links, of every call, against moto in process: the two guards, the comparison of a
link's signing time with the revocation, the conditional write that never moves a revocation back, and the
revocations a one-call version wrote, still in force."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.stores.revocations import RevocationStore, one_call_revocation_key
from local.emulator import REGION

CALL = "ow2con24-ospo-heroes"
MODERATOR, PROGRAMME = "moderator@ow2con.example", "programme@ow2con.example"
NOON = datetime(2024, 5, 30, 12, 0, 0, 500_000, tzinfo=UTC)


@pytest.fixture
def revocations(monkeypatch: pytest.MonkeyPatch) -> Iterator[RevocationStore]:
    """The store on a table of the deploy's shape (pk, sk), in an in-process moto account."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="applications",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield RevocationStore(client, "applications", CALL)


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


def test_a_revocation_of_a_one_call_version_stays_in_force(revocations: RevocationStore) -> None:
    """One-call versions revoked an organiser's links under their call's key; after the upgrade those links,
    and that organiser's links of every call signed before, stay refused."""
    revocations._client.put_item(
        TableName="applications",
        Item=one_call_revocation_key(CALL, MODERATOR) | {"revoked_at": {"N": str(NOON.timestamp())}},
    )
    assert not revocations.allows(MODERATOR, NOON - timedelta(seconds=1))
    assert revocations.allows(MODERATOR, NOON + timedelta(seconds=1))
    assert revocations.allows(PROGRAMME, NOON - timedelta(seconds=1))
    # A later revocation of this version wins over it; an earlier one does not bring its links back.
    revocations.revoke(MODERATOR, NOON - timedelta(days=1))
    assert revocations.revoked_at(MODERATOR) == NOON.replace(microsecond=500_000)
    revocations.revoke(MODERATOR, NOON + timedelta(hours=1))
    assert not revocations.allows(MODERATOR, NOON + timedelta(minutes=30))
