"""Taking in applications, withdrawing them and deleting one's data: the services the applicants' pages call."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import itsdangerous.timed
import pytest

from chalicelib.applications import (
    SMOKE_ADDRESS,
    SMOKE_FIELD,
    CallClosed,
    Erasure,
    InvalidApplication,
    LooksAutomated,
    RateLimited,
    Submissions,
    Withdrawals,
)
from chalicelib.call import Call
from chalicelib.links import SMOKE_MARKER_LIFETIME, LinkLifetimes, Links
from chalicelib.models import HistoryEvent
from chalicelib.stores.applications import ApplicationStore, CannotWithdraw
from chalicelib.stores.rates import RateLimits
from chalicelib.vocabulary import Event, Status, WaitKind
from tests.fast.conftest import NOW, Clock, KeepWait, RecordingWorkflow, Submit
from tests.support import STORY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HOUR_LEFT = 30 * 60  # NOW is 09:30: the hour's window ends at 10:00


# Submissions ---------------------------------------------------------------------------------


def test_a_story_is_stored_once_and_a_repeat_gives_back_the_first(
    submissions: Submissions, applications: ApplicationStore, call: Call
) -> None:
    first, created = submissions.submit(STORY, "192.0.2.1", "fr")
    assert created and (first.status, first.language, first.call_id) == ("submitted", "fr", call.id)
    assert first.expires_at == call.expiry_of(NOW)

    again, created_again = submissions.submit(STORY | {"email": "ADA@example.org", "summary": "x" * 80}, "192.0.2.1")
    assert created_again is False and again.id == first.id
    assert [a.summary for a in applications.applications(call.id)] == [STORY["summary"]]


def test_a_closed_call_stores_nothing(
    applications: ApplicationStore, rates: RateLimits, call: Call, dynamodb: DynamoDBClient, table: str
) -> None:
    closed = Submissions(applications, rates, replace(call, deadline=datetime(2024, 5, 1, tzinfo=NOW.tzinfo)))
    with pytest.raises(CallClosed):
        closed.submit(STORY, "192.0.2.1")
    assert dynamodb.scan(TableName=table)["Items"] == []


@pytest.mark.parametrize("trap", ["https://spam.example", " x ", 0, False])
def test_a_filled_in_honeypot_stores_nothing(
    trap: object, submissions: Submissions, dynamodb: DynamoDBClient, table: str
) -> None:
    with pytest.raises(LooksAutomated):
        submissions.submit(STORY | {"website": trap}, "192.0.2.1")
    assert dynamodb.scan(TableName=table)["Items"] == []


def test_an_empty_honeypot_is_a_person(submissions: Submissions) -> None:
    assert submissions.submit(STORY | {"website": "  "}, "192.0.2.1")[1] is True


def test_mistakes_name_their_fields_and_store_no_application(
    submissions: Submissions, applications: ApplicationStore, call: Call
) -> None:
    with pytest.raises(InvalidApplication) as invalid:
        submissions.submit(STORY | {"email": "ada.example.org", "consent": ""}, "192.0.2.1")
    assert set(invalid.value.errors) == {"email", "consent"}
    assert list(applications.applications(call.id)) == []


def test_one_email_address_may_apply_only_so_often_an_hour(
    submissions: Submissions, applications: ApplicationStore, call: Call
) -> None:
    per_hour = call.submissions_per_email_per_hour
    for n in range(per_hour):
        submissions.submit(STORY | {"title": f"Story number {n}"}, f"192.0.2.{n}")

    with pytest.raises(RateLimited) as limited:
        submissions.submit(STORY | {"email": "Ada@Example.org", "title": "One story too many"}, "192.0.2.99")
    assert (limited.value.scope, limited.value.retry_after) == ("email", HOUR_LEFT)
    assert len(list(applications.applications(call.id))) == per_hour


def test_one_client_address_may_send_only_so_often_an_hour(
    applications: ApplicationStore, rates: RateLimits, call: Call
) -> None:
    submissions = Submissions(applications, rates, replace(call, submissions_per_address_per_hour=2), lambda: NOW)
    for n in range(2):
        submissions.submit(STORY | {"email": f"person{n}@example.org"}, "198.51.100.7")
    with pytest.raises(RateLimited) as limited:
        submissions.submit(STORY | {"email": "person9@example.org"}, "198.51.100.7")
    assert limited.value.scope == "address"
    assert submissions.submit(STORY | {"email": "person9@example.org"}, "198.51.100.8")[1] is True


# make smoke's application -------------------------------------------------------------------

SMOKE = STORY | {"email": SMOKE_ADDRESS, "title": "Smoke test 1"}
WEEK = LinkLifetimes(review=timedelta(days=7), attendance=timedelta(days=7), overview=timedelta(days=7))


@pytest.fixture
def strict(applications: ApplicationStore, rates: RateLimits, call: Call, links: Links) -> Submissions:
    """One submission an hour per client address and per email address, and the stage's links."""
    limited = replace(call, submissions_per_address_per_hour=1, submissions_per_email_per_hour=1)
    return Submissions(applications, rates, limited, lambda: NOW, links.is_smoke_marker)


def test_a_smoke_test_is_counted_against_no_limit(strict: Submissions, links: Links, call: Call) -> None:
    """Anyone may write to SES's mailbox simulator: were `make smoke` counted with them, anyone could lock it out."""
    strict.submit(STORY | {"email": SMOKE_ADDRESS, "title": "Someone else's"}, "192.0.2.1")
    with pytest.raises(RateLimited):
        strict.submit(STORY | {"email": SMOKE_ADDRESS, "title": "Someone else's again"}, "192.0.2.2")
    for n in (1, 2):
        title = f"Smoke test {n}"
        smoke, created = strict.submit(
            SMOKE | {"title": title, SMOKE_FIELD: links.smoke_marker(call.id, title)}, "192.0.2.1"
        )
        assert created and smoke.smoke is True
    stranger, _ = strict.submit(STORY | {"email": "person@example.org"}, "198.51.100.1")
    assert stranger.smoke is None


def _marker(links: Links, call: Call, title: str = SMOKE["title"]) -> str:
    return links.smoke_marker(call.id, title)


@pytest.mark.parametrize(
    "forged",
    [
        lambda links, call: "not-a-marker",
        lambda links, call: Links("another stage's secret", "https://x", WEEK).smoke_marker(call.id, SMOKE["title"]),
        lambda links, call: links.smoke_marker("ow2con24-public-sector", SMOKE["title"]),
        lambda links, call: links.smoke_marker(call.id, "Another title"),  # a marker makes one application only
        lambda links, call: links.status_url(call.id, "a").rsplit("/", 1)[1],  # another kind of link
    ],
    ids=["text", "another-secret", "another-call", "another-title", "a-status-link"],
)
def test_a_marker_not_signed_for_this_smoke_test_stores_nothing(
    forged: Any, strict: Submissions, links: Links, call: Call, applications: ApplicationStore
) -> None:
    with pytest.raises(InvalidApplication) as invalid:
        strict.submit(SMOKE | {SMOKE_FIELD: forged(links, call)}, "192.0.2.1")
    assert list(invalid.value.errors) == [SMOKE_FIELD]
    assert list(applications.applications(call.id)) == []


def test_a_smoke_test_writes_to_the_simulator_only(strict: Submissions, links: Links, call: Call) -> None:
    with pytest.raises(InvalidApplication) as invalid:
        strict.submit(SMOKE | {"email": "ada@example.org", SMOKE_FIELD: _marker(links, call)}, "192.0.2.1")
    assert list(invalid.value.errors) == [SMOKE_FIELD]


def test_a_smoke_tests_marker_lasts_minutes(
    strict: Submissions, links: Links, call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = _marker(links, call)
    signed = time.time()
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: signed + 60))
    assert links.is_smoke_marker(marker, call.id, SMOKE["title"])
    later = signed + SMOKE_MARKER_LIFETIME.total_seconds() + 2
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(InvalidApplication):
        strict.submit(SMOKE | {SMOKE_FIELD: marker}, "192.0.2.1")


# Withdrawals ---------------------------------------------------------------------------------


def test_a_withdrawal_under_review_flags_the_application_and_ends_the_wait(
    withdrawals: Withdrawals,
    applications: ApplicationStore,
    workflow: RecordingWorkflow,
    submitted: Submit,
    keep_wait: KeepWait,
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    keep_wait(ada.id, WaitKind.VOTE, "review-request")

    assert withdrawals.withdraw(ada).withdraw_requested is True
    assert applications.get(ada.id).withdraw_requested is True
    assert workflow.errors_to("review-request") == ["Withdrawn"]


def test_a_withdrawal_between_two_waits_is_left_for_the_next_wait_to_see(
    withdrawals: Withdrawals, applications: ApplicationStore, workflow: RecordingWorkflow, submitted: Submit
) -> None:
    ada = submitted(status=Status.APPROVED)  # the workflow is taking a slot: nothing waits
    withdrawals.withdraw(ada)
    assert applications.get(ada.id).withdraw_requested is True
    assert workflow.failed == []


def test_a_confirmed_speaker_may_cancel_until_the_session_starts(
    withdrawals: Withdrawals,
    applications: ApplicationStore,
    workflow: RecordingWorkflow,
    submitted: Submit,
    keep_wait: KeepWait,
    call: Call,
    clock: Clock,
) -> None:
    ada = submitted(status=Status.CONFIRMED)
    keep_wait(ada.id, WaitKind.SESSION, "the-session")
    assert clock.now < call.starts_at
    withdrawals.withdraw(ada, "My flight was cancelled.")
    stored = applications.get(ada.id)
    assert (stored.withdraw_requested, stored.withdraw_reason) == (True, "My flight was cancelled.")
    assert workflow.errors_to("the-session") == ["Withdrawn"]


def test_once_the_session_has_started_a_confirmed_speaker_cannot_cancel(
    withdrawals: Withdrawals,
    applications: ApplicationStore,
    workflow: RecordingWorkflow,
    submitted: Submit,
    keep_wait: KeepWait,
    call: Call,
    clock: Clock,
) -> None:
    ada = submitted(status=Status.CONFIRMED)
    keep_wait(ada.id, WaitKind.SESSION, "the-session")
    clock.now = call.starts_at
    with pytest.raises(CannotWithdraw):
        withdrawals.withdraw(ada)
    assert applications.get(ada.id).withdraw_requested is False
    assert workflow.failed == []


# Erasure -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "waits", "task_token"),
    [(Status.IN_REVIEW, WaitKind.VOTE, "review-request"), (Status.CONFIRMED, WaitKind.SESSION, "the-session")],
    ids=["under-review", "confirmed-speaker-before-the-session-cancels"],
)
def test_deleting_ones_data_while_the_workflow_waits_withdraws_first(
    status: Status,
    waits: WaitKind,
    task_token: str,
    erasure: Erasure,
    workflow: RecordingWorkflow,
    submitted: Submit,
    keep_wait: KeepWait,
) -> None:
    ada = submitted(status=status)
    keep_wait(ada.id, waits, task_token)

    erased = erasure.erase(ada)
    assert erased.erased and erased.withdraw_requested and (erased.name, erased.email) == ("", "")
    assert workflow.errors_to(task_token) == ["Withdrawn"]


def test_the_history_says_when_the_data_was_deleted_by_the_services_clock(
    erasure: Erasure, clock: Clock, submitted: Submit
) -> None:
    ada = submitted(status=Status.DECLINED)
    clock.advance(days=40)
    assert erasure.erase(ada).history[-1] == HistoryEvent(event=Event.DATA_DELETED, at=clock().isoformat())


@pytest.mark.parametrize("status", [Status.DECLINED, Status.NOT_SELECTED])
def test_deleting_ones_data_after_the_end_withdraws_nothing(
    status: Status, erasure: Erasure, workflow: RecordingWorkflow, submitted: Submit, keep_wait: KeepWait
) -> None:
    ada = submitted(status=status)
    keep_wait(ada.id, WaitKind.CONFIRMATION, "an-old-acceptance")

    erased = erasure.erase(ada)
    assert erased.erased and erased.status == status and not erased.withdraw_requested
    assert workflow.failed == []


def test_deleting_ones_data_after_withdrawing_does_not_withdraw_again(
    erasure: Erasure, withdrawals: Withdrawals, workflow: RecordingWorkflow, submitted: Submit, keep_wait: KeepWait
) -> None:
    ada = submitted(status=Status.ACCEPTED)
    keep_wait(ada.id, WaitKind.CONFIRMATION, "acceptance")
    withdrawn = withdrawals.withdraw(ada)
    # Whatever wait is on record now, a second withdrawal would fail it.
    keep_wait(ada.id, WaitKind.PROMOTION, "not-to-be-ended-twice")

    assert erasure.erase(withdrawn).erased
    assert [f.task_token for f in workflow.failed] == ["acceptance"]
