"""Revoking one organiser's links, against moto in process: the two guards, the comparison of a link's
signing time with the revocation, and the conditional write that never moves a revocation back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.stores.revocations import RevocationStore
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
        yield RevocationStore(client, "applications")


def test_links_signed_before_a_revocation_are_refused_and_later_ones_work(revocations: RevocationStore) -> None:
    assert revocations.allows(CALL, MODERATOR, NOON - timedelta(days=30))  # nothing revoked yet
    revocations.revoke(CALL, MODERATOR, NOON)

    # Links carry their signing time in whole seconds: one signed at 12:00:00.9 reads 12:00:00.
    for signed in (NOON - timedelta(days=30), NOON - timedelta(seconds=1), NOON.replace(microsecond=0)):
        assert not revocations.allows(CALL, MODERATOR, signed), signed
    assert revocations.allows(CALL, MODERATOR, NOON.replace(microsecond=0) + timedelta(seconds=1))
    # Nobody else's: another organiser, the same address in another call.
    assert revocations.allows(CALL, PROGRAMME, NOON - timedelta(days=30))
    assert revocations.allows("another-call", MODERATOR, NOON - timedelta(days=30))
    # The address as the call's file may write it.
    assert not revocations.allows(CALL, " Moderator@OW2con.example", NOON - timedelta(seconds=1))


def test_a_revocation_only_moves_forward(revocations: RevocationStore) -> None:
    later = NOON + timedelta(hours=2)
    assert revocations.revoke(CALL, MODERATOR, later) == later.replace(microsecond=500_000)
    # A late or repeated command with an earlier moment changes nothing: links signed in between stay refused.
    assert revocations.revoke(CALL, MODERATOR, NOON) == later
    assert revocations.revoked_at(CALL, MODERATOR) == later
    assert not revocations.allows(CALL, MODERATOR, NOON + timedelta(hours=1))
    # A new one later still moves it on.
    assert revocations.revoke(CALL, MODERATOR, later + timedelta(days=1)) == later + timedelta(days=1)
