"""The vote store: each organiser's vote is written once, in one transaction with the tally, and only while
the review is open. These call the store directly, as two clicks racing past the review desk's own
checks would: the transaction's conditions are the last word."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.faults import Fault
from chalicelib.models import Application, Vote
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.table import application_key
from chalicelib.stores.votes import AlreadyVoted, ReviewOver, VoteStore
from chalicelib.vocabulary import Outcome, Status
from tests.fast.conftest import NOW, TABLE_NAME, Submit, faulty_client, item, sort_keys
from tests.support import MODERATOR, PROGRAMME, TRACK

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ORGANISERS = (MODERATOR, PROGRAMME, TRACK)
# The default call: two approvals accept, two rejections decline.
QUORUM = {"approvals_needed": 2, "rejections_needed": 2}


def vote(votes: VoteStore, application: Application, organiser: int, outcome: Outcome, note: str = "") -> Application:
    cast = Vote(organiser=ORGANISERS[organiser], outcome=outcome, at=NOW.isoformat(), note=note)
    return votes.record_vote(application.id, organiser, cast, **QUORUM, expires_at=application.expires_at)


def tally(application: Application) -> tuple[int, int, list[tuple[str, str]]]:
    return application.approvals, application.rejections, [(v.organiser, v.outcome.value) for v in application.votes]


def test_a_vote_is_counted_with_its_tally_and_kept_as_long_as_the_application(
    votes: VoteStore, dynamodb: DynamoDBClient, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    counted = vote(votes, ada, 1, Outcome.REJECT, note="Great story, but we have three like it.")

    assert tally(counted) == (0, 1, [(PROGRAMME, "reject")])
    stored = item(dynamodb, application_key(ada.id, "VOTE#1"))
    assert stored is not None
    assert stored["note"]["S"] == "Great story, but we have three like it."
    assert int(stored["expires_at"]["N"]) == ada.expires_at


def test_a_second_vote_by_the_same_organiser_counts_nothing(
    votes: VoteStore, applications: ApplicationStore, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    vote(votes, ada, 0, Outcome.APPROVE)

    # The same organiser, from a second tab that still showed the buttons: reject this time.
    with pytest.raises(AlreadyVoted) as already:
        vote(votes, ada, 0, Outcome.REJECT)
    assert already.value.vote.outcome == "approve"
    assert tally(applications.get(ada.id)) == (1, 0, [(MODERATOR, "approve")])


@pytest.mark.parametrize(
    ("approvals", "rejections"),
    [(2, 0), (0, 2)],
    ids=["after the approval quorum", "after the rejection quorum"],
)
def test_a_vote_after_the_quorum_counts_nothing(
    approvals: int,
    rejections: int,
    votes: VoteStore,
    applications: ApplicationStore,
    dynamodb: DynamoDBClient,
    submitted: Submit,
) -> None:
    # The quorum is counted, and the workflow has not yet moved the application on: still in review.
    ada = submitted(status=Status.IN_REVIEW, approvals=approvals, rejections=rejections)
    for outcome in Outcome:
        with pytest.raises(ReviewOver):
            vote(votes, ada, 2, outcome)
    stored = applications.get(ada.id)
    assert (stored.approvals, stored.rejections) == (approvals, rejections)
    assert sort_keys(dynamodb, f"APP#{ada.id}") == {"APPLICATION"}


@pytest.mark.parametrize(
    ("status", "withdraw_requested"),
    [
        # Before the acknowledgement opened the review, or after it expired.
        *((status, False) for status in (Status.SUBMITTED, Status.APPROVED, Status.DECLINED, Status.EXPIRED)),
        # The applicant withdrew; the workflow has not yet recorded it, so the status is still in review.
        (Status.IN_REVIEW, True),
    ],
    ids=["submitted", "approved", "declined", "expired", "withdrawn-still-in-review"],
)
def test_a_vote_outside_the_review_counts_nothing(
    status: Status,
    withdraw_requested: bool,
    votes: VoteStore,
    applications: ApplicationStore,
    dynamodb: DynamoDBClient,
    submitted: Submit,
) -> None:
    # One approval short of the quorum.
    ada = submitted(status=status, approvals=1, withdraw_requested=withdraw_requested)
    with pytest.raises(ReviewOver) as over:
        vote(votes, ada, 1, Outcome.APPROVE)
    assert over.value.application.status == status
    assert applications.get(ada.id).approvals == 1
    assert sort_keys(dynamodb, f"APP#{ada.id}") == {"APPLICATION"}


def test_a_vote_cancelled_by_a_passing_conflict_is_tried_again_and_counted_once(submitted: Submit) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    conflict = Fault(
        "dynamodb.TransactWriteItems", "TransactionCanceledException", times=2, reasons=("None", "TransactionConflict")
    )

    counted = vote(VoteStore(faulty_client("dynamodb", conflict), TABLE_NAME), ada, 0, Outcome.APPROVE)
    assert conflict.raised == 2
    assert tally(counted) == (1, 0, [(MODERATOR, "approve")])
