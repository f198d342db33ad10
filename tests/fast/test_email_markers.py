"""Email markers: an email is claimed ("sending", with a lease) before SES and marked "sent" after, so a
redelivered task neither repeats an email nor loses one. Each guard of chalicelib/stores/emails.py fails here."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.stores.emails import EmailBeingSent, EmailMarkers
from chalicelib.stores.table import application_key, email_sort_key
from tests.fast.conftest import NOW, TABLE_NAME, item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LEASE = timedelta(seconds=35)
ADA = "ada@example.org"


def test_an_email_is_claimed_once_and_a_second_delivery_waits_while_the_claim_runs(
    email_markers: EmailMarkers,
) -> None:
    assert email_markers.claim("app", "acknowledge#0", ADA, NOW, LEASE) is True
    with pytest.raises(EmailBeingSent):
        email_markers.claim("app", "acknowledge#0", ADA, NOW + timedelta(seconds=34), LEASE)
    assert email_markers.state("app", "acknowledge#0", ADA) == "sending"


def test_a_claim_whose_worker_died_is_taken_over_once_its_lease_ran_out(email_markers: EmailMarkers) -> None:
    email_markers.claim("app", "acceptance#0", ADA, NOW, LEASE)
    # The worker died before SES answered: the next delivery, after the lease, sends the email.
    assert email_markers.claim("app", "acceptance#0", ADA, NOW + LEASE + timedelta(seconds=1), LEASE) is True


def test_a_sent_email_is_never_claimed_again_even_long_after(email_markers: EmailMarkers) -> None:
    email_markers.claim("app", "confirmation#0", ADA, NOW, LEASE)
    email_markers.sent("app", "confirmation#0", ADA, NOW)
    assert email_markers.claim("app", "confirmation#0", ADA, NOW + timedelta(days=3), LEASE) is False
    assert email_markers.state("app", "confirmation#0", ADA) == "sent"


def test_a_sent_email_is_not_claimed_again_even_if_its_marker_kept_a_lease(
    email_markers: EmailMarkers, dynamodb: DynamoDBClient, table: str
) -> None:
    # `sent` removes the lease; were one left behind (a write cut short, a future change), the marker's
    # state alone must keep the email from going out twice.
    key = application_key("app", email_sort_key("confirmation#0", ADA))
    email_markers.claim("app", "confirmation#0", ADA, NOW, LEASE)
    email_markers.sent("app", "confirmation#0", ADA, NOW)
    dynamodb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET lease_until = :past",
        ExpressionAttributeValues={":past": {"N": "0"}},
    )
    assert email_markers.claim("app", "confirmation#0", ADA, NOW + timedelta(days=3), LEASE) is False
    assert email_markers.state("app", "confirmation#0", ADA) == "sent"


def test_a_refused_email_gives_its_claim_back_but_a_sent_one_keeps_its_mark(email_markers: EmailMarkers) -> None:
    email_markers.claim("app", "decline#0", ADA, NOW, LEASE)
    email_markers.release("app", "decline#0", ADA)  # SES refused it: the retry may send it
    assert email_markers.state("app", "decline#0", ADA) is None
    assert email_markers.claim("app", "decline#0", ADA, NOW, LEASE) is True

    email_markers.sent("app", "decline#0", ADA, NOW)
    email_markers.release("app", "decline#0", ADA)  # a late release after the send changes nothing
    assert email_markers.state("app", "decline#0", ADA) == "sent"


def test_each_recipient_and_each_round_has_a_marker_of_its_own(email_markers: EmailMarkers) -> None:
    email_markers.claim("app", "review_reminder#0", "moderator@ow2con.example", NOW, LEASE)
    assert email_markers.claim("app", "review_reminder#0", "programme@ow2con.example", NOW, LEASE) is True
    assert email_markers.claim("app", "review_reminder#1", "moderator@ow2con.example", NOW, LEASE) is True
    # The case of an address does not make a second recipient.
    with pytest.raises(EmailBeingSent):
        email_markers.claim("app", "review_reminder#0", "Moderator@OW2con.example", NOW, LEASE)


def test_a_marker_of_the_earlier_version_counts_as_sent(
    email_markers: EmailMarkers, dynamodb: DynamoDBClient, table: str
) -> None:
    key = application_key("app", email_sort_key("acknowledge#0", ADA))
    dynamodb.put_item(TableName=table, Item=key | {"kind": {"S": "acknowledge#0"}, "at": {"S": NOW.isoformat()}})
    assert email_markers.claim("app", "acknowledge#0", ADA, NOW + timedelta(days=1), LEASE) is False
    assert item(dynamodb, key) == key | {"kind": {"S": "acknowledge#0"}, "at": {"S": NOW.isoformat()}}


def test_the_marker_holds_no_address(email_markers: EmailMarkers, dynamodb: DynamoDBClient) -> None:
    email_markers.claim("app", "acknowledge#0", ADA, NOW, LEASE)
    stored = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    assert stored and ADA not in str(stored) and "ada" not in str(stored)
