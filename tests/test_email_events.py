"""Bounces and complaints: SES's notification, through the email events topic, to what the organisers and
the applicant see. The notification is the one `make bounce` replays (local/bounce.py)."""

from __future__ import annotations

import json
import logging

import pytest

from local.bounce import notification, publish
from tests.support import MODERATOR, PROGRAMME, STORY, TRACK, CfP

ORGANISERS = (MODERATOR, PROGRAMME, TRACK)
BOUNCE_NOTICE = f"Emails to an applicant bounce: “{STORY['title']}”"


def submitted(cfp: CfP) -> str:
    assert cfp.submit().status_code == 303
    cfp.wait_for_email(STORY["email"], "We received your application")
    for organiser in ORGANISERS:
        cfp.wait_for_email(organiser, "New application to review")
    [application] = cfp.applications()
    return application.id


def replay(cfp: CfP, application_id: str, address: str, kind: str = "bounce") -> None:
    publish(cfp.resources.email_events_topic_arn, notification(application_id, address, kind))
    cfp.pump.run_until(lambda: cfp.queue_is_empty(cfp.resources.email_events_queue_url))


def bounce_notices(cfp: CfP, organiser: str) -> list[str]:
    return [m.subject for m in cfp.emails_to(organiser) if "bounce" in m.subject or "spam" in m.subject]


def test_a_bounce_is_recorded_told_to_the_organisers_once_and_nothing_more_is_sent_there(cfp: CfP) -> None:
    application_id = submitted(cfp)
    replay(cfp, application_id, STORY["email"].upper())  # mail systems may change the case
    replay(cfp, application_id, STORY["email"])  # a second bounce of another email

    stored = cfp.application(application_id)
    assert stored.email_bounced == "bounce"
    assert [e.event for e in stored.history][-1] == "email_bounced"
    for organiser in ORGANISERS:
        assert bounce_notices(cfp, organiser) == [BOUNCE_NOTICE]
    notice = cfp.wait_for_email(MODERATOR, "bounce")
    assert f"reference {application_id}" in notice.text and "We no longer write to that address" in notice.text

    # The review goes on; the acceptance is not sent to the address that bounces.
    cfp.vote(MODERATOR, "Approve")
    cfp.vote(PROGRAMME, "Approve")
    cfp.pump.run_until(lambda: cfp.application(application_id).status == "accepted")
    cfp.pump.run_until(cfp.queue_is_empty)
    assert [m.subject for m in cfp.emails_to(STORY["email"])] == [
        "We received your application: “Our OSPO ate the legal team”"
    ]

    # The organisers see it on the overview and in the exports; the status page says it too.
    overview = cfp.path(cfp.link(notice, "All applications of the call"))
    assert "Emails to this applicant bounce: we no longer write to them." in cfp.client.http.get(overview).body.decode()
    [row] = json.loads(cfp.client.http.get(f"{overview}&format=json").body)["applications"]
    assert row["email_undeliverable"] == "bounce"
    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    status = cfp.client.http.get(cfp.path(cfp.link(acknowledgement, "Follow its status here"))).body.decode()
    assert "our email to you bounced: we no longer write to this address" in status


def test_a_complaint_stops_the_emails_too(cfp: CfP) -> None:
    application_id = submitted(cfp)
    replay(cfp, application_id, STORY["email"], "complaint")

    assert cfp.application(application_id).email_bounced == "complaint"
    for organiser in ORGANISERS:
        assert bounce_notices(cfp, organiser) == [f"An applicant marked our email as spam: “{STORY['title']}”"]


def test_a_transient_bounce_and_an_organisers_bounce_change_nothing_but_the_logs(
    cfp: CfP, caplog: pytest.LogCaptureFixture
) -> None:
    application_id = submitted(cfp)
    transient = notification(application_id, STORY["email"])
    transient["bounce"]["bounceType"] = "Transient"  # a full mailbox: SES tries again itself
    caplog.set_level(logging.INFO, logger="cfp_events")
    publish(cfp.resources.email_events_topic_arn, transient)
    cfp.pump.run_until(lambda: cfp.queue_is_empty(cfp.resources.email_events_queue_url))
    replay(cfp, application_id, PROGRAMME)

    assert cfp.application(application_id).email_bounced is None
    assert not any(bounce_notices(cfp, organiser) for organiser in ORGANISERS)
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cfp_events"]
    assert {"event": "email_event_ignored", "kind": "bounce", "application": application_id} in events
    assert {
        "event": "organiser_email_undeliverable",
        "kind": "bounce",
        "organiser": 1,
        "application": application_id,
    } in events
