"""Slots, the waitlist, attendance, withdrawal and the overview, through the real state machine."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from chalicelib import aws
from chalicelib.overview import CSV_COLUMNS
from tests.support import GRACE, LINUS, MODERATOR, PROGRAMME, STORY, CfP, token_of


def ada_holds_the_one_slot_and_grace_waits(cfp: CfP) -> tuple[CfP, str, str]:
    """A call of one slot: Ada's story takes it and she is asked to confirm; Grace's waits for it."""
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1)
    ada = cfp.accept(STORY)
    cfp.wait_for_email(STORY["email"], "Action required")
    grace = cfp.accept(GRACE)
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
    return cfp, ada, grace


def test_when_the_slots_are_full_the_next_waits_and_is_promoted_when_a_speaker_cancels(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1)
    ada = cfp.accept(STORY)
    cfp.wait_for_email(STORY["email"], "Action required")
    grace = cfp.accept(GRACE)

    waitlist = cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
    assert "the session's only guest slot is taken for now" in waitlist.text
    assert cfp.application(grace).status == "waitlisted"
    assert not any(m.subject.startswith("Action required") for m in cfp.emails_to(GRACE["email"]))

    question = cfp.client.http.get(cfp.attendance_link("no")).body.decode()
    assert "You cannot make it?" in question
    assert "Your slot goes to the next speaker" in cfp.post(cfp.attendance_link("no")).body.decode()

    cfp.wait_for_email(STORY["email"], "is released")
    promoted = cfp.wait_for_email(GRACE["email"], "Action required")
    # A promotion says why the slot came now, and by when to answer: a moment, in the call's time zone.
    assert f"a slot freed up, and your story “{GRACE['title']}”, which was on the waitlist, now has it" in promoted.text
    assert re.search(
        r"Please confirm by \w+day \d+ \w+ \d{4}, \d\d:\d\d \(Paris time\) that you will be there", promoted.text
    )
    first = cfp.emails_to(STORY["email"])[1]
    assert first.subject.startswith("Action required") and "Great news: the organisers accepted" in first.text
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert cfp.application(ada).status == "cancelled"
    stored = cfp.application(grace)
    assert stored.status == "accepted"
    assert [e.event for e in stored.history][-3:] == ["waitlisted", "promoted_from_waitlist", "slot_taken"]
    assert cfp.store_slots_taken() == 1


def test_a_freed_slot_goes_to_the_waitlist_before_an_application_approved_meanwhile(cfp: CfP) -> None:
    cfp, ada, grace = ada_holds_the_one_slot_and_grace_waits(cfp)
    assert cfp.submit(LINUS).status_code == 303
    approve_linus = cfp.review_link(MODERATOR, "Approve", title=LINUS["title"])
    linus = next(a.id for a in cfp.applications() if a.title == LINUS["title"])

    with cfp.holding_back("promote_next") as held:
        cfp.post(cfp.attendance_link("no"))
        cfp.pump.run_until(lambda: bool(held))  # Ada's slot is handed on, the waitlist not woken yet
        cfp.post(approve_linus)
        cfp.pump.run_until(lambda: cfp.application(linus).status in {"accepted", "waitlisted"})
        assert cfp.application(linus).status == "waitlisted"

    cfp.wait_for_email(GRACE["email"], "Action required")
    cfp.wait_for_email(LINUS["email"], "You are on the waitlist")
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert cfp.application(grace).status == "accepted"
    assert cfp.application(linus).status == "waitlisted"
    assert not any(m.subject.startswith("Action required") for m in cfp.emails_to(LINUS["email"]))
    assert cfp.store_slots_taken() == 1


def test_a_missed_confirmation_is_reminded_once_then_releases_the_slot_to_the_waitlist(cfp: CfP) -> None:
    # 7.2 seconds to confirm, with one reminder halfway.
    cfp = cfp.with_call(
        guest_slots=1,
        approvals_needed=1,
        rejections_needed=1,
        confirmation_window_hours=0.002,
        confirmation_reminders=1,
    )
    ada = cfp.accept(STORY)
    cfp.wait_for_email(STORY["email"], "Action required: confirm")
    grace = cfp.accept(GRACE)
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")

    reminder = cfp.wait_for_email(STORY["email"], "Action required: please confirm")
    assert re.search(
        r"Without an answer by \w+day \d+ \w+ \d{4}, \d\d:\d\d \(Paris time\), your slot goes", reminder.text
    )
    release = cfp.wait_for_email(STORY["email"], "has been released")
    assert "did not hear back from you in time" in release.text
    cfp.wait_for_email(GRACE["email"], "Action required: confirm")
    cfp.wait_for_execution(ada, "SUCCEEDED")

    assert cfp.application(ada).status == "released"
    assert [e.event for e in cfp.application(ada).history][-4:] == [
        "slot_taken",
        "speaker_reminded",
        "confirmation_missed",
        "slot_handed_on",
    ]
    assert cfp.application(grace).status == "accepted"
    late = cfp.post(cfp.attendance_link("yes"))
    assert late.status_code == 409 and "no slot to confirm" in late.body.decode()


def test_a_speaker_who_answered_while_a_reminder_was_on_its_way_is_not_reminded(cfp: CfP) -> None:
    cfp = cfp.with_call(
        approvals_needed=1, rejections_needed=1, confirmation_window_hours=0.002, confirmation_reminders=1
    )
    with cfp.holding_back("remind_speaker") as held:
        ada = cfp.accept(STORY)
        cfp.wait_for_email(STORY["email"], "Action required: confirm")
        cfp.pump.run_until(lambda: bool(held))  # the reminder is due, and its worker is slow
        assert "You are confirmed" in cfp.post(cfp.attendance_link("yes")).body.decode()

    cfp.wait_for_email(STORY["email"], "Confirmed")
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert not any("please confirm" in m.subject for m in cfp.emails_to(STORY["email"]))
    assert cfp.application(ada).status == "confirmed"


def test_a_refused_acceptance_email_fails_the_application_and_hands_its_slot_to_the_waitlist(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1)
    with cfp.holding_back("announce_acceptance") as held:
        ada = cfp.accept(STORY)
        cfp.pump.run_until(lambda: bool(held))  # Ada holds the slot; her acceptance is on its way
        grace = cfp.accept(GRACE)
        cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
        # SES refuses Ada's address for good.
        cfp.inject({"operation": "sesv2.SendEmail", "error": "MessageRejected", "times": 1})

    promoted = cfp.wait_for_email(GRACE["email"], "Action required")
    assert GRACE["title"] in promoted.text
    cfp.wait_for_execution(ada, "FAILED")
    assert aws.injected()[0].raised == 1
    assert not any(m.subject.startswith("Action required") for m in cfp.emails_to(STORY["email"]))
    assert cfp.application(ada).status == "failed"
    assert [e.event for e in cfp.application(ada).history][-4:] == [
        "slot_taken",
        "slot_handed_on",
        "workflow_failed",
        "failure_reported",
    ]
    assert cfp.application(grace).status == "accepted"
    assert cfp.store_slots_taken() == 1
    # Every organiser is told, once, which application failed, why and what to do.
    for organiser in (MODERATOR, PROGRAMME):
        [report] = [m for m in cfp.emails_to(organiser) if m.subject.startswith("Action needed")]
        assert report.subject == f"Action needed: the application “{STORY['title']}” could not be handled"
        assert f"reference {ada}" in report.text and "SES refused one of its emails for good" in report.text
    # The applicant's status page says what is true: something went wrong, and the organisers know.
    page = cfp.client.http.get(cfp.status_link(STORY)).body.decode()
    assert "Something went wrong on our side while we handled your application. The organisers have been told." in page


def test_withdrawing_under_review_ends_the_workflow_cleanly(cfp: CfP) -> None:
    cfp.submit()
    [application] = cfp.applications()
    acknowledgement = cfp.wait_for_email(STORY["email"], "We received your application")
    cfp.wait_for_email(MODERATOR, "New application to review")
    status = cfp.path(cfp.link(acknowledgement, "Follow its status here"))

    # The status page's button leads to a confirmation step: a GET that says what will happen, and changes nothing.
    assert f'href="{token_of(status)}/withdraw"' in cfp.client.http.get(status).body.decode()
    step = cfp.client.http.get(f"{status}/withdraw").body.decode()
    assert "Withdraw your application?" in step and "This cannot be undone." in step
    assert '<form method="post" action="withdraw">' in step
    assert not cfp.application(application.id).withdraw_requested
    page = cfp.post(f"{status}/withdraw").body.decode()
    assert "Your application is withdrawn" in page
    cfp.wait_for_email(STORY["email"], "is withdrawn")
    cfp.wait_for_execution(application.id, "SUCCEEDED")

    assert cfp.application(application.id).status == "withdrawn"
    late = cfp.vote(MODERATOR, "Approve").body.decode()
    assert "This application is now <strong>withdrawn</strong>, so votes no longer count." in late
    again = cfp.post(f"{status}/withdraw")
    assert again.status_code == 409 and "can no longer be withdrawn" in again.body.decode()
    assert "Withdraw my application" not in cfp.client.http.get(status).body.decode()


def test_withdrawing_while_holding_a_slot_hands_it_to_the_waitlist(cfp: CfP) -> None:
    cfp, ada, grace = ada_holds_the_one_slot_and_grace_waits(cfp)

    status = cfp.status_link(STORY)
    assert "your slot goes to the next on the waitlist" in cfp.client.http.get(status).body.decode()
    assert "released your slot" in cfp.post(f"{status}/withdraw").body.decode()

    cfp.wait_for_email(GRACE["email"], "Action required")
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert cfp.application(ada).status == "withdrawn"
    assert cfp.application(grace).status == "accepted"
    assert cfp.store_slots_taken() == 1


def test_deleting_ones_data_after_withdrawing_still_hands_the_slot_to_the_waitlist(cfp: CfP) -> None:
    cfp, ada, grace = ada_holds_the_one_slot_and_grace_waits(cfp)
    status = cfp.status_link(STORY)

    with cfp.holding_back("announce_withdrawal") as held:
        assert "released your slot" in cfp.post(f"{status}/withdraw").body.decode()
        cfp.pump.run_until(lambda: bool(held))
        # The workflow is on its way to freeing the slot when the applicant deletes their data.
        assert "Your data is deleted" in cfp.post(f"{status}/delete").body.decode()

    cfp.wait_for_email(GRACE["email"], "Action required")
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert cfp.application(ada).erased
    assert cfp.application(grace).status == "accepted"
    assert cfp.store_slots_taken() == 1


def test_a_withdrawal_between_two_waits_gets_no_acceptance_and_frees_the_slot(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1)
    with cfp.holding_back("announce_acceptance") as held:
        ada = cfp.accept(STORY)
        cfp.pump.run_until(lambda: bool(held))  # the slot is taken, the acceptance not sent yet
        assert cfp.store_slots_taken() == 1
        status = cfp.status_link(STORY)
        # Nobody told the applicant of the slot yet: the page speaks of the review only.
        assert "We have stopped the review" in cfp.post(f"{status}/withdraw").body.decode()

    cfp.wait_for_email(STORY["email"], "is withdrawn")
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert not any(m.subject.startswith("Action required") for m in cfp.emails_to(STORY["email"]))
    assert cfp.application(ada).status == "withdrawn"
    assert cfp.store_slots_taken() == 0


def test_an_answer_racing_the_release_of_another_gets_the_conflict_page_and_can_be_given_again(cfp: CfP) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    ada = cfp.accept(STORY)
    cfp.wait_for_email(STORY["email"], "Action required")
    # The claim finds an answer in place, released again before it can be read (the emulator
    # cannot time that race, so the claim's conditional put is refused as DynamoDB would).
    cfp.inject({"operation": "dynamodb.PutItem", "error": "ConditionalCheckFailedException", "times": 1})
    raced = cfp.post(cfp.attendance_link("yes"))
    assert raced.status_code == 409
    assert "Will you be there?" in raced.body.decode()

    assert "You are confirmed" in cfp.post(cfp.attendance_link("yes")).body.decode()
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert cfp.application(ada).status == "confirmed"


def test_the_invitation_holds_the_sessions_date_time_room_and_time_zone(cfp: CfP) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    cfp.accept(STORY)
    cfp.wait_for_email(STORY["email"], "Action required")
    cfp.post(cfp.attendance_link("yes"))
    confirmation = cfp.wait_for_email(STORY["email"], "Confirmed")

    [(filename, content_type, ics)] = confirmation.attachments
    assert (filename, content_type) == ("invitation.ics", "text/calendar")
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    paris = ZoneInfo("Europe/Paris")
    assert event.decoded("dtstart") == datetime(2024, 6, 11, 16, 40, tzinfo=paris)
    assert event.decoded("dtend") == datetime(2024, 6, 11, 17, 40, tzinfo=paris)
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    # Read with the charset the attachment declares: a calendar app shows these words as written.
    assert str(event["location"]) == "February room, Orange Gardens, Châtillon (Paris)"
    assert "“Our OSPO ate the legal team”" in str(event["description"])
    assert "OSPO, you can be heroes!" in str(event["summary"])


def test_the_overview_lists_every_application_and_exports_csv_and_json(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1)
    cfp.accept(STORY)
    cfp.wait_for_email(STORY["email"], "Action required")
    cfp.accept(GRACE)
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
    cfp.submit(STORY | {"title": "A story still in review", "email": "linus@example.org"})
    cfp.wait_for_email(MODERATOR, "A story still in review")

    overview_link = cfp.path(cfp.link(cfp.emails_to(MODERATOR)[0], "All applications of the call"))
    page = cfp.client.http.get(overview_link).body.decode()
    assert "3 applications · 1 of 1 slot taken" in page

    export = cfp.client.http.get(f"{overview_link}&format=csv")
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(export.body.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["title"], r["status"], r["slot"], r["approvals"]) for r in rows] == [
        (STORY["title"], "accepted", "held, awaiting confirmation", "1"),
        (GRACE["title"], "waitlisted", "waitlisted", "1"),
        ("A story still in review", "in_review", "", "0"),
    ]
    assert rows[0]["votes"] == f"{MODERATOR}: approve"
    assert rows[1]["email"] == GRACE["email"]

    exported = json.loads(cfp.client.http.get(f"{overview_link}&format=json").body)
    assert [a["status"] for a in exported["applications"]] == ["accepted", "waitlisted", "in_review"]
    assert cfp.client.http.get("/overview/forged?format=csv").status_code == 400
