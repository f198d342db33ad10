"""Review to confirmation through chalice.test.Client, the real state machine on moto and the event pump.

The default call has three organisers; two approvals accept, two rejections decline.
"""

from __future__ import annotations

from tests.support import MODERATOR, PROGRAMME, STORY, TRACK, CfP

ORGANISERS = (MODERATOR, PROGRAMME, TRACK)


def submit(cfp: CfP) -> str:
    response = cfp.submit()
    assert response.status_code == 303, response.body
    [application] = cfp.applications()
    return application.id


def test_a_quorum_accepts_and_the_speaker_confirms_with_a_calendar_invitation(cfp: CfP) -> None:
    application_id = submit(cfp)
    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    assert application_id in acknowledgement.text
    review_email = cfp.wait_for_email(MODERATOR, "New application to review")
    assert STORY["summary"] in review_email.text and STORY["summary"] in review_email.html
    assert [label for label, _ in review_email.links] == ["Approve", "Reject", "All applications of the call"]

    approve = cfp.review_link(MODERATOR, "Approve")
    preview = cfp.client.http.get(approve).body.decode()
    assert "Approve this application?" in preview and STORY["title"] in preview
    assert cfp.application(application_id).votes == []  # a GET (a mail scanner) votes nothing

    first = cfp.post(approve).body.decode()
    assert "Vote recorded" in first and "The decision waits for more votes" in first
    second = cfp.vote(TRACK, "Approve").body.decode()
    assert "That makes the quorum" in second

    acceptance = cfp.wait_for_email(STORY["email"], "Action required")
    assert "Tuesday 11 June 2024, 16:40–17:40" in acceptance.text and "February room" in acceptance.text
    assert cfp.application(application_id).status == "accepted"
    question = cfp.client.http.get(cfp.attendance_link("yes")).body.decode()
    assert "Will you be there?" in question
    assert "You are confirmed" in cfp.post(cfp.attendance_link("yes")).body.decode()

    confirmation = cfp.wait_for_email(STORY["email"], "Confirmed: you speak at")
    [(filename, content_type, ics)] = confirmation.attachments
    assert (filename, content_type) == ("invitation.ics", "text/calendar")
    assert "DTSTART;TZID=Europe/Paris:20240611T164000" in ics
    for organiser in ORGANISERS:
        cfp.wait_for_email(organiser, "Speaker confirmed: Ada Lovelace")
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    stored = cfp.application(application_id)
    assert stored.status == "confirmed"
    assert [(v.organiser, v.outcome) for v in stored.votes] == [(MODERATOR, "approve"), (TRACK, "approve")]
    assert [step.event for step in stored.history] == [
        "submitted",
        "acknowledgement_sent",
        "review_requested",
        "approved",
        "slot_taken",
        "confirmed",
    ]


def test_a_split_vote_waits_for_the_deciding_vote(cfp: CfP) -> None:
    application_id = submit(cfp)
    assert cfp.vote(MODERATOR, "Approve").status_code == 200
    assert cfp.vote(PROGRAMME, "Reject", note="Great story, but we have three like it.").status_code == 200
    # The workflow counted both votes and waits for the next one: past the Tally that would have decided.
    cfp.wait_for_state(application_id, "AwaitVote", times=2)
    stored = cfp.application(application_id)
    assert (stored.status, stored.approvals, stored.rejections) == ("in_review", 1, 1)
    assert [m.subject for m in cfp.emails_to(STORY["email"])] == [f"We received your application: “{STORY['title']}”"]

    # The third organiser sees the votes so far before deciding.
    page = cfp.client.http.get(cfp.review_link(TRACK, "Reject")).body.decode()
    assert "1 of 2 approvals needed" in page and "1 of 2 rejections needed" in page
    assert f"{MODERATOR}: <strong>approve</strong>" in page and f"{PROGRAMME}: <strong>reject</strong>" in page

    cfp.vote(TRACK, "Reject", note="Please bring it to the OSPO meetup!")
    decline = cfp.wait_for_email(STORY["email"], "About your application")
    assert "we are sorry" in decline.text.lower()
    for note in ("Great story, but we have three like it.", "Please bring it to the OSPO meetup!"):
        assert note in decline.text and note in decline.html
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    assert cfp.application(application_id).status == "declined"
    assert not any(m.subject.startswith("Action required") for m in cfp.emails_to(STORY["email"]))


def test_a_second_click_or_a_late_vote_is_told_politely_and_sends_nothing(cfp: CfP) -> None:
    application_id = submit(cfp)
    approve = cfp.review_link(MODERATOR, "Approve")
    cfp.post(approve)
    again = cfp.post(approve)
    assert again.status_code == 409
    assert "You have already voted" in again.body.decode()

    cfp.vote(PROGRAMME, "Approve")
    cfp.wait_for_email(STORY["email"], "Action required")
    sent = len(cfp.outbox())
    late = cfp.vote(TRACK, "Reject")
    assert late.status_code == 409
    page = late.body.decode()
    assert "<h2>The review is over</h2>" in page
    assert "This application is now <strong>accepted</strong>, so votes no longer count." in page
    assert "<form" not in cfp.client.http.get(cfp.review_link(TRACK, "Approve")).body.decode()

    # To its end, the workflow sends only what the speaker's confirmation sends: the late vote added nothing.
    cfp.post(cfp.attendance_link("yes"))
    cfp.wait_for_execution(application_id, "SUCCEEDED")
    after = cfp.outbox()[sent:]
    assert sorted(m.subject.partition(":")[0] for m in after) == ["Confirmed"] + ["Speaker confirmed"] * 3
    stored = cfp.application(application_id)
    assert (stored.status, stored.approvals, stored.rejections, len(stored.votes)) == ("confirmed", 2, 0, 2)


def test_reminders_go_only_to_organisers_who_have_not_voted_then_the_review_expires(cfp: CfP) -> None:
    # A 7.2-second review window with one reminder, halfway.
    cfp = cfp.with_call(review_window_hours=0.002, review_reminders=1)
    application_id = submit(cfp)
    cfp.vote(MODERATOR, "Approve")

    for organiser in (PROGRAMME, TRACK):
        reminder = cfp.wait_for_email(organiser, "Reminder:")
        assert "Votes so far: 1/2 approvals, 0/2 rejections" in reminder.text
        assert [label for label, _ in reminder.links][:2] == ["Approve", "Reject"]
    expiry = cfp.wait_for_email(STORY["email"], "could not be reviewed in time")
    assert STORY["title"] in expiry.text
    cfp.wait_for_execution(application_id, "SUCCEEDED")

    assert not any("Reminder" in m.subject for m in cfp.emails_to(MODERATOR))
    assert sum("Reminder" in m.subject for m in cfp.outbox()) == 2
    stored = cfp.application(application_id)
    assert stored.status == "expired"
    assert [e.event for e in stored.history][-3:] == ["review_requested", "organisers_reminded", "review_expired"]
    assert cfp.vote(PROGRAMME, "Approve").status_code == 409


def test_a_changed_review_link_gets_a_clear_page_and_counts_nothing(cfp: CfP) -> None:
    application_id = submit(cfp)
    approve = cfp.review_link(MODERATOR, "Approve")
    address, token = approve.rsplit("/", 1)
    payload, stamp, signature = token.split(".")
    tampered = f"{address}/{payload}.{stamp}.{signature[::-1]}"

    for response in (cfp.client.http.get(tampered), cfp.post(tampered), cfp.client.http.get(f"{address}/not-a-link")):
        assert response.status_code == 400
        page = response.body.decode()
        assert "This review link cannot be used" in page
        assert "may have been cut or changed" in page
    assert cfp.application(application_id).votes == []


def test_the_status_page_shows_the_path_so_far_and_what_comes_next(cfp: CfP) -> None:
    submit(cfp)
    cfp.wait_for_email(MODERATOR, "New application to review")
    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    page = cfp.client.http.get(cfp.path(cfp.link(acknowledgement, "Follow its status here"))).body.decode()
    assert '<strong id="status">in review</strong>' in page
    assert "The organisers are reviewing your story" in page
    assert "acknowledgement sent" in page and "review requested" in page
    assert "Withdraw my application" in page
    assert STORY["email"] not in page
