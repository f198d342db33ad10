"""The test harness: the app on chalice.test.Client, the event pump, and what a person would see."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from chalice.local import LambdaContext, LambdaEventConverter, RouteMatcher
from chalice.test import Client, HTTPResponse

from chalicelib import aws, deps
from chalicelib.models import Application
from chalicelib.settings import CALL_OVERRIDES, CFP_FAULTS
from chalicelib.stores.table import APPLICATION, application_from_item
from local import process, stack
from local.emulator import Emulator, aws_environment
from local.outbox import OutboxMessage, read_outbox
from local.pump import Pump, QueueSource
from local.sample import STORY as STORY  # the tests import it from here

PROJECT = Path(__file__).resolve().parent.parent
OPEN_UNTIL = "2099-12-31T23:59:00+01:00"
# The default call's organisers, in the order of its file.
MODERATOR = "moderator@ow2con.example"
PROGRAMME = "programme@ow2con.example"
TRACK = "ospo-track@ow2con.example"
# Applicants beside STORY's, to the default call.
GRACE = STORY | {"name": "Grace Hopper", "email": "grace@example.org", "title": "The OSPO that debugged procurement"}
LINUS = STORY | {"name": "Linus", "email": "linus@example.org", "title": "The OSPO that maintained a kernel"}
# The default call (CALL_FILE), and the second example call beside it, with organisers of its own
# (the programme committee sits on both).
DEFAULT_CALL = "ow2con24-ospo-heroes"
# Where the default call's form posts, and its JSON API.
APPLICATIONS = f"/{DEFAULT_CALL}/applications"
SECOND_CALL = "ow2con24-public-sector"
CHAIR = "public-sector-chair@ow2con.example"


def token_of(url: str) -> str:
    """The signed part of an emailed link."""
    return url.rsplit("/", 1)[1]


def configure_call(**overrides: Any) -> None:
    """Change the default call's settings for this test, as a stage's CALL_OVERRIDES does; every call is open
    until 2099."""
    configure_calls({DEFAULT_CALL: overrides})


def configure_calls(by_call: dict[str, dict[str, Any]]) -> None:
    """Change the settings of calls, by call id; every call is open until 2099."""
    os.environ[CALL_OVERRIDES] = json.dumps({"*": {"deadline": OPEN_UNTIL}} | by_call, default=str)
    deps.reset()


@dataclass
class CfP:
    emulator: Emulator
    client: Client
    pump: Pump
    resources: stack.Resources
    closed: bool = False
    # The harness with_call started in this one's place: closing this one closes it too.
    successor: CfP | None = None

    @classmethod
    def create(cls, emulator: Emulator, by_call: dict[str, dict[str, Any]] | None = None) -> CfP:
        configure_calls(by_call or {})
        # A stage of its own per test: executions of an earlier test, still running in the emulator,
        # write to their own queue and table, never to this test's.
        resources = stack.create(f"t{secrets.token_hex(4)}", deps.calls())
        os.environ.update(resources.environment())
        deps.reset()
        from app import app

        # Stage `test` has no settings in .chalice/config.json: the environment set here stays in force.
        return cls(
            emulator,
            Client(app, stage_name="test"),
            Pump.for_app(app, resources),
            resources,
        )

    def with_call(self, **overrides: Any) -> CfP:
        """Start again on a fresh account, with a default call whose settings differ from its file's."""
        return self.with_calls({DEFAULT_CALL: overrides})

    def with_calls(self, by_call: dict[str, dict[str, Any]]) -> CfP:
        """Start again on a fresh account, with calls whose settings differ from their files', by call id."""
        self.close()
        self.emulator.reset()
        self.successor = CfP.create(self.emulator, by_call)
        return self.successor

    def inject(self, *faults: dict[str, Any]) -> CfP:
        """Make the AWS clients raise these errors (chalicelib/faults.py); rebuilt clients take them."""
        os.environ[CFP_FAULTS] = json.dumps(list(faults))
        deps.reset()
        return self

    @property
    def task_queue(self) -> QueueSource:
        """The pump's task queue source, as Lambda's SQS mapping would be."""
        return next(s for s in self.pump.sources if isinstance(s, QueueSource) and s.name == "run_task")

    def queue_is_empty(self, queue_url: str | None = None) -> bool:
        """No message waits in the queue (the task queue by default) nor is being handled: all were done."""
        attributes = aws.client("sqs").get_queue_attributes(
            QueueUrl=queue_url or self.resources.task_queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]} == {"0"}

    def retry_at_once(self) -> CfP:
        """Make a failed task visible again at once; Lambda would wait for the visibility timeout."""
        self.task_queue.retry_after_seconds = 0
        return self

    @contextmanager
    def holding_back(self, task: str) -> Iterator[list[str]]:
        """Keep the worker from the task queue's `task` messages until the block ends, as a backed-up
        queue would; then they go back on the queue. Yields the bodies held so far."""
        queue = self.task_queue
        deliver = queue.handler
        held: list[str] = []

        def slow_worker(event: dict[str, Any], context: Any) -> Any:
            bodies = [record["body"] for record in event["Records"]]
            if any(json.loads(body)["task"] == task for body in bodies):
                held.extend(bodies)
                return None
            return deliver(event, context)

        queue.handler = slow_worker
        try:
            yield held
        finally:
            queue.handler = deliver
            for body in held:
                aws.client("sqs").send_message(QueueUrl=self.resources.task_queue_url, MessageBody=body)

    def configure(self, **overrides: Any) -> CfP:
        """Change the default call's settings on the same account (limits, deadline...)."""
        configure_call(**overrides)
        return self

    def close(self) -> None:
        """Stop the executions still waiting and forget the injected faults, so that nothing of this
        test runs on into the next."""
        if self.successor is not None:
            self.successor.close()
        if self.closed:
            return
        self.closed = True
        os.environ.pop(CFP_FAULTS, None)
        deps.reset()
        for execution in self.executions():
            if execution["status"] == "RUNNING":
                # moto's interpreter now and then answers 500 while a state is changing; the
                # execution writes only to this test's own stage, so the next test is safe anyway.
                with suppress(ClientError):
                    aws.stepfunctions().stop_execution(executionArn=execution["executionArn"])
        configure_call()

    # What a person would see -------------------------------------------------------------

    def outbox(self) -> list[OutboxMessage]:
        return read_outbox(self.emulator.endpoint)

    def emails_to(self, address: str) -> list[OutboxMessage]:
        return [m for m in self.outbox() if address in m.recipients]

    def wait_for_email(self, address: str, subject_part: str, timeout: float = 30) -> OutboxMessage:
        self.pump.run_until(lambda: any(subject_part in m.subject for m in self.emails_to(address)), timeout)
        return next(m for m in self.emails_to(address) if subject_part in m.subject)

    def applications(self) -> list[Application]:
        items = aws.dynamodb().scan(TableName=self.resources.table_name)["Items"]
        return [application_from_item(i) for i in items if i["sk"]["S"] == APPLICATION]

    def count_applications(self) -> int:
        """How many applications the table holds (a COUNT scan: cheap enough for every example)."""
        response = aws.dynamodb().scan(
            TableName=self.resources.table_name,
            Select="COUNT",
            FilterExpression="sk = :a",
            ExpressionAttributeValues={":a": {"S": APPLICATION}},
        )
        return int(response["Count"])

    def application(self, application_id: str) -> Application:
        return deps.applications().get(application_id)

    def store_slots_taken(self, call_id: str = DEFAULT_CALL) -> int:
        return deps.slots().slots_taken(call_id)

    def executions(self) -> list[dict[str, Any]]:
        response = aws.stepfunctions().list_executions(stateMachineArn=self.resources.state_machine_arn)
        return [dict(e) for e in response["executions"]]

    def describe_execution(self, execution_arn: str) -> dict[str, Any]:
        return dict(aws.stepfunctions().describe_execution(executionArn=execution_arn))

    def execution_status(self, application_id: str) -> str:
        arn = deps.workflow().execution_arn(application_id)
        return str(aws.stepfunctions().describe_execution(executionArn=arn)["status"])

    def wait_for_execution(self, application_id: str, status: str, timeout: float = 30) -> None:
        self.pump.run_until(lambda: self.execution_status(application_id) == status, timeout)

    def states_entered(self, application_id: str) -> list[str]:
        """The states the application's execution has entered so far, in order, from its history."""
        arn = deps.workflow().execution_arn(application_id)
        events = aws.stepfunctions().get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def wait_for_state(self, application_id: str, state: str, times: int = 1, timeout: float = 30) -> None:
        """Deliver events until the execution has entered `state` (`times` times): a test that then finds no
        email knows the workflow went where no email is sent, rather than that it has not got there yet."""
        self.pump.run_until(lambda: self.states_entered(application_id).count(state) >= times, timeout)

    def submit(self, fields: dict[str, str] | None = None, call_id: str = DEFAULT_CALL) -> Any:
        """The call's form, sent."""
        from urllib.parse import urlencode

        return self.client.http.post(
            f"/{call_id}/applications",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(fields if fields is not None else STORY),
        )

    def follow(
        self,
        response: Any,
        posted_to: str = APPLICATIONS,
        headers: dict[str, str] | None = None,
        body: str = "",
    ) -> Any:
        """Go where a redirect leads, as a browser does: GET after a 303 See Other (a form's POST) or a 301 (a
        GET at an address of the one-call versions); after a 308 (a POST there), the same POST again, with its
        `headers` and `body`. Its Location is relative to the address it answered."""
        from urllib.parse import urljoin, urlsplit

        assert response.status_code in (301, 303, 308), (response.status_code, response.body)
        location = urlsplit(urljoin(f"http://testserver{posted_to}", response.headers["Location"]))
        path = location.path + (f"?{location.query}" if location.query else "")
        if response.status_code == 308:
            return self.client.http.post(path, headers=headers or {}, body=body)
        return self.client.http.get(path)

    def submit_from(self, source_ip: str, fields: dict[str, str]) -> HTTPResponse:
        """The form, posted from `source_ip`: the event API Gateway gives the function, which
        chalice.test's client always sends from 127.0.0.1."""
        from urllib.parse import urlencode

        from app import app

        converter = LambdaEventConverter(RouteMatcher(list(app.routes)))
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        event = converter.create_lambda_event("POST", APPLICATIONS, form, urlencode(fields).encode())
        event["requestContext"]["identity"]["sourceIp"] = source_ip
        return HTTPResponse.create_from_dict(app(event, LambdaContext("api_handler", 512)))

    def post(self, url_or_path: str, **fields: str) -> Any:
        """Press a page's button: a form-encoded POST."""
        from urllib.parse import urlencode

        path = self.path(url_or_path) if url_or_path.startswith("http") else url_or_path
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.client.http.post(path, headers=form, body=urlencode(fields))

    def review_link(self, organiser: str, label: str, title: str = STORY["title"]) -> str:
        """The Approve or Reject link of the organiser's review email about that story, as a path."""
        self.wait_for_email(organiser, f"New application to review: “{title}”")
        email = next(m for m in self.emails_to(organiser) if title in m.subject)
        return self.path(self.link(email, label))

    def vote(self, organiser: str, label: str, title: str = STORY["title"], note: str = "") -> Any:
        return self.post(self.review_link(organiser, label, title), note=note)

    def attendance_link(self, answer: str, email: str = STORY["email"]) -> str:
        """A link of the speaker's latest "Action required" email: answer is 'yes' or 'no'."""
        message = [m for m in self.emails_to(email) if m.subject.startswith("Action required")][-1]
        return self.path([url for _, url in message.links if "/attendance/" in url][0 if answer == "yes" else 1])

    def links_of(self, address: str) -> list[str]:
        """Every link in the emails sent to an address, in order."""
        return [url for message in self.emails_to(address) for _, url in message.links]

    def status_link(self, story: dict[str, str]) -> str:
        """The status page's path, from the acknowledgement."""
        acknowledgement = self.wait_for_email(story["email"], "We received your application")
        return self.path(self.link(acknowledgement, "Follow its status here"))

    def overview_link(self, organiser: str) -> str:
        """The organiser's overview link, as their emails carry it, without the call it opens at (?call=)."""
        return self.path(next(url for url in self.links_of(organiser) if "/overview/" in url)).partition("?")[0]

    # A story along the workflow (for calls where one approval is a quorum) ---------------

    def accept(self, story: dict[str, str]) -> str:
        """Submit a story and vote it through; its application's id."""
        assert self.submit(story).status_code == 303
        self.vote(MODERATOR, "Approve", title=story["title"])
        return next(a.id for a in self.applications() if a.title == story["title"])

    def confirm(self, story: dict[str, str]) -> None:
        """The speaker answers "I'll be there" to the request to confirm."""
        self.wait_for_email(story["email"], "Action required")
        assert "You are confirmed" in self.post(self.attendance_link("yes", story["email"])).body.decode()

    def confirmed_speaker(self, story: dict[str, str]) -> str:
        """Accept a story and confirm that the speaker comes, until they are told so; its application's id."""
        application_id = self.accept(story)
        self.confirm(story)
        self.wait_for_email(story["email"], "Confirmed")
        return application_id

    @staticmethod
    def path(url: str) -> str:
        """A link from an email, as a path the test client can request."""
        return "/" + url.split("/", 3)[3]

    @staticmethod
    def link(message: OutboxMessage, label: str) -> str:
        return next(url for name, url in message.links if name == label)


# The local run, over HTTP -----------------------------------------------------------------


@dataclass
class LocalRun:
    app: str
    outbox_url: str
    emulator: str
    output: list[str]

    def outbox(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = requests.get(f"{self.outbox_url}/messages.json", timeout=10).json()
        return messages

    def wait_for_email(self, to: str, subject_part: str, after: int = 0, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.outbox()[after:]:
                if to in message["recipients"] and subject_part in message["subject"]:
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no email to {to} about {subject_part!r} within {timeout:.0f} s")

    def executions(self) -> dict[str, str]:
        """Each execution's name (the application id) and status, straight from the emulator."""
        sfn = boto3.client("stepfunctions", endpoint_url=self.emulator, region_name="eu-west-3")
        machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        return {e["name"]: e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}

    def wait_for_execution(self, application_id: str, status: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.executions().get(application_id) != status:
            assert time.monotonic() < deadline, f"execution {application_id} is {self.executions().get(application_id)}"
            time.sleep(0.2)


@contextmanager
def running_locally(environment: dict[str, str] | None = None) -> Iterator[LocalRun]:
    """`python -m local.run` as `make run` starts it, on free ports; Ctrl-C when done."""
    running = process.start(environment)
    run = LocalRun(app=running.app, outbox_url=running.outbox, emulator=running.emulator, output=running.output)
    # Only while it runs: the session's emulator (conftest.py) must find its own endpoint again.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_environment(run.emulator).items():
            patch.setenv(name, value)
        yield run

    assert running.stop() == 0, "".join(running.output)
    time.sleep(0.5)  # the output thread reads the last lines
    assert "✓ stopped" in "".join(running.output)
    assert running.ports_are_free(), "Ctrl-C left something running"
