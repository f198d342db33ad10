"""End to end over HTTP: `python -m local.run` as `make run` starts it, driven as a person would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urljoin

import boto3
import pytest
import requests

from chalicelib.applications import SMOKE_ADDRESS
from local import process
from tests.support import DEFAULT_CALL, MODERATOR, PROGRAMME, PROJECT, SECOND_CALL, STORY, LocalRun, running_locally

# The slow layer (tests/conftest.py): a local run, over HTTP.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_run() -> Iterator[LocalRun]:
    with running_locally() as run:
        yield run


def follow(link: str) -> requests.Response:
    return requests.get(link, timeout=10)


def press_button(page: requests.Response) -> requests.Response:
    """Submit the page's only form, as the browser would."""
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, "the page has no button to press"
    return requests.post(urljoin(page.url, action.group(1)), data={}, timeout=10)


def apply(run: LocalRun, **changes: str) -> str:
    response = requests.post(f"{run.app}/{DEFAULT_CALL}/applications", data=STORY | changes, timeout=10)
    assert response.status_code == 200 and response.history[0].status_code == 303, response.text
    reference = re.search(r"Your reference: <strong>(\w+)</strong>", response.text)
    assert reference
    return reference.group(1)


def test_it_prints_the_urls(local_run: LocalRun) -> None:
    printed = "".join(local_run.output)
    assert f"{local_run.app}/" in printed
    for call_id in (DEFAULT_CALL, SECOND_CALL):
        assert f"{call_id}:" in printed and f"{local_run.app}/{call_id}/" in printed
        assert requests.get(f"{local_run.app}/{call_id}/", timeout=10).status_code == 200
    assert local_run.outbox_url in printed
    assert local_run.emulator in printed
    assert "OSPO, you can be heroes!" in requests.get(local_run.app, timeout=10).text
    assert "Outbox" in requests.get(local_run.outbox_url, timeout=10).text


def test_apply_two_approvals_then_the_speaker_confirms(local_run: LocalRun) -> None:
    application_id = apply(local_run, title="Inner source saved our budget", email="grace@example.org")
    acknowledgement = local_run.wait_for_email("grace@example.org", "We received your application")
    for organiser in (MODERATOR, PROGRAMME):
        review = local_run.wait_for_email(organiser, "Inner source saved our budget")
        preview = follow(dict(review["links"])["Approve"])
        assert preview.status_code == 200 and "Approve this application?" in preview.text
        voted = press_button(preview)
        assert voted.status_code == 200 and "Vote recorded" in voted.text

    acceptance = local_run.wait_for_email("grace@example.org", "Action required")
    assert "February room" in acceptance["text"]
    question = follow(next(url for _, url in acceptance["links"] if "/attendance/" in url))
    assert "Will you be there?" in question.text
    assert "You are confirmed" in press_button(question).text
    confirmation = local_run.wait_for_email("grace@example.org", "Confirmed: you speak at")
    assert confirmation["attachments"][0][0] == "invitation.ics"
    local_run.wait_for_email("moderator@ow2con.example", "Speaker confirmed")
    # The session is in 2099 on the local stage: the workflow keeps the slot and waits for it.
    assert local_run.executions()[application_id] == "RUNNING"

    status = requests.get(dict(acknowledgement["links"])["Follow its status here"], timeout=10)
    assert re.search(r'<strong id="status">confirmed</strong>', status.text)
    assert "Cancel my talk" in status.text
    for step in ("submitted", "acknowledgement sent", "review requested", "approved", "slot taken", "confirmed"):
        assert step in status.text

    sent = len(local_run.outbox())
    again = follow(dict(review["links"])["Approve"])
    assert "You have already voted" in again.text and "<form" not in again.text
    time.sleep(1)
    assert len(local_run.outbox()) == sent


def test_apply_then_two_rejections_from_the_outbox(local_run: LocalRun) -> None:
    application_id = apply(local_run, title="The CLA that nobody signed", email="linus@example.org")
    for organiser in (MODERATOR, PROGRAMME):
        review = local_run.wait_for_email(organiser, "The CLA that nobody signed")
        preview = follow(dict(review["links"])["Reject"])
        assert "Reject this application?" in preview.text
        assert press_button(preview).status_code == 200

    decline = local_run.wait_for_email("linus@example.org", "About your application")
    assert "cannot include yours this time" in decline["text"]
    local_run.wait_for_execution(application_id, "SUCCEEDED")


def test_bad_input_over_http_is_a_422_that_names_the_field(local_run: LocalRun) -> None:
    before = set(local_run.executions())
    response = requests.post(f"{local_run.app}/applications", json={"name": "Ada", "email": "nope"}, timeout=10)
    assert response.status_code == 422
    assert set(response.json()["errors"]) >= {"email", "kind", "title", "summary", "consent"}
    # A valid application sent next is acknowledged, so the stream was read past the refused one: only
    # the valid one started a review.
    application_id = apply(local_run, title="Sent right after a mistake", email="mistaken@example.org")
    local_run.wait_for_email("mistaken@example.org", "We received your application")
    assert set(local_run.executions()) - before == {application_id}


def test_a_sent_form_leads_to_its_thank_you_page_with_a_303(local_run: LocalRun) -> None:
    form = f"{local_run.app}/{DEFAULT_CALL}/"
    response = requests.post(f"{form}applications", data=STORY | {"title": "Back is safe"}, timeout=10)
    [redirect] = response.history
    assert redirect.status_code == 303 and redirect.headers["Location"].startswith(f"../{DEFAULT_CALL}/thanks/")
    assert response.status_code == 200 and response.url.startswith(f"{form}thanks/")
    assert "Your reference: <strong>" in response.text


def test_robots_txt_the_icon_and_unknown_addresses_answer_as_on_aws(local_run: LocalRun) -> None:
    assert requests.get(f"{local_run.app}/robots.txt", timeout=10).text.startswith("# The calls and their forms")
    assert requests.get(f"{local_run.app}/favicon.ico", timeout=10).headers["Content-Type"].startswith("image/svg+xml")
    # chalice local's own answer would be 403 "Missing Authentication Token": API Gateway's, before the
    # stack's gateway response turns it into a 404. Locally, the app's 404 page.
    for path in ("/nothing-here", "/review", "/static/deeper/still", "/apple-touch-icon.png?x=1"):
        page = requests.get(f"{local_run.app}{path}", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 404, path
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<h1>Page not found</h1>" in page.text
        back = re.search(r'<a href="([^"]*)">See the calls for participation</a>', page.text)
        assert back and requests.get(urljoin(page.url, back.group(1)), timeout=10).status_code == 200
    api = requests.post(f"{local_run.app}/nothing-here", json={}, timeout=10)
    assert api.status_code == 404 and api.json()["title"] == "Page not found"


def test_ctrl_c_during_start_up_stops_what_started_without_a_traceback() -> None:
    for moment in ("… starting the emulated AWS", "… creating the resources"):
        run = process.launch()
        assert run.printed(moment, timeout=60), "".join(run.output)
        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=30) == 0
        run.printed("✓ stopped", timeout=5)
        output = "".join(run.output)
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
        assert output.rstrip().endswith("✓ stopped"), output
        assert run.ports_are_free(), f"Ctrl-C during start-up left something running: {output}"


def test_make_smoke_goes_through_the_stage_and_leaves_nothing(local_run: LocalRun) -> None:
    """`make smoke STAGE=local`: its application seen through the stream, the execution and SES, then gone."""
    port = local_run.emulator.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "deploy.smoke", "--stage", "local", "--url", local_run.app],
        env=os.environ | {"MOTO_PORT": port, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for step in range(1, 6):
        assert f"✓ {step}. " in result.stderr
    application_id = re.search(r"stored the application (\w+)", result.stderr)
    assert application_id
    assert local_run.executions()[application_id.group(1)] == "SUCCEEDED"
    # SES's mailbox simulator got its verification email, and nobody else heard of it.
    smoke = [m for m in local_run.outbox() if "Smoke test" in m["text"] or SMOKE_ADDRESS in m["recipients"]]
    assert [(m["recipients"], m["subject"]) for m in smoke] == [([SMOKE_ADDRESS], smoke[0]["subject"])]
    assert "Confirm" in smoke[0]["subject"] or "confirm" in smoke[0]["subject"]
    dynamodb = boto3.client("dynamodb", endpoint_url=local_run.emulator, region_name="eu-west-3")
    table = dynamodb.list_tables()["TableNames"][0]
    left = dynamodb.scan(
        TableName=table,
        FilterExpression="contains(pk, :id)",
        ExpressionAttributeValues={":id": {"S": application_id.group(1)}},
    )["Items"]
    assert left == []
