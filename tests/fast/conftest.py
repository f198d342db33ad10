"""The fixtures of the fast layer's tests on AWS: moto's mock_aws in process, the table from
infra/resources.json, and each store and service built directly, with its clients passed in (constructor
injection).

The Step Functions side is a RecordingWorkflow: it keeps every answer the product gives a workflow, and
refuses a callback it was told is gone, as Step Functions does. Everything else is the real code on
moto: DynamoDB (with its condition expressions) and SES v2 (whose sent messages `outbox` reads).

A test of the email markers takes `email_markers`, `worker` and `outbox`: a redelivered task is
`worker.run(message, delivery=2)`, a later one moves `clock` on, and SES faults go on a client of its
own (`faulty_client`), as tests/fast/test_worker.py does for throttling.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.applications import Erasure, Submissions, Withdrawals
from chalicelib.attendance import AttendanceDesk
from chalicelib.call import Call, Calls, load_call
from chalicelib.callbacks import Callbacks
from chalicelib.correspondence import Correspondence
from chalicelib.faults import Fault, attach
from chalicelib.links import LinkLifetimes, Links
from chalicelib.mailer import Mailer
from chalicelib.models import Application, ApplicationForm, TaskMessage, Wait
from chalicelib.review import ReviewDesk
from chalicelib.settings import DEFAULT_CALL_FILE
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import CallbackStore
from chalicelib.stores.emails import EmailMarkers
from chalicelib.stores.erasure import ErasureStore
from chalicelib.stores.rates import RateLimits
from chalicelib.stores.revocations import RevocationStore
from chalicelib.stores.slots import SlotStore
from chalicelib.stores.table import SLOTS, call_key
from chalicelib.stores.votes import VoteStore
from chalicelib.tasks import TaskWorker, WorkerStores
from chalicelib.vocabulary import WaitKind
from chalicelib.workflow import WaitEnded, Workflow, execution_input
from local.emulator import REGION
from local.outbox import OutboxMessage, parse
from tests.fast import asl
from tests.support import OPEN_UNTIL, PROJECT, STORY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client

TABLE_NAME = "cfp-fast-applications"
# What the `links` fixture signs with.
SECRET = "fast-test-secret"
# The moment the tests start, for the services that take a clock.
NOW = datetime(2024, 5, 20, 9, 30, tzinfo=UTC)


def table_definition() -> dict[str, Any]:
    """The application table's CreateTable arguments, read from the template that deploys it."""
    template = json.loads((PROJECT / "infra" / "resources.json").read_text())
    [table] = [r for r in template["Resources"].values() if r.get("Type") == "AWS::DynamoDB::Table"]
    properties = table["Properties"]
    stream = properties["StreamSpecification"]
    return {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"],
        "BillingMode": properties["BillingMode"],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]},
    }


@cache
def _session() -> boto3.session.Session:
    # mock_aws gives each test a new default session, which would read botocore's models again (~0.3 s a
    # test); clients of this one session share them. moto intercepts its clients all the same.
    return boto3.session.Session(region_name=REGION)


def client(service: str) -> Any:
    """A boto3 client that reaches moto's in-process backends while `mocked_aws` is active."""
    return _session().client(service)  # type: ignore[call-overload]


def faulty_client(service: str, *faults: Fault) -> Any:
    """A client of its own that raises these faults before the calls they name (chalicelib.faults.attach, as
    CFP_FAULTS does in the product); the fixtures' clients stay sound. A fault counts what it `raised`."""
    faulty = client(service)
    attach(faulty, list(faults))
    return faulty


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """AWS mocked in process. tests/conftest.py points boto3 at an emulator's endpoint; not here."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(mocked_aws: None) -> DynamoDBClient:
    dynamodb: DynamoDBClient = client("dynamodb")
    return dynamodb


@pytest.fixture
def table(dynamodb: DynamoDBClient) -> str:
    """The one table, as infra/resources.json declares it (keys, the by_call index, the stream)."""
    dynamodb.create_table(TableName=TABLE_NAME, **table_definition())
    return TABLE_NAME


class Clock:
    """The services' clock: it says NOW until a test moves it on."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def call() -> Call:
    """The default call, open: three organisers, two votes decide, five slots. Override it in a module
    (a fixture of the same name) for another call."""
    return replace(load_call(DEFAULT_CALL_FILE), deadline=datetime.fromisoformat(OPEN_UNTIL))


@pytest.fixture
def calls(call: Call) -> Calls:
    """The deployment's calls: `call` alone. A test of two calls makes its own."""
    return Calls.of_one(call)


@pytest.fixture
def links() -> Links:
    week = timedelta(days=7)
    return Links(SECRET, "http://testserver", LinkLifetimes(review=week, attendance=week, overview=week))


# The stores ----------------------------------------------------------------------------------


@pytest.fixture
def applications(dynamodb: DynamoDBClient, table: str) -> ApplicationStore:
    return ApplicationStore(dynamodb, table)


@pytest.fixture
def votes(dynamodb: DynamoDBClient, table: str) -> VoteStore:
    return VoteStore(dynamodb, table)


@pytest.fixture
def callback_store(dynamodb: DynamoDBClient, table: str) -> CallbackStore:
    return CallbackStore(dynamodb, table)


@pytest.fixture
def slots(dynamodb: DynamoDBClient, table: str) -> SlotStore:
    return SlotStore(dynamodb, table)


@pytest.fixture
def rates(dynamodb: DynamoDBClient, table: str) -> RateLimits:
    return RateLimits(dynamodb, table)


@pytest.fixture
def email_markers(dynamodb: DynamoDBClient, table: str) -> EmailMarkers:
    return EmailMarkers(dynamodb, table)


@pytest.fixture
def erasure_store(dynamodb: DynamoDBClient, table: str) -> ErasureStore:
    return ErasureStore(dynamodb, table)


@pytest.fixture
def revocations(dynamodb: DynamoDBClient, table: str, calls: Calls) -> RevocationStore:
    """As chalicelib/deps.py builds it: it still reads the default call's one-call revocations."""
    return RevocationStore(dynamodb, table, calls.default_id)


def item(dynamodb: DynamoDBClient, key: dict[str, Any]) -> dict[str, Any] | None:
    """An item as stored, or None: what a store wrote, read without the store."""
    response = dynamodb.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True)
    return response.get("Item")


def sort_keys(dynamodb: DynamoDBClient, partition: str) -> set[str]:
    """The sort keys stored under a partition key (`APP#<id>`, `CALL#<id>`)."""
    response = dynamodb.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": partition}},
        ConsistentRead=True,
    )
    return {i["sk"]["S"] for i in response["Items"]}


# Applications in a given state ---------------------------------------------------------------

Submit = Callable[..., Application]


@pytest.fixture
def submitted(applications: ApplicationStore, call: Call) -> Submit:
    """Store an application as the API would, then in the state a test needs:
    `submitted(status=Status.IN_REVIEW, approvals=1)`, `submitted(GRACE)`; to the default call, or
    `submitted(BEA, call=second)`."""

    def store(story: dict[str, str] = STORY, *, call: Call = call, **state: Any) -> Application:
        form = ApplicationForm.model_validate(story | {"consent": True})
        application = Application.from_form(form, call.id, NOW, call.expiry_of(NOW)).model_copy(update=state)
        stored, created = applications.submit(application)
        assert created, "the test stored the same story twice"
        return stored

    return store


def take_every_slot(dynamodb: DynamoDBClient, call: Call) -> None:
    """The call's slots are all taken: a waitlisted application of it waits."""
    dynamodb.put_item(TableName=TABLE_NAME, Item=call_key(call.id, SLOTS) | {"taken": {"N": str(call.guest_slots)}})


@pytest.fixture
def every_slot_taken(dynamodb: DynamoDBClient, table: str, call: Call) -> None:
    take_every_slot(dynamodb, call)


def message(state: str, application: Application | str, call: Call, **results: Any) -> TaskMessage:
    """The message the task state puts on the queue for this application, with the state's name as its token."""
    application_id = application if isinstance(application, str) else application.id
    document = execution_input(application_id, call) | {"tally": {"approvals": 0, "rejections": 0}}
    # What a Catch leaves in $.failure on the way to RecordFailure and ReportFailure.
    document |= {"failure": {"Error": "EmailRejected", "Cause": "SES refused it."}} | results
    return TaskMessage.model_validate(asl.message(state, document, f"{state}:{application_id}"))


KeepWait = Callable[[str, WaitKind, str], None]


@pytest.fixture
def keep_wait(callback_store: CallbackStore, clock: Clock) -> KeepWait:
    """Keep a callback as a waiting task's worker does: `keep_wait(ada.id, WaitKind.VOTE, "its-token")`."""

    def keep(application_id: str, kind: WaitKind, task_token: str) -> None:
        callback_store.save_wait(
            Wait(application_id=application_id, kind=kind, task_token=task_token, since=clock().isoformat())
        )

    return keep


# The Step Functions side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    task_token: str
    output: dict[str, Any]


@dataclass(frozen=True)
class Failed:
    task_token: str
    error: str
    cause: str


class RecordingWorkflow(Workflow):
    """Workflow's callbacks, answered into lists instead of Step Functions. As there, a callback is
    answered once: a second answer, or one to a token `end_wait` was told about, finds it gone
    (task_succeeded raises WaitEnded, task_failed is ignored, as Workflow does)."""

    def __init__(self) -> None:
        super().__init__(client("stepfunctions"), "arn:aws:states:::stateMachine:fast")
        self.answered: list[Answered] = []
        self.failed: list[Failed] = []
        self.gone: set[str] = set()

    def end_wait(self, task_token: str) -> None:
        """The workflow stopped waiting on this token (it timed out, or moved on)."""
        self.gone.add(task_token)

    def task_succeeded(self, task_token: str, output: dict[str, Any]) -> None:
        if task_token in self.gone:
            raise WaitEnded(f"nobody waits on {task_token}")
        self.gone.add(task_token)
        self.answered.append(Answered(task_token, output))

    def task_failed(self, task_token: str, error: str, cause: str) -> None:
        if task_token in self.gone:
            return
        self.gone.add(task_token)
        self.failed.append(Failed(task_token, error, cause))

    def answers_to(self, task_token: str) -> list[dict[str, Any]]:
        return [a.output for a in self.answered if a.task_token == task_token]

    def errors_to(self, task_token: str) -> list[str]:
        return [f.error for f in self.failed if f.task_token == task_token]


@pytest.fixture
def workflow(mocked_aws: None) -> RecordingWorkflow:
    return RecordingWorkflow()


# SES -----------------------------------------------------------------------------------------


@pytest.fixture
def sesv2(mocked_aws: None, call: Call) -> SESV2Client:
    """SES v2 with the call's sender verified, as the stack's SenderIdentity does."""
    sesv2: SESV2Client = client("sesv2")
    sesv2.create_email_identity(EmailIdentity=call.sender_address)
    return sesv2


@pytest.fixture
def mailer(sesv2: SESV2Client, call: Call) -> Mailer:
    return Mailer(sesv2, call.sender)


Outbox = Callable[[], list[OutboxMessage]]


@pytest.fixture
def outbox(mocked_aws: None) -> Outbox:
    """The emails SES accepted, in order, parsed as the local outbox shows them (decoded subject, recipients)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]

    def read() -> list[OutboxMessage]:
        raw = [m for m in backend.sent_messages if isinstance(m, RawMessage)]
        return [parse(number, vars(message)) for number, message in enumerate(raw, start=1)]

    return read


# The services --------------------------------------------------------------------------------


@pytest.fixture
def callbacks(callback_store: CallbackStore, workflow: RecordingWorkflow) -> Callbacks:
    return Callbacks(callback_store, workflow)


@pytest.fixture
def correspondence(
    email_markers: EmailMarkers, mailer: Mailer, links: Links, calls: Calls, clock: Clock
) -> Correspondence:
    return Correspondence(email_markers, mailer, links, calls.of, clock)


@pytest.fixture
def worker(
    applications: ApplicationStore,
    callback_store: CallbackStore,
    slots: SlotStore,
    correspondence: Correspondence,
    workflow: RecordingWorkflow,
    links: Links,
    calls: Calls,
    clock: Clock,
) -> TaskWorker:
    stores = WorkerStores(applications, callback_store, slots)
    return TaskWorker(stores, correspondence, workflow, links, calls.of, clock)


@pytest.fixture
def review_desk(
    applications: ApplicationStore,
    votes: VoteStore,
    callbacks: Callbacks,
    links: Links,
    calls: Calls,
    revocations: RevocationStore,
    clock: Clock,
) -> ReviewDesk:
    return ReviewDesk(applications, votes, callbacks, links, calls.of, revocations, clock)


@pytest.fixture
def attendance_desk(
    applications: ApplicationStore,
    callback_store: CallbackStore,
    callbacks: Callbacks,
    links: Links,
    calls: Calls,
    clock: Clock,
) -> AttendanceDesk:
    return AttendanceDesk(applications, callback_store, callbacks, links, calls.of, clock)


@pytest.fixture
def submissions(applications: ApplicationStore, rates: RateLimits, call: Call, clock: Clock) -> Submissions:
    return Submissions(applications, rates, call, clock)


@pytest.fixture
def withdrawals(applications: ApplicationStore, callbacks: Callbacks, calls: Calls, clock: Clock) -> Withdrawals:
    return Withdrawals(applications, callbacks, calls.of, clock)


@pytest.fixture
def erasure(
    applications: ApplicationStore, erasure_store: ErasureStore, withdrawals: Withdrawals, clock: Clock
) -> Erasure:
    return Erasure(applications, erasure_store, withdrawals, clock)
