"""Two calls in one deployment, on mock_aws: each link works only for its own call's applications and at its
own call's address, an organiser sees only the calls they organise, the worker writes to the application's
own call's organisers and hands on its own call's slot, and the table keeps a call whose file was removed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import itsdangerous
import pytest

from chalicelib.applications import ApplicantLinks
from chalicelib.call import Call, Calls, load_calls
from chalicelib.links import LinkInvalid, LinkOfAnotherCall, Links
from chalicelib.models import Application
from chalicelib.overview import NotTheirCall, OrganiserCalls, Overview, OverviewDesk, OverviewQuery
from chalicelib.review import ReviewDesk
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.calls import CallRecords
from chalicelib.stores.revocations import RevocationStore
from chalicelib.stores.slots import SlotStore
from chalicelib.stores.table import CALL_RECORD, SLOTS, call_key
from chalicelib.tasks import TaskWorker
from chalicelib.vocabulary import Status
from tests.fast.conftest import NOW, SECRET, Clock, Outbox, RecordingWorkflow, Submit, item, message, take_every_slot
from tests.support import CHAIR, DEFAULT_CALL, MODERATOR, OPEN_UNTIL, PROGRAMME, SECOND_CALL, STORY, token_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BEA = STORY | {"name": "Bea", "email": "bea@example.org", "title": "Procurement, the public way"}


@pytest.fixture
def calls() -> Calls:
    """Both example calls, open: the OSPO breakout (the default) and the public sector session."""
    both = load_calls()
    return Calls({c.id: replace(c, deadline=datetime.fromisoformat(OPEN_UNTIL)) for c in both}, both.default_id)


@pytest.fixture
def second(calls: Calls) -> Call:
    return calls.of(SECOND_CALL)


@pytest.fixture
def bea(submitted: Submit, second: Call) -> Application:
    """An application to the second call."""
    return submitted(BEA, call=second, status=Status.IN_REVIEW)


def one_call_link(kind: str, payload: dict[str, object]) -> str:
    """A link as the one-call versions signed it: its payload names no call."""
    return itsdangerous.URLSafeTimedSerializer(SECRET, salt=f"cfp.{kind}-link").dumps(payload)


def test_a_review_link_counts_only_for_its_own_call_s_application_at_its_own_call_s_address(
    review_desk: ReviewDesk, applications: ApplicationStore, links: Links, submitted: Submit, bea: Application
) -> None:
    ada = submitted()
    moderator = token_of(links.review_links(DEFAULT_CALL, ada.id, 0).approve_url)
    assert review_desk.open(moderator, DEFAULT_CALL).organiser == MODERATOR
    assert review_desk.open(moderator, None).organiser == MODERATOR  # the one-call versions' address
    with pytest.raises(LinkOfAnotherCall) as elsewhere:
        review_desk.open(moderator, SECOND_CALL)
    assert elsewhere.value.call_id == DEFAULT_CALL

    # A link of the second call's chair naming the first call's application: it would vote as the chair.
    crossed = token_of(links.review_links(SECOND_CALL, ada.id, 0).approve_url)
    for route in (SECOND_CALL, None):
        with pytest.raises(LinkInvalid, match="an application of another call"):
            review_desk.vote(crossed, route_call_id=route)
    assert applications.get(ada.id).votes == []

    # A link of the one-call versions names no call: it is its application's, with the default call's organisers.
    old = one_call_link("review", {"a": ada.id, "o": 1, "d": "reject"})
    view = review_desk.open(old, DEFAULT_CALL)
    assert (view.call.id, view.organiser) == (DEFAULT_CALL, PROGRAMME)
    with pytest.raises(LinkOfAnotherCall):
        review_desk.open(old, SECOND_CALL)


def test_an_applicant_s_links_open_only_at_their_call_s_address(
    applications: ApplicationStore, links: Links, submitted: Submit, bea: Application
) -> None:
    ada = submitted()
    applicant_links = ApplicantLinks(applications, links)
    status = token_of(links.status_url(DEFAULT_CALL, ada.id))
    assert applicant_links.status(status, DEFAULT_CALL) == ada
    with pytest.raises(LinkOfAnotherCall):
        applicant_links.status(status, SECOND_CALL)
    with pytest.raises(LinkOfAnotherCall):
        applicant_links.verification(token_of(links.verification_url(SECOND_CALL, bea.id)), DEFAULT_CALL)
    # Signed for one call, naming an application of another: refused wherever it is opened.
    with pytest.raises(LinkInvalid):
        applicant_links.status(token_of(links.status_url(SECOND_CALL, ada.id)), None)
    # The one-call versions' status links name no call: they open at their application's call's address.
    assert applicant_links.status(one_call_link("status", {"a": ada.id}), DEFAULT_CALL) == ada
    assert applicant_links.status(one_call_link("status", {"a": ada.id}), None) == ada
    with pytest.raises(LinkOfAnotherCall):
        applicant_links.status(one_call_link("status", {"a": ada.id}), SECOND_CALL)


@pytest.fixture
def overview_desk(
    applications: ApplicationStore, slots: SlotStore, links: Links, calls: Calls, revocations: RevocationStore
) -> OverviewDesk:
    return OverviewDesk(applications, slots, links, calls, revocations)


def test_an_organiser_sees_and_exports_only_the_calls_they_organise(
    overview_desk: OverviewDesk, links: Links, submitted: Submit, bea: Application
) -> None:
    ada = submitted()
    moderator = token_of(links.overview_url(MODERATOR))
    only = overview_desk.open(moderator)
    assert isinstance(only, Overview) and only.call.id == DEFAULT_CALL
    assert [row["reference"] for row in only.rows()] == [ada.id]
    with pytest.raises(NotTheirCall) as refused:
        overview_desk.open(moderator, OverviewQuery(call_id=SECOND_CALL))
    assert refused.value.theirs == (DEFAULT_CALL,)

    # The second call's chair sees its applications, with vote links of that call, as its organiser.
    chair = overview_desk.open(token_of(links.overview_url(CHAIR)))
    assert isinstance(chair, Overview) and chair.call.id == SECOND_CALL
    [entry] = chair.entries
    claim = links.read_review(token_of(entry.review.approve_url))
    assert (entry.application.id, claim.call_id, claim.organiser_index) == (bea.id, SECOND_CALL, 0)

    # The programme committee sits on both: one link lists both calls, each with its own counts.
    for token in (token_of(links.overview_url(PROGRAMME)), one_call_link("overview", {"o": 1})):
        listed = overview_desk.open(token)
        assert isinstance(listed, OrganiserCalls) and listed.organiser == PROGRAMME
        assert [(s.call.id, s.applications) for s in listed.calls] == [(DEFAULT_CALL, 1), (SECOND_CALL, 1)]
    second = overview_desk.open(token_of(links.overview_url(PROGRAMME)), OverviewQuery(call_id=SECOND_CALL))
    assert isinstance(second, Overview) and [row["reference"] for row in second.rows()] == [bea.id]
    assert second.their_calls == 2


def test_the_worker_asks_the_organisers_of_the_application_s_own_call(
    worker: TaskWorker, outbox: Outbox, links: Links, second: Call, bea: Application
) -> None:
    worker.run(message("RequestReview", bea, second))

    emails = outbox()
    assert sorted(recipient for m in emails for recipient in m.recipients) == sorted(second.organisers)
    assert {m.sent_by for m in emails} == {"OW2con'24 public sector session <cfp@ow2con.example>"}
    chairs = next(m for m in emails if CHAIR in m.recipients)
    approve = next(url for label, url in chairs.links if label == "Approve")
    assert f"/{SECOND_CALL}/review/" in approve
    assert links.read_review(token_of(approve)).call_id == SECOND_CALL
    overview = next(url for _, url in chairs.links if "/overview/" in url)
    assert overview.endswith(f"?call={SECOND_CALL}")


def test_a_freed_slot_goes_to_the_waitlist_of_its_own_call(
    worker: TaskWorker,
    workflow: RecordingWorkflow,
    slots: SlotStore,
    applications: ApplicationStore,
    dynamodb: DynamoDBClient,
    calls: Calls,
    second: Call,
    submitted: Submit,
    bea: Application,
    clock: Clock,
) -> None:
    for call in calls:
        take_every_slot(dynamodb, call)
    ada = submitted(status=Status.APPROVED)
    ada_waits = message("JoinWaitlist", ada, calls.default)
    worker.run(ada_waits)
    clock.advance(minutes=1)
    # Bea, of the second call, waits too, after Ada; then a speaker of the second call cancels.
    bea_waits = message("JoinWaitlist", bea.model_copy(update={"status": Status.APPROVED}), second)
    worker.run(bea_waits)
    leaving = bea.model_copy(update={"id": "secondcallspeaker", "status": Status.CANCELLED})
    applications.submit(leaving)

    worker.run(message("PromoteNext", leaving, second))

    assert workflow.answers_to(bea_waits.task_token) == [{"promoted": True, "offer": leaving.id}]
    assert workflow.answers_to(ada_waits.task_token) == []
    assert [entry.application_id for entry in slots.waitlist(DEFAULT_CALL)] == [ada.id]
    assert slots.waitlist(SECOND_CALL) == []


def test_the_table_keeps_a_call_as_long_as_its_latest_application(
    dynamodb: DynamoDBClient, table: str, second: Call
) -> None:
    records = CallRecords(dynamodb, table)
    assert records.removed_call(SECOND_CALL) is None
    dynamodb.put_item(TableName=table, Item=call_key(SECOND_CALL, SLOTS) | {"taken": {"N": "1"}})
    later = int((NOW + timedelta(days=400)).timestamp())
    records.keep(second, later)
    # An application kept for less time, arriving after: the settings are its call's now, the record lasts.
    records.keep(replace(second, guest_slots=1), later - 3600)
    stored = item(dynamodb, call_key(SECOND_CALL, CALL_RECORD))
    assert stored is not None and int(stored["expires_at"]["N"]) == later
    # So does the slot counter, whose count only the workflow writes.
    assert item(dynamodb, call_key(SECOND_CALL, SLOTS)) == call_key(SECOND_CALL, SLOTS) | {
        "taken": {"N": "1"},
        "expires_at": {"N": str(later)},
    }

    removed = records.removed_call(SECOND_CALL)
    assert removed is not None and removed.closed and not removed.is_open(NOW)
    assert removed == replace(second, guest_slots=1, closed=True)
