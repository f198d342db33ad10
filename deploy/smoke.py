"""`make smoke STAGE=…`, after make deploy: one application through the stage's own stack, then nothing left of it.

    python -m deploy.smoke --stage prod [--url https://…/api/]

It applies to the stage's default call as SES's mailbox simulator (success@simulator.amazonses.com, which
accepts every email and delivers it to nobody), with a marker signed with the stage's link secret
(chalicelib/applications.py says what the app does with it), then sees, one after the other:
1. the API store it (201);
2. the table's stream start its review (the execution named after it runs);
3. SES accept its first email (the verification email: the worker marks it sent once SES answered);
4. its withdrawal end the review (SUCCEEDED), without writing to anyone;
5. "delete my data" blank it; then the application's items are deleted, and none is left.
The link secret is read from SSM, the stack's resources from its outputs: it needs the admin's credentials.
`--stage local` smoke-tests a running `make run` (its app on PORT, its emulator on MOTO_PORT).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import aws
from chalicelib.applications import SMOKE_ADDRESS, SMOKE_FIELD
from chalicelib.links import LinkLifetimes, Links
from chalicelib.stores.emails import SENT
from chalicelib.stores.table import application_key, application_partition, email_marker, email_sort_key
from deploy.stack import NoStack, stack_default_call_id, stack_outputs

# How long each step may take: a cold start of each function, and the queue's first delivery.
STEP_SECONDS = 120.0
SUMMARY = (
    "make smoke checks, after each deploy, that an application goes through the stack: stored, its review "
    "started, its first email accepted by SES; then it is withdrawn and deleted."
)


class SmokeFailed(RuntimeError):
    pass


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def smoke(stage: str, app_url: str | None = None, seconds: float = STEP_SECONDS) -> str:
    """Run the smoke test on the stage; the application's id. Raises SmokeFailed, having cleaned up what it could."""
    try:
        outputs = stack_outputs(stage)
    except NoStack as exc:
        raise SmokeFailed(str(exc)) from exc
    url = (app_url or outputs.get("EndpointURL", "")).rstrip("/")
    if not url:
        raise SmokeFailed(f"the stack cfp-{stage} has no EndpointURL output: give the app's URL with --url")
    secret = aws.ssm().get_parameter(Name=outputs["LinkSecretParameter"], WithDecryption=True)["Parameter"]["Value"]
    call_id = stack_default_call_id(stage)
    title = f"Smoke test {datetime.now(UTC):%Y-%m-%d %H:%M:%S} {secrets.token_hex(3)}"
    marker = Links(secret, url, LinkLifetimes(timedelta(0), timedelta(0), timedelta(0))).smoke_marker(call_id, title)
    created = _post(
        f"{url}/{call_id}/applications",
        {
            "name": "Smoke test",
            "email": SMOKE_ADDRESS,
            "kind": "good",
            "title": title,
            "summary": SUMMARY,
            "consent": True,
            SMOKE_FIELD: marker,
        },
        expected=201,
    )
    application_id, status_url = str(created["id"]), str(created["status_url"])
    say(f"✓ 1. the API stored the application {application_id} ({title!r})")
    table, machine = outputs["TableName"], outputs.get("StateMachineArn") or _state_machine(f"cfp-{stage}-review")
    execution = machine.replace(":stateMachine:", ":execution:", 1) + f":{application_id}"
    try:
        _until(seconds, "its review to start", lambda: _execution_status(execution) == "RUNNING")
        say("✓ 2. the table's stream started its review (its execution runs)")
        _until(seconds, "SES to accept its first email", lambda: _verification_sent(table, application_id))
        say(f"✓ 3. SES accepted its first email, to {SMOKE_ADDRESS}")
    except SmokeFailed:
        _clean_up(status_url, table, application_id)
        raise
    _post(f"{status_url}/withdraw", {}, expected=200, form=True)
    _until(seconds, "its review to end", lambda: _execution_status(execution) == "SUCCEEDED")
    say("✓ 4. withdrawn: its review ended (SUCCEEDED), writing to nobody")
    _post(f"{status_url}/delete", {}, expected=200, form=True)
    removed = _remove(table, application_id)
    say(f"✓ 5. its data deleted, its {removed} items removed: nothing of it is left")
    return application_id


def _clean_up(status_url: str, table: str, application_id: str) -> None:
    """After a failed step: withdraw and delete what can be, without waiting on what failed, then say so."""
    from botocore.exceptions import BotoCoreError, ClientError

    for step in ("withdraw", "delete"):
        try:
            _post(f"{status_url}/{step}", {}, expected=200, form=True)
        except (SmokeFailed, urllib.error.URLError) as exc:
            say(f"  (cleaning up, {step}: {exc})")
    try:
        say(f"  cleaned up: {_remove(table, application_id)} items of {application_id} removed")
    except (SmokeFailed, BotoCoreError, ClientError) as exc:
        say(f"  (cleaning up: {exc}; remove the items of {application_partition(application_id)['S']} by hand)")


def _until(seconds: float, what: str, seen: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not seen():
        if time.monotonic() > deadline:
            raise SmokeFailed(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.5)


def _post(url: str, body: dict[str, Any], expected: int, form: bool = False) -> dict[str, Any]:
    from urllib.parse import urlencode

    data = urlencode(body).encode() if form else json.dumps(body).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": kind})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    if status != expected:
        raise SmokeFailed(f"POST {url.split('?')[0]} answered {status}, not {expected}: {text[:500]}")
    answer: dict[str, Any] = json.loads(text) if text.startswith("{") else {}
    return answer


def _state_machine(name: str) -> str:
    """The local run creates its state machine beside its stack (local/stack.py), so no output names it."""
    machines = aws.stepfunctions().list_state_machines()["stateMachines"]
    return next(str(m["stateMachineArn"]) for m in machines if m["name"] == name)


def _execution_status(execution_arn: str) -> str:
    from botocore.exceptions import ClientError

    try:
        return str(aws.stepfunctions().describe_execution(executionArn=execution_arn)["status"])
    except ClientError as exc:
        if aws.error_code(exc) == "ExecutionDoesNotExist":
            return ""
        raise


def _items(table: str, application_id: str) -> list[dict[str, Any]]:
    response = aws.dynamodb().query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": application_partition(application_id)},
        ConsistentRead=True,
    )
    return list(response["Items"])


def _verification_sent(table: str, application_id: str) -> bool:
    """The worker marks an email sent once SES answered with its message id (chalicelib/stores/emails.py)."""
    marker = application_key(application_id, email_sort_key(email_marker("verification", 0), SMOKE_ADDRESS))
    item = aws.dynamodb().get_item(TableName=table, Key=marker, ConsistentRead=True).get("Item", {})
    return bool(item.get("state", {}).get("S") == SENT)


def _remove(table: str, application_id: str) -> int:
    """Delete every item of the application; the number deleted. It had no item elsewhere: no rate counted it, its
    call's record is not kept for it, and it never reached a waitlist."""
    items = _items(table, application_id)
    for item in items:
        aws.dynamodb().delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    if _items(table, application_id):
        raise SmokeFailed(f"items of {application_id} are still in {table}")
    return len(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, help="local, dev or prod")
    parser.add_argument("--url", default="", help="the app's URL (by default the stack's EndpointURL)")
    arguments = parser.parse_args(argv)
    url = arguments.url
    if arguments.stage == "local":
        from local.emulator import aws_environment, run_endpoint

        os.environ.update(aws_environment(run_endpoint()))
        url = url or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        application_id = smoke(arguments.stage, url or None)
    except SmokeFailed as exc:
        say(f"✗ the smoke test failed: {exc}")
        return 1
    except (BotoCoreError, ClientError, urllib.error.URLError) as exc:
        say(f"✗ the smoke test could not reach the stage: {exc}")
        return 1
    say(f"✓ cfp-{arguments.stage} works: {application_id} went through, and nothing of it is left.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
