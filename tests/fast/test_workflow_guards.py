"""The workflow definition's own guards, taken from the committed infra/review.asl.json: the slot counter's
conditional writes, performed on the table, and the comparisons of its Choice states."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.call import Call
from chalicelib.models import Application
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.calls import CallRecords
from chalicelib.stores.slots import SlotStore
from chalicelib.stores.table import SLOTS, call_key, from_item
from chalicelib.vocabulary import Status
from chalicelib.workflow import execution_input, is_submission
from tests.fast import asl
from tests.fast.conftest import Submit, item
from tests.support import GRACE, LINUS, STORY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def call(call: Call) -> Call:
    """Two guest slots, two reminders for the organisers, one for the speaker."""
    return replace(call, guest_slots=2, review_reminders=2, confirmation_reminders=1)


def workflow_input(call: Call, application: Application | str, **results: Any) -> dict[str, Any]:
    """The execution's input as the workflow starts it, with what earlier states put in it (`tally`, `promotion`…)."""
    application_id = application if isinstance(application, str) else application.id
    return execution_input(application_id, call) | results


def counter(dynamodb: DynamoDBClient, call: Call) -> tuple[int, set[str]]:
    """The call's SLOTS item: slots taken, and the applications whose slot is on offer."""
    stored = item(dynamodb, call_key(call.id, SLOTS))
    if stored is None:
        return 0, set()
    slots = from_item(stored)
    return int(slots.get("taken", 0)), set(slots.get("offers", set()))


class Slots:
    """The definition's writes to the call's slot counter, as a workflow performs them."""

    def __init__(self, dynamodb: DynamoDBClient, table: str, call: Call) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._call = call

    def write(self, state: str, application: Application | str, **results: Any) -> str:
        return asl.write(state, workflow_input(self._call, application, **results), self._dynamodb, self._table)

    def take(self, application: Application | str) -> str:
        return self.write("TakeSlot", application)

    def offer(self, releaser: Application | str) -> str:
        return self.write("OfferSlot", releaser)

    def claim(self, application: Application | str, offer: str) -> str:
        return self.write("ClaimOffer", application, promotion={"promoted": True, "offer": offer})

    def release(self, releaser: Application | str) -> str:
        return self.write("ReleaseSlot", releaser)


@pytest.fixture
def workflow_slots(dynamodb: DynamoDBClient, table: str, call: Call) -> Slots:
    return Slots(dynamodb, table, call)


# TakeSlot: `attribute_not_exists(taken) OR taken < :slots` --------------------------------------


def test_the_first_approval_of_a_call_takes_a_slot_before_any_counter_exists(
    workflow_slots: Slots, slots: SlotStore, dynamodb: DynamoDBClient, call: Call, submitted: Submit
) -> None:
    assert item(dynamodb, call_key(call.id, SLOTS)) is None
    assert workflow_slots.take(submitted()) == "Accept"
    assert slots.slots_taken(call.id) == 1


def test_approvals_take_the_slots_up_to_the_limit_and_the_next_joins_the_waitlist(
    workflow_slots: Slots, slots: SlotStore, call: Call, submitted: Submit
) -> None:
    ada, grace, linus = submitted(), submitted(GRACE), submitted(LINUS)
    assert [workflow_slots.take(ada), workflow_slots.take(grace)] == ["Accept", "Accept"]
    assert workflow_slots.take(linus) == "JoinWaitlist"
    assert slots.slots_taken(call.id) == 2


# ClaimOffer: `contains(offers, :releaser)` -------------------------------------------------------


def test_a_released_slot_stays_taken_while_offered_and_the_woken_application_claims_it(
    workflow_slots: Slots, dynamodb: DynamoDBClient, call: Call, submitted: Submit
) -> None:
    ada, grace = submitted(), submitted(GRACE)
    workflow_slots.take(ada)
    assert workflow_slots.offer(ada) == "PromoteNext"
    assert counter(dynamodb, call) == (1, {ada.id})

    assert workflow_slots.claim(grace, offer=ada.id) == "RecordPromoted"
    assert counter(dynamodb, call) == (1, set())


def test_a_second_application_woken_with_the_same_offer_finds_it_claimed_and_tries_for_a_free_slot(
    workflow_slots: Slots, dynamodb: DynamoDBClient, call: Call, submitted: Submit
) -> None:
    ada, bob, grace, linus = (
        submitted(),
        submitted(STORY | {"title": "Bob's story"}),
        submitted(GRACE),
        submitted(LINUS),
    )
    workflow_slots.take(ada)
    workflow_slots.take(bob)
    workflow_slots.offer(ada)
    assert workflow_slots.claim(grace, offer=ada.id) == "RecordPromoted"

    assert workflow_slots.claim(linus, offer=ada.id) == "TakeSlot"
    assert workflow_slots.take(linus) == "JoinWaitlist"  # both slots are held: Grace's and Bob's
    assert counter(dynamodb, call) == (2, set())


def test_a_claim_of_an_offer_made_by_someone_else_takes_nothing(
    workflow_slots: Slots, dynamodb: DynamoDBClient, call: Call, submitted: Submit
) -> None:
    ada, bob, grace = submitted(), submitted(STORY | {"title": "Bob's story"}), submitted(GRACE)
    workflow_slots.take(ada)
    workflow_slots.take(bob)
    workflow_slots.offer(bob)

    assert workflow_slots.claim(grace, offer=ada.id) == "TakeSlot"
    assert counter(dynamodb, call) == (2, {bob.id})  # Bob's offer is still there for its own claimant


# ReleaseSlot: `contains(offers, :application) AND taken > :zero` ---------------------------------


def test_when_nobody_waits_the_release_withdraws_the_offer_and_frees_the_slot(
    workflow_slots: Slots, dynamodb: DynamoDBClient, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    workflow_slots.take(ada)
    workflow_slots.offer(ada)
    assert workflow_slots.release(ada) == "WakeWaitlist"
    assert counter(dynamodb, call) == (0, set())


def test_an_offer_claimed_before_the_release_is_not_freed_a_second_time(
    workflow_slots: Slots, dynamodb: DynamoDBClient, call: Call, submitted: Submit
) -> None:
    ada, grace = submitted(), submitted(GRACE)
    workflow_slots.take(ada)
    workflow_slots.offer(ada)
    workflow_slots.claim(grace, offer=ada.id)

    assert workflow_slots.release(ada) == "AfterRelease"
    assert counter(dynamodb, call) == (1, set())  # Grace holds it


def test_a_release_never_takes_the_counter_below_zero(
    workflow_slots: Slots, dynamodb: DynamoDBClient, table: str, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    # Ada's offer stands, but the counter is already back at zero (set by hand: no path of the workflow gets here).
    dynamodb.put_item(
        TableName=table,
        Item=call_key(call.id, SLOTS) | {"taken": {"N": "0"}, "offers": {"SS": [ada.id]}},
    )
    assert workflow_slots.release(ada) == "AfterRelease"
    assert counter(dynamodb, call) == (0, {ada.id})


# The states that record a status and an event, through the direct integration ---------------------

RECORD_STATES = sorted(
    name
    for name, state in asl.states().items()
    if state.get("Resource") == "arn:aws:states:::dynamodb:updateItem" and state["Parameters"].get("Key.$") == "$.key"
)


def test_the_definition_records_through_the_direct_integration() -> None:
    assert {"RecordApproved", "RecordFailure", "RecordSlotHandedOn"} <= set(RECORD_STATES)


@pytest.mark.parametrize("name", RECORD_STATES)
def test_a_record_state_appends_its_event_and_sets_its_status(
    name: str, dynamodb: DynamoDBClient, table: str, call: Call, submitted: Submit, applications: ApplicationStore
) -> None:
    ada = submitted(status=Status.IN_REVIEW)
    values = asl.state(name)["Parameters"]["ExpressionAttributeValues"]
    event = values[":event"]["L"][0]["M"]["event"]["S"]
    status = values.get(":status", {}).get("S", Status.IN_REVIEW.value)

    assert asl.write(name, workflow_input(call, ada), dynamodb, table) == asl.state(name)["Next"]
    stored = applications.get(ada.id)
    assert stored.status == status
    assert stored.history[-1].event == event and stored.history[-1].at == asl.ENTERED_TIME
    assert [e.event for e in stored.history[:-1]] == [e.event for e in ada.history]


# Choice states -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approvals", "rejections", "next_state"),
    [
        (0, 0, "AwaitVote"),
        (1, 0, "AwaitVote"),
        (1, 1, "AwaitVote"),
        (2, 0, "QuorumApproves"),  # exactly the quorum decides
        (2, 1, "QuorumApproves"),
        (0, 2, "QuorumRejects"),
        (1, 2, "QuorumRejects"),
    ],
)
def test_a_quorum_of_votes_decides_and_fewer_wait_for_the_next_vote(
    approvals: int, rejections: int, next_state: str, call: Call
) -> None:
    tally = {"approvals": approvals, "rejections": rejections}
    assert asl.choose("Tally", workflow_input(call, "a", tally=tally)) == next_state


@pytest.mark.parametrize(
    ("sent", "next_state"), [(0, "RemindOrganisers"), (1, "RemindOrganisers"), (2, "ReviewTimeIsUp")]
)
def test_organisers_get_the_calls_reminders_then_the_review_expires(sent: int, next_state: str, call: Call) -> None:
    assert call.review_reminders == 2
    document = workflow_input(call, "a", organiser_reminders={"sent": sent})
    assert asl.choose("OrganiserReminderDue", document) == next_state


@pytest.mark.parametrize(("sent", "next_state"), [(0, "CountSpeakerReminder"), (1, "Release")])
def test_a_silent_speaker_gets_the_calls_reminders_then_the_slot_is_released(
    sent: int, next_state: str, call: Call
) -> None:
    assert call.confirmation_reminders == 1
    document = workflow_input(call, "a", speaker_reminders={"sent": sent})
    assert asl.choose("SpeakerReminderDue", document) == next_state


@pytest.mark.parametrize(("answer", "next_state"), [("yes", "Confirm"), ("no", "Cancel"), ("maybe", "UnknownAnswer")])
def test_the_speakers_answer_confirms_or_cancels(answer: str, next_state: str, call: Call) -> None:
    assert asl.choose("Attendance", workflow_input(call, "a", attendance={"answer": answer})) == next_state


@pytest.mark.parametrize(("handed", "next_state"), [(True, "RecordSlotHandedOn"), (False, "ReleaseSlot")])
def test_a_slot_handed_on_stays_taken_and_one_nobody_waited_for_is_released(
    handed: bool, next_state: str, call: Call
) -> None:
    assert asl.choose("Handed", workflow_input(call, "a", handover={"handed": handed})) == next_state


@pytest.mark.parametrize(
    ("promotion", "next_state"),
    [({"promoted": True, "offer": "released-by-ada"}, "ClaimOffer"), ({"promoted": True}, "TakeSlot")],
)
def test_a_promotion_with_an_offer_claims_it_and_one_without_tries_for_a_free_slot(
    promotion: dict[str, Any], next_state: str, call: Call
) -> None:
    assert asl.choose("PromotionKind", workflow_input(call, "a", promotion=promotion)) == next_state


def test_the_release_path_ends_as_a_failure_only_when_it_came_from_one(call: Call) -> None:
    failure = {"Error": "EmailRejected", "Cause": "MessageRejected"}
    assert asl.choose("AfterRelease", workflow_input(call, "a", failure=failure)) == "RecordFailure"
    assert asl.choose("AfterRelease", workflow_input(call, "a")) == "SlotHandedOn"


@pytest.mark.parametrize(("verify", "next_state"), [(True, "AwaitVerification"), (False, "Acknowledge")])
def test_only_a_call_with_double_opt_in_asks_to_confirm_the_address(verify: bool, next_state: str, call: Call) -> None:
    document = execution_input("a", replace(call, verify_email=verify))
    assert asl.choose("VerificationNeeded", document) == next_state


def test_a_smoke_test_always_waits_for_a_confirmation_that_never_comes(call: Call) -> None:
    """`make smoke` writes to SES's mailbox simulator, which clicks nothing: its organisers never hear of it."""
    document = execution_input("a", replace(call, verify_email=False), smoke=True)
    assert asl.choose("VerificationNeeded", document) == "AwaitVerification"


def test_withdrawing_before_confirming_the_address_is_recorded_and_written_to_nobody(
    applications: ApplicationStore, call: Call, submitted: Submit, dynamodb: DynamoDBClient, table: str
) -> None:
    """The address may be anyone's, and the organisers never saw the application: no email, neither way."""
    ada = submitted(status=Status.AWAITING_VERIFICATION)
    assert asl.caught(asl.state("AwaitVerification"), "Withdrawn") == "WithdrawUnverified"
    assert asl.write("WithdrawUnverified", workflow_input(call, ada), dynamodb, table) == "Withdrawn"
    assert asl.state("Withdrawn") == {"Type": "Succeed"}
    withdrawn = applications.get(ada.id)
    assert withdrawn.status is Status.WITHDRAWN and withdrawn.history[-1].event == "withdrawn"


@pytest.mark.parametrize(("status", "starts"), [(Status.SUBMITTED, True), (Status.ACCEPTED, False), (None, False)])
def test_only_a_submission_starts_a_review_from_the_stream(status: Status | None, starts: bool) -> None:
    """make restore writes lost items back: an application that had reached any status beyond its submission had
    its review, which must not run again (its execution's name is free 90 days after it ended)."""
    image = {"pk": {"S": "APP#a"}, "sk": {"S": "APPLICATION"}} | ({"status": {"S": status.value}} if status else {})
    assert is_submission(image) is starts


def test_a_counter_that_holds_only_its_expiry_gives_the_first_slot(
    workflow_slots: Slots, slots: SlotStore, call: Call, submitted: Submit, dynamodb: DynamoDBClient, table: str
) -> None:
    """The stream function writes the counter's expiry before any slot is taken (stores/calls.py)."""
    CallRecords(dynamodb, table).keep(call, 2_000_000_000)
    assert item(dynamodb, call_key(call.id, SLOTS)) is not None
    assert workflow_slots.take(submitted()) == "Accept"
    assert slots.slots_taken(call.id) == 1
