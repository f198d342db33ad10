"""Personal data: double opt-in, retention, "delete my data", and logs that hold no address or story."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import aws, deps
from tests.support import APPLICATIONS, MODERATOR, STORY, CfP


def test_with_double_opt_in_the_review_starts_only_after_the_address_is_confirmed(cfp: CfP) -> None:
    cfp = cfp.with_call(verify_email=True)
    cfp.submit()
    verification = cfp.wait_for_email(STORY["email"], "Please confirm your email address")
    [application] = cfp.applications()
    assert application.status == "awaiting_verification"
    assert cfp.emails_to(MODERATOR) == []

    link = cfp.path(cfp.link(verification, "Please confirm your address so that the organisers can review it"))
    assert "Confirm my address" in cfp.client.http.get(link).body.decode()
    # A GET confirms nothing: the workflow's callback is still kept, unanswered.
    wait = deps.callback_store().wait(application.id)
    assert wait is not None and wait.kind == "verification"
    assert cfp.application(application.id).status == "awaiting_verification"
    assert "your address is confirmed" in cfp.post(link).body.decode()
    assert deps.callback_store().wait(application.id) is None

    cfp.wait_for_email(MODERATOR, "New application to review")
    assert [e.event for e in cfp.application(application.id).history][:4] == [
        "submitted",
        "verification_requested",
        "email_verified",
        "acknowledgement_sent",
    ]
    assert cfp.post(link).status_code == 409  # a second click changes nothing


def test_the_verification_email_carries_none_of_the_applicants_words(cfp: CfP) -> None:
    """Anyone can type anyone's address into the form: what reaches that address says nothing they chose."""
    cfp = cfp.with_call(verify_email=True)
    spam = STORY | {
        "name": "Cheap pills at pills.example",
        "organisation": "Your Bank, security team",
        "title": "Your account is locked: open https://phish.example",
    }
    assert cfp.submit(spam).status_code == 303
    french = json.dumps(STORY | {"email": "anne@example.org", "consent": True, "language": "fr"})
    cfp.client.http.post(APPLICATIONS, headers={"Content-Type": "application/json"}, body=french)

    verification = cfp.wait_for_email(STORY["email"], "Please confirm your email address")
    assert (verification.recipients, verification.to) == ([STORY["email"]], STORY["email"])
    for part in (verification.subject, verification.text, verification.html):
        for field in ("name", "organisation", "title", "summary"):
            assert spam[field] not in part
        assert STORY["email"] not in part
    assert [label for label, url in verification.links if "/verify/" in url] == [
        "Please confirm your address so that the organisers can review it"
    ]
    # Written in the applicant's language, like every email to them.
    cfp.wait_for_email("anne@example.org", "Merci de confirmer votre adresse e-mail")


def test_an_unconfirmed_address_is_never_reviewed(cfp: CfP) -> None:
    cfp = cfp.with_call(verify_email=True, verification_window_hours=0.001)  # 3.6 seconds
    cfp.submit()
    [application] = cfp.applications()
    cfp.wait_for_execution(application.id, "SUCCEEDED")
    assert cfp.application(application.id).status == "unverified"
    assert cfp.emails_to(MODERATOR) == []


def test_applications_and_votes_expire_after_the_calls_retention(cfp: CfP) -> None:
    cfp.submit()
    cfp.vote(MODERATOR, "Approve")
    [application] = cfp.applications()
    # The session was in 2024, so the retention runs from the submission: 365 days.
    expected = datetime.now(UTC) + timedelta(days=365)
    assert application.expires_at is not None
    assert abs(application.expires_at - expected.timestamp()) < 120
    items = aws.dynamodb().scan(TableName=cfp.resources.table_name)["Items"]
    vote = next(i for i in items if i["sk"]["S"].startswith("VOTE#"))
    assert int(vote["expires_at"]["N"]) == application.expires_at
    # The table's TTL on `expires_at` is asserted on the template (tests/test_deploy.py): moto ignores it.


def test_delete_my_data_blanks_the_application_and_stops_the_review(cfp: CfP) -> None:
    cfp.submit()
    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    cfp.wait_for_email(MODERATOR, "New application to review")
    cfp.vote(MODERATOR, "Reject", note="Ada's story about Analytical Engines Ltd is great but off-topic.")
    status = cfp.path(cfp.link(acknowledgement, "Follow its status here"))

    page = cfp.post(f"{status}/delete").body.decode()
    assert "Your data is deleted" in page
    [application] = cfp.applications()
    cfp.wait_for_execution(application.id, "SUCCEEDED")

    stored = cfp.application(application.id)
    assert (stored.name, stored.email, stored.organisation, stored.summary) == ("", "", None, "")
    assert stored.title == "(deleted)" and stored.erased and stored.status == "withdrawn"
    assert [v.note for v in stored.votes] == [""]
    # Every item of the application: the vote keeps no note, no marker a hash of the address.
    items = aws.dynamodb().query(
        TableName=cfp.resources.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"APP#{stored.id}"}},
    )["Items"]
    assert {i["sk"]["S"] for i in items} >= {"APPLICATION", "VOTE#0"}
    address_hash = hashlib.sha256(STORY["email"].encode()).hexdigest()[:16]
    for personal in (STORY["name"], STORY["email"], STORY["summary"], STORY["organisation"], "off-topic", address_hash):
        assert personal not in json.dumps(items)
    # The workflow passed the state that sends the withdrawal notice, and sent the applicant nothing: the
    # outbox holds what went out before the deletion, and the organisers' notice of the withdrawal, which
    # names no one.
    assert "Withdraw" in cfp.states_entered(application.id)
    cfp.pump.run_until(lambda: len(cfp.outbox()) == 7)
    assert (
        sorted(m.subject for m in cfp.outbox() if m.subject.startswith("Withdrawn")) == ["Withdrawn: “(deleted)”"] * 3
    )
    assert (
        sorted(m.subject.partition(":")[0] for m in cfp.outbox())
        == ["New application to review"] * 3 + ["We received your application"] + ["Withdrawn"] * 3
    )
    assert not any("Ada" in m.text or STORY["email"] in m.recipients for m in cfp.outbox()[4:])
    assert "Ada" not in cfp.client.http.get(status).body.decode()


def test_logs_are_json_and_hold_no_address_name_or_story(cfp: CfP, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    cfp.submit()
    cfp.vote(MODERATOR, "Approve")
    cfp.wait_for_email(STORY["email"], "Action required")
    cfp.post(cfp.attendance_link("yes"))
    cfp.wait_for_email(STORY["email"], "Confirmed")
    cfp.submit(STORY | {"email": "not-an-address"})
    cfp.submit(STORY | {"website": "spam"})

    ours = [r for r in caplog.records if r.name == "cfp_events"]
    events = [json.loads(r.getMessage()) for r in ours]
    assert {"application_stored", "review_started", "vote_recorded", "task_done", "submission_refused"} <= {
        e["event"] for e in events
    }
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for personal in (STORY["email"], STORY["name"], STORY["summary"][:40], STORY["title"], STORY["organisation"]):
        assert personal not in everything
    assert deps.call().organisers[0] not in everything
