"""Organisers' votes from their review links: a look changes nothing, a vote counts once, and a counted vote
wakes the waiting workflow with the tally its Choice `Tally` reads."""

from __future__ import annotations

import pytest

from chalicelib.call import Call
from chalicelib.links import LinkInvalid, Links
from chalicelib.review import ReviewDesk
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.votes import AlreadyVoted, ReviewOver
from chalicelib.vocabulary import Outcome, Status, WaitKind
from chalicelib.workflow import execution_input
from tests.fast import asl
from tests.fast.conftest import KeepWait, RecordingWorkflow, Submit
from tests.support import DEFAULT_CALL, token_of

MODERATOR, PROGRAMME, TRACK = 0, 1, 2


def review_token(links: Links, application_id: str, organiser: int, outcome: Outcome) -> str:
    """The token of the link in an organiser's review email."""
    return token_of(links.review_links(DEFAULT_CALL, application_id, organiser).of(outcome))


def test_opening_a_review_link_shows_what_a_vote_would_do_and_changes_nothing(
    review_desk: ReviewDesk, applications: ApplicationStore, links: Links, call: Call, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    view = review_desk.open(review_token(links, ada.id, PROGRAMME, Outcome.REJECT))
    assert (view.organiser, view.approving, view.my_vote, view.votes_count) == (
        call.organisers[PROGRAMME],
        False,
        None,
        True,
    )
    assert applications.get(ada.id) == ada


def test_votes_are_counted_and_each_wakes_the_workflow_until_the_quorum(
    review_desk: ReviewDesk,
    workflow: RecordingWorkflow,
    links: Links,
    call: Call,
    submitted: Submit,
    keep_wait: KeepWait,
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    keep_wait(ada.id, WaitKind.VOTE, "review-request")

    first = review_desk.vote(review_token(links, ada.id, MODERATOR, Outcome.APPROVE)).application
    assert (first.approvals, first.rejections) == (1, 0)
    [tally] = workflow.answers_to("review-request")
    assert asl.choose("Tally", execution_input(ada.id, call) | {"tally": tally}) == "AwaitVote"

    keep_wait(ada.id, WaitKind.VOTE, "await-vote")
    second = review_desk.vote(review_token(links, ada.id, TRACK, Outcome.APPROVE), note="Yes please!").application
    assert [(v.organiser, v.outcome.value, v.note) for v in second.votes] == [
        (call.organisers[MODERATOR], "approve", ""),
        (call.organisers[TRACK], "approve", "Yes please!"),
    ]
    [tally] = workflow.answers_to("await-vote")
    assert asl.choose("Tally", execution_input(ada.id, call) | {"tally": tally}) == "QuorumApproves"


def test_a_vote_while_the_workflow_keeps_no_callback_is_counted_for_it_to_read(
    review_desk: ReviewDesk,
    applications: ApplicationStore,
    workflow: RecordingWorkflow,
    links: Links,
    submitted: Submit,
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    review_desk.vote(review_token(links, ada.id, PROGRAMME, Outcome.REJECT))
    assert applications.get(ada.id).rejections == 1
    assert workflow.answered == []  # the worker that keeps the next wait reads the tally (test_worker.py)


def test_a_second_click_by_the_same_organiser_is_told_and_counts_nothing(
    review_desk: ReviewDesk, applications: ApplicationStore, links: Links, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    review_desk.vote(review_token(links, ada.id, MODERATOR, Outcome.APPROVE))

    with pytest.raises(AlreadyVoted) as already:
        review_desk.vote(review_token(links, ada.id, MODERATOR, Outcome.REJECT))
    assert already.value.vote.outcome == "approve"
    stored = applications.get(ada.id)
    assert (stored.approvals, stored.rejections, len(stored.votes)) == (1, 0, 1)
    assert review_desk.open(review_token(links, ada.id, MODERATOR, Outcome.REJECT)).my_vote == already.value.vote


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.EXPIRED, Status.WITHDRAWN])
def test_a_late_vote_is_told_the_review_is_over_and_counts_nothing(
    status: Status,
    review_desk: ReviewDesk,
    applications: ApplicationStore,
    workflow: RecordingWorkflow,
    links: Links,
    submitted: Submit,
) -> None:
    ada = submitted(status=status, approvals=1)
    token = review_token(links, ada.id, TRACK, Outcome.REJECT)
    assert review_desk.open(token).votes_count is False
    with pytest.raises(ReviewOver):
        review_desk.vote(token)
    assert applications.get(ada.id).rejections == 0
    assert workflow.answered == []


def test_a_link_for_an_organiser_or_application_that_does_not_exist_is_refused(
    review_desk: ReviewDesk, links: Links, submitted: Submit
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    for token in (
        review_token(links, ada.id, 7, Outcome.APPROVE),
        review_token(links, "never-submitted", MODERATOR, Outcome.APPROVE),
    ):
        with pytest.raises(LinkInvalid):
            review_desk.vote(token)
