"""Who may write which of the table's items: each role's DynamoDB conditions, evaluated as IAM would (tests/iam.py).

moto enforces no IAM. tests/test_iam_coverage.py checks that every call the code makes in a whole flow is
allowed; these check what each role is refused, item kind by item kind (README, "Who may write what").
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from infra import DEFINITION, RESOURCES
from tests.iam import Request, allows, requests, write
from tests.support import PROJECT

# The application's own words, which only the API writes (and blanks).
APPLICANTS_WORDS = ("name", "email", "organisation", "title", "summary")


@cache
def policy(role: str) -> dict[str, Any]:
    """A function's policy in .chalice/, or the state machine's role in infra/resources.json."""
    if role == "state_machine":
        template = json.loads(RESOURCES.read_text())
        document: dict[str, Any] = template["Resources"]["ReviewStateMachineRole"]["Properties"]["Policies"][0]
        return dict(document["PolicyDocument"])
    loaded: dict[str, Any] = json.loads((PROJECT / ".chalice" / f"policy-{role}.json").read_text())
    return loaded


def refused(role: str, request: Request) -> bool:
    return not allows(policy(role), request)


ROLES = ("api", "run-task", "start-review", "email-events", "state_machine")
REVOCATION = "REVOKED#0123456789abcdef"
CALL = "CALL#ow2con24-ospo-heroes"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "state_machine"])
@pytest.mark.parametrize("action", ["PutItem", "UpdateItem", "DeleteItem"])
def test_no_function_writes_a_revocation(role: str, action: str) -> None:
    """Only `make revoke-overview`, with the admin's credentials, writes REVOKED#: a function that could would
    undo a revocation."""
    assert refused(role, write(action, REVOCATION, "revoked_at", "expires_at"))


@pytest.mark.parametrize("action", ["PutItem", "UpdateItem", "DeleteItem"])
@pytest.mark.parametrize(
    "attributes", [("taken",), ("offers",), ("call", "expires_at"), ("application_id", "task_token")]
)
def test_nothing_on_the_web_path_writes_a_calls_items(action: str, attributes: tuple[str, ...]) -> None:
    """CALL#<call id>: the slot counter (SLOTS), the call's record (CALL); and the waitlist, apart."""
    assert refused("api", write(action, CALL, *attributes))
    assert refused("api", write(action, "WAITLIST#ow2con24-ospo-heroes", *attributes))


def test_the_web_path_writes_applications_votes_answers_and_rate_counts() -> None:
    assert not refused("api", write("PutItem", "APP#a1", "id", "call_id", *APPLICANTS_WORDS, "status", "expires_at"))
    assert not refused("api", write("PutItem", "APP#a1", "organiser", "outcome", "at", "note", "expires_at"))
    assert not refused("api", write("UpdateItem", "RATE#email#x#3600", "hits", "expires_at"))
    assert refused("api", write("UpdateItem", "RATE#email#x#3600", "status"))


@pytest.mark.parametrize(
    "attribute",
    [
        "task_token",  # a wait's callback: forging one would answer the workflow in someone's place
        "recorded",  # the workflow's steps, which the worker records once
        "state",  # an email marker: sent, or being sent
        "lease_until",
        "email_bounced",  # SES's word, through record_email_events
        "waitlisted_at",
    ],
)
def test_the_web_path_writes_no_attribute_of_the_workflows(attribute: str) -> None:
    assert refused("api", write("UpdateItem", "APP#a1", attribute))
    assert refused("api", write("PutItem", "APP#a1", attribute))


@pytest.mark.parametrize("action", ["PutItem", "UpdateItem", "DeleteItem"])
def test_the_worker_writes_nothing_of_a_call_but_its_waitlist(action: str) -> None:
    for attributes in (("taken",), ("offers",), ("call",), ("application_id", "task_token", "expires_at"), ()):
        assert refused("run-task", write(action, CALL, *attributes))
    assert refused("run-task", write("UpdateItem", "WAITLIST#c", "taken"))


def test_the_worker_queues_and_leaves_the_waitlist_by_its_callback_only() -> None:
    queued = ("application_id", "task_token", "expires_at")
    assert not refused("run-task", write("PutItem", "WAITLIST#c", *queued))
    assert not refused("run-task", write("DeleteItem", "WAITLIST#c", "task_token"))
    # A delete that does not compare the entry's callback cannot be an entry's, by mistake.
    assert refused("run-task", write("DeleteItem", "WAITLIST#c"))


@pytest.mark.parametrize("role", ["run-task", "email-events", "state_machine", "start-review"])
def test_only_the_web_path_writes_the_applicants_words(role: str) -> None:
    for attribute in (*APPLICANTS_WORDS, "votes", "approvals", "withdraw_requested"):
        assert refused(role, write("UpdateItem", "APP#a1", attribute))


@pytest.mark.parametrize("role", ["run-task", "email-events"])
def test_an_email_claim_is_given_back_only_by_its_state(role: str) -> None:
    assert not refused(role, write("DeleteItem", "APP#a1", "state"))
    assert refused(role, write("DeleteItem", "APP#a1"))


def test_the_stream_function_keeps_a_calls_record_and_expiry_never_its_count() -> None:
    assert not refused("start-review", write("UpdateItem", CALL, "call", "expires_at"))
    assert not refused("start-review", write("UpdateItem", CALL, "expires_at"))
    for attributes in (("taken",), ("offers",), ("task_token",)):
        assert refused("start-review", write("UpdateItem", CALL, *attributes))
    for action in ("PutItem", "DeleteItem"):
        assert refused("start-review", write(action, CALL, "call", "expires_at"))
    assert refused("start-review", write("UpdateItem", "APP#a1", "expires_at"))


def test_the_bounce_handler_marks_an_address_and_its_emails_only() -> None:
    assert not refused("email-events", write("UpdateItem", "APP#a1", "email_bounced", "history"))
    for attribute in ("status", "task_token", "recorded"):
        assert refused("email-events", write("UpdateItem", "APP#a1", attribute))
    assert refused("email-events", write("UpdateItem", CALL, "expires_at"))


def test_the_state_machine_records_steps_and_counts_slots_and_nothing_else() -> None:
    assert not refused("state_machine", write("UpdateItem", "APP#a1", "status", "history"))
    assert not refused("state_machine", write("UpdateItem", CALL, "taken", "offers"))
    # Each partition its own attributes: no slot count on an application, no status on a call.
    assert refused("state_machine", write("UpdateItem", "APP#a1", "taken"))
    assert refused("state_machine", write("UpdateItem", CALL, "status"))
    assert refused("state_machine", write("UpdateItem", "WAITLIST#c", "task_token"))
    for action in ("PutItem", "DeleteItem"):
        assert refused("state_machine", write(action, "APP#a1", "status"))


def test_every_write_of_the_workflow_definition_is_allowed_to_its_role() -> None:
    """The definition's DynamoDB tasks, their keys as the execution's input gives them (workflow.execution_input)."""
    definition = json.loads(DEFINITION.read_text())
    keys = {"$.key": "APP#a1", "$.slots_key": CALL}
    tasks = [
        state for state in _states(definition["States"]) if state.get("Resource", "").endswith(":dynamodb:updateItem")
    ]
    assert len(tasks) > 5
    for task in tasks:
        parameters = dict(task["Parameters"])
        parameters["Key"] = {"pk": {"S": keys[parameters.pop("Key.$")]}, "sk": {"S": "X"}}
        [request] = requests("dynamodb.UpdateItem", parameters)
        assert allows(policy("state_machine"), request), (task["Comment"], request)
    used = {re.sub(r"^arn:aws:states:::dynamodb:(\w)", lambda m: m.group(1).upper(), t["Resource"]) for t in tasks}
    actions = {a for s in policy("state_machine")["Statement"] for a in _list(s["Action"]) if a.startswith("dynamodb:")}
    assert actions == {f"dynamodb:{name}" for name in used}


def _list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _states(states: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for state in states.values():
        found.append(state)
        for branch in state.get("Branches", []):
            found += _states(branch["States"])
    return found
