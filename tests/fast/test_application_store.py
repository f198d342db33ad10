"""The applications store: an application is stored once, a workflow step is recorded once, and only an
application still on its way can be withdrawn."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.models import Application, Record
from chalicelib.stores.applications import ApplicationStore, CannotWithdraw
from chalicelib.stores.table import ApplicationNotFound, application_key
from chalicelib.vocabulary import WITHDRAWABLE, Event, Status, Undeliverable
from tests.fast.conftest import NOW, Submit, item, sort_keys
from tests.support import GRACE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

AT = NOW.isoformat()


# submit: `attribute_not_exists(pk)` ------------------------------------------------------------


def test_a_repeated_submission_gives_back_the_first_application_unchanged(
    applications: ApplicationStore, submitted: Submit
) -> None:
    first = submitted()
    reworded = first.model_copy(update={"summary": "A reworded summary, sent a minute later by the same person."})

    stored, created = applications.submit(reworded)
    assert created is False
    assert stored.summary == first.summary
    assert applications.get(first.id).summary == first.summary


def test_applications_of_the_call_are_listed_oldest_first(applications: ApplicationStore, submitted: Submit) -> None:
    grace = submitted(GRACE, submitted_at=NOW + timedelta(minutes=5))
    ada = submitted()
    assert [a.id for a in applications.applications(ada.call_id)] == [ada.id, grace.id]
    assert list(applications.applications("another-call")) == []


def test_an_application_that_does_not_exist_is_not_found(applications: ApplicationStore) -> None:
    with pytest.raises(ApplicationNotFound):
        applications.get("nobody")


# record_step: `attribute_exists(pk) AND NOT contains(#recorded, :name)` -----------------------


def test_a_redelivered_task_records_its_step_once(applications: ApplicationStore, submitted: Submit) -> None:
    ada = submitted()
    accepted = Record(status=Status.ACCEPTED, event=Event.SLOT_TAKEN)

    assert applications.record_step(ada.id, accepted, 0, AT) is True
    assert applications.record_step(ada.id, accepted, 0, AT) is False
    stored = applications.get(ada.id)
    assert stored.status == "accepted"
    assert [e.event for e in stored.history] == ["submitted", "slot_taken"]


def test_each_reminder_round_is_a_step_of_its_own(applications: ApplicationStore, submitted: Submit) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    reminded = Record(event=Event.ORGANISERS_REMINDED)

    assert [applications.record_step(ada.id, reminded, round_, AT) for round_ in (0, 1, 1)] == [True, True, False]
    stored = applications.get(ada.id)
    assert [e.event for e in stored.history] == ["submitted", "organisers_reminded", "organisers_reminded"]
    assert stored.status == "in_review"  # a step without a status leaves it


def test_a_step_of_an_application_that_is_gone_writes_nothing(
    applications: ApplicationStore, dynamodb: DynamoDBClient
) -> None:
    # Its retention ended (DynamoDB's TTL deleted it) while a task was on the queue.
    assert applications.record_step("gone", Record(status=Status.FAILED, event=Event.WORKFLOW_FAILED), 0, AT) is False
    assert item(dynamodb, application_key("gone")) is None


# record_undeliverable: `attribute_exists(pk) AND attribute_not_exists(email_bounced)` --------------


def test_an_undeliverable_address_is_marked_once_and_a_later_complaint_changes_nothing(
    applications: ApplicationStore, submitted: Submit
) -> None:
    ada = submitted()
    assert applications.record_undeliverable(ada.id, Undeliverable.BOUNCE, AT) is True
    # SES tells again (a second bounce, then a complaint): the first mark and its one history step stay.
    assert applications.record_undeliverable(ada.id, Undeliverable.BOUNCE, AT) is False
    assert applications.record_undeliverable(ada.id, Undeliverable.COMPLAINT, AT) is False
    stored = applications.get(ada.id)
    assert stored.email_bounced == "bounce"
    assert [e.event for e in stored.history] == ["submitted", "email_bounced"]


def test_a_bounce_for_an_application_that_is_gone_writes_nothing(
    applications: ApplicationStore, dynamodb: DynamoDBClient
) -> None:
    # SES's notification came after the retention deleted the application: nothing is brought back.
    assert applications.record_undeliverable("gone", Undeliverable.BOUNCE, AT) is False
    assert item(dynamodb, application_key("gone")) is None


# request_withdrawal: `attribute_exists(pk) AND #status IN (…withdrawable)` -----------------------


@pytest.mark.parametrize("status", sorted(WITHDRAWABLE))
def test_an_application_on_its_way_can_be_withdrawn(
    status: Status, applications: ApplicationStore, submitted: Submit
) -> None:
    ada = submitted(status=status)
    withdrawing = applications.request_withdrawal(ada.id)
    assert withdrawing.withdraw_requested is True
    assert applications.get(ada.id).withdraw_requested is True


@pytest.mark.parametrize("status", sorted(set(Status) - WITHDRAWABLE))
def test_a_withdrawal_after_the_end_is_refused_and_changes_nothing(
    status: Status, applications: ApplicationStore, submitted: Submit
) -> None:
    # A confirmed speaker, a declined or expired application, one withdrawn already…
    ada = submitted(status=status)
    with pytest.raises(CannotWithdraw) as refused:
        applications.request_withdrawal(ada.id)
    assert refused.value.application.status == status
    assert applications.get(ada.id).withdraw_requested is False


def test_withdrawing_an_application_that_does_not_exist_creates_nothing(
    applications: ApplicationStore, dynamodb: DynamoDBClient
) -> None:
    with pytest.raises(ApplicationNotFound):
        applications.request_withdrawal("never-submitted")
    assert sort_keys(dynamodb, "APP#never-submitted") == set()


def test_an_application_reads_back_as_it_was_stored(applications: ApplicationStore, submitted: Submit) -> None:
    ada: Application = submitted(organisation=None, language="fr")
    assert applications.get(ada.id) == ada
