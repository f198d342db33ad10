"""Until the session: a confirmed speaker is reminded before it, and may cancel until it starts; the
waitlist gets the slot and the organisers hear of every change. Through the real state machine."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from chalicelib import deps
from tests.support import GRACE, MODERATOR, PROGRAMME, STORY, CfP

ORGANISERS = (MODERATOR, PROGRAMME, "ospo-track@ow2con.example")
PARIS = ZoneInfo("Europe/Paris")


def session_in(seconds: float, reminder_seconds_before: float) -> dict[str, object]:
    """Call settings that put the session `seconds` from now, its reminder that long before it."""
    starts = (datetime.now(PARIS) + timedelta(seconds=seconds)).replace(microsecond=0)
    ends = min(starts + timedelta(hours=1), starts.replace(hour=23, minute=59, second=59))
    return {
        "date": starts.date().isoformat(),
        "starts": starts.time().isoformat(),
        "ends": ends.time().isoformat(),
        "session_reminder_hours": reminder_seconds_before / 3600,
    }


def event_of(ics: str) -> dict[str, str]:
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    return {key: str(event[key]) for key in ("UID", "SEQUENCE", "STATUS")} | {
        "METHOD": str(Calendar.from_ical(ics)["METHOD"])
    }


def test_a_confirmed_speaker_cancels_the_waitlist_gets_the_slot_and_everyone_is_told(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1, **session_in(3600, 60))
    ada = cfp.accept(STORY)
    cfp.confirm(STORY)
    confirmation = cfp.wait_for_email(STORY["email"], "Confirmed: you speak at")
    grace = cfp.accept(GRACE)
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
    [(_, _, invitation)] = confirmation.attachments
    assert event_of(invitation) == {
        "UID": f"{ada}@ow2con24-ospo-heroes",
        "SEQUENCE": "0",
        "STATUS": "CONFIRMED",
        "METHOD": "PUBLISH",
    }
    assert cfp.link(confirmation, "I can no longer come").startswith("http://testserver/ow2con24-ospo-heroes/status/")

    status = cfp.status_link(STORY)
    assert "Cancel my talk…" in cfp.client.http.get(status).body.decode()
    asking = cfp.client.http.get(f"{status}/withdraw").body.decode()
    assert "Cancel your talk?" in asking and "Your reason, for the organisers (optional)" in asking
    assert cfp.application(ada).status == "confirmed"  # a GET changes nothing
    cancelled = cfp.post(f"{status}/withdraw", reason="My flight was cancelled.")
    assert "is cancelled: your slot goes to the next speaker on the waitlist" in cancelled.body.decode()

    # The speaker's calendar removes the event: the same UID, a higher SEQUENCE, METHOD:CANCEL.
    notice = cfp.wait_for_email(STORY["email"], "Cancelled: your story at")
    [(filename, content_type, cancellation)] = notice.attachments
    assert (filename, content_type) == ("cancellation.ics", "text/calendar")
    assert event_of(cancellation) == {
        "UID": f"{ada}@ow2con24-ospo-heroes",
        "SEQUENCE": "1",
        "STATUS": "CANCELLED",
        "METHOD": "CANCEL",
    }
    # The organisers hear of the cancellation, with the reason, and of the promotion that follows.
    for organiser in ORGANISERS:
        told = cfp.wait_for_email(organiser, f"Cancelled: Ada Lovelace, “{STORY['title']}”")
        assert "> My flight was cancelled." in told.text
        assert "Its slot goes to the next on the waitlist" in told.text
        cfp.wait_for_email(organiser, f"Promoted from the waitlist: “{GRACE['title']}”")
    promoted = cfp.wait_for_email(GRACE["email"], "Action required")
    assert GRACE["title"] in promoted.text
    cfp.wait_for_execution(ada, "SUCCEEDED")
    stored = cfp.application(ada)
    assert stored.status == "cancelled" and stored.withdraw_reason == "My flight was cancelled."
    assert [e.event for e in stored.history][-3:] == ["confirmed", "cancelled_after_confirming", "slot_handed_on"]
    assert cfp.application(grace).status == "accepted"
    assert cfp.store_slots_taken() == 1


def test_the_day_before_the_speaker_is_reminded_and_after_the_start_nobody_can_cancel(cfp: CfP) -> None:
    # The session starts 14 s from now; its reminder is due 10 s before it.
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1, **session_in(14, 10))
    ada = cfp.accept(STORY)
    cfp.confirm(STORY)
    cfp.wait_for_email(STORY["email"], "Confirmed: you speak at")

    reminder = cfp.wait_for_email(STORY["email"], "Reminder: ")
    assert "February room" in reminder.text and "3-minute story, no slides" in reminder.text
    assert "A question? Reply to this email or write to cfp@ow2con.example." in reminder.text
    assert cfp.link(reminder, "I can no longer come").startswith("http://testserver/ow2con24-ospo-heroes/status/")
    cfp.wait_for_execution(ada, "SUCCEEDED", timeout=45)
    assert [e.event for e in cfp.application(ada).history][-2:] == ["confirmed", "session_reminded"]

    # The session has started (the emulator's Wait may end a fraction of a second early): the page
    # offers no cancellation, and a POST changes nothing.
    time.sleep(max(0.0, (deps.call().starts_at - datetime.now(PARIS)).total_seconds()))
    status = cfp.status_link(STORY)
    assert "Cancel my talk" not in cfp.client.http.get(status).body.decode()
    late = cfp.post(f"{status}/withdraw", reason="Too late")
    assert late.status_code == 409
    assert cfp.application(ada).status == "confirmed" and not cfp.application(ada).withdraw_requested


def test_deleting_ones_data_after_confirming_hands_the_slot_on(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=1, approvals_needed=1, rejections_needed=1, **session_in(3600, 60))
    ada = cfp.accept(STORY)
    cfp.confirm(STORY)
    cfp.wait_for_email(STORY["email"], "Confirmed: you speak at")
    cfp.accept(GRACE)
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")

    assert "Your data is deleted" in cfp.post(f"{cfp.status_link(STORY)}/delete").body.decode()

    cfp.wait_for_email(GRACE["email"], "Action required")
    cfp.wait_for_email(MODERATOR, "Cancelled: , “(deleted)”")
    cfp.wait_for_execution(ada, "SUCCEEDED")
    assert cfp.application(ada).erased and cfp.application(ada).status == "cancelled"
    # The erased speaker is written to no more: no cancellation email after the confirmation.
    assert [m.subject for m in cfp.emails_to(STORY["email"])][-1].startswith("Confirmed: you speak at")
    assert cfp.store_slots_taken() == 1
