"""The review-and-accept flow through chalice.test.Client, the real state machine and the event pump."""

from __future__ import annotations

from urllib.parse import urlencode

from chalicelib import deps
from tests.support import STORY, CfP

ORGANISERS = ("moderator@ow2con.example", "programme@ow2con.example")


def submit_and_wait_for_review(cfp: CfP) -> str:
    response = cfp.submit()
    assert response.status_code == 201, response.body
    [application] = cfp.applications()
    for organiser in ORGANISERS:
        cfp.wait_for_email(organiser, "New application to review")
    return application.id


def test_approval_ends_in_the_speaker_acceptance_email(cfp: CfP) -> None:
    application_id = submit_and_wait_for_review(cfp)

    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    assert application_id in acknowledgement.text
    review_email = cfp.emails_to(ORGANISERS[0])[0]
    assert STORY["summary"] in review_email.text
    assert STORY["summary"] in review_email.html
    assert [label for label, _ in review_email.links] == ["Approve", "Reject"]

    approve = cfp.path(cfp.link(review_email, "Approve"))
    preview = cfp.client.http.get(approve)
    assert preview.status_code == 200
    assert "Approve this application?" in preview.body.decode()
    assert STORY["title"] in preview.body.decode()
    # A GET (a mail scanner, a link preview) decides nothing.
    assert cfp.application(application_id).status == "in_review"

    decided = cfp.client.http.post(approve, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert decided.status_code == 200
    assert "Decision recorded" in decided.body.decode()

    acceptance = cfp.wait_for_email(STORY["email"], "You are a speaker")
    assert "February room" in acceptance.text
    assert "Tuesday 11 June 2024, 16:40–17:40" in acceptance.text
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    stored = cfp.application(application_id)
    assert stored.status == "accepted"
    assert stored.decided_by == ORGANISERS[0]
    assert [step.event for step in stored.history] == [
        "submitted",
        "acknowledgement_sent",
        "review_requested",
        "approved",
        "acceptance_sent",
    ]


def test_rejection_sends_a_polite_decline_with_the_organisers_note(cfp: CfP) -> None:
    application_id = submit_and_wait_for_review(cfp)
    reject = cfp.path(cfp.link(cfp.emails_to(ORGANISERS[1])[0], "Reject"))

    page = cfp.client.http.get(reject).body.decode()
    assert "Reject this application?" in page
    assert 'name="note"' in page
    response = cfp.client.http.post(
        reject,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"note": "Please bring this story to our next meetup!"}),
    )
    assert response.status_code == 200

    decline = cfp.wait_for_email(STORY["email"], "About your application")
    assert "we are sorry" in decline.text.lower()
    assert "Please bring this story to our next meetup!" in decline.text
    assert "Please bring this story to our next meetup!" in decline.html
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    stored = cfp.application(application_id)
    assert stored.status == "declined"
    assert stored.decided_by == ORGANISERS[1]
    assert cfp.emails_to(STORY["email"])[-1].subject.startswith("About your application")
    assert not any("speaker" in m.subject for m in cfp.emails_to(STORY["email"]))


def test_a_second_click_says_already_decided_and_sends_nothing(cfp: CfP) -> None:
    application_id = submit_and_wait_for_review(cfp)
    approve = cfp.path(cfp.link(cfp.emails_to(ORGANISERS[0])[0], "Approve"))
    other_reject = cfp.path(cfp.link(cfp.emails_to(ORGANISERS[1])[0], "Reject"))
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    assert cfp.client.http.post(approve, headers=form).status_code == 200
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    sent = len(cfp.outbox())

    again = cfp.client.http.post(approve, headers=form)
    assert again.status_code == 409
    assert "Already decided" in again.body.decode()
    assert "approved" in again.body.decode() and ORGANISERS[0] in again.body.decode()
    late = cfp.client.http.post(other_reject, headers=form)
    assert late.status_code == 409
    assert "already approved" in late.body.decode()
    revisit = cfp.client.http.get(approve).body.decode()
    assert "Already decided" in revisit and "<form" not in revisit

    cfp.pump.poll_once()
    assert len(cfp.outbox()) == sent
    assert cfp.application(application_id).status == "accepted"


def test_a_review_that_nobody_decides_expires_and_tells_the_applicant(cfp: CfP) -> None:
    cfp = cfp.with_call(review_window_hours=0.001)  # 3.6 seconds
    application_id = submit_and_wait_for_review(cfp)

    expiry = cfp.wait_for_email(STORY["email"], "could not be reviewed in time")
    assert STORY["title"] in expiry.text
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    assert cfp.application(application_id).status == "expired"

    late = cfp.client.http.post(
        cfp.path(cfp.link(cfp.emails_to(ORGANISERS[0])[0], "Approve")),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert late.status_code == 409
    assert "can no longer be decided" in late.body.decode()
    assert cfp.application(application_id).decided_by is None


def test_the_status_page_shows_the_path_so_far(cfp: CfP) -> None:
    submit_and_wait_for_review(cfp)
    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    page = cfp.client.http.get(cfp.path(cfp.link(acknowledgement, "Follow its status here"))).body.decode()
    assert "in review" in page
    assert "acknowledgement sent" in page
    assert STORY["email"] not in page


def test_a_changed_review_link_gets_a_clear_page_and_decides_nothing(cfp: CfP) -> None:
    application_id = submit_and_wait_for_review(cfp)
    approve = cfp.path(cfp.link(cfp.emails_to(ORGANISERS[0])[0], "Approve"))
    payload, stamp, signature = approve.removeprefix("/review/").split(".")
    tampered = f"/review/{payload}.{stamp}.{signature[::-1]}"

    for response in (
        cfp.client.http.get(tampered),
        cfp.client.http.post(tampered, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        cfp.client.http.get("/review/not-a-link"),
    ):
        assert response.status_code == 400
        page = response.body.decode()
        assert "This review link cannot be used" in page
        assert "may have been cut or changed" in page
    assert cfp.application(application_id).status == "in_review"
    assert deps.store().decision(application_id) is None
