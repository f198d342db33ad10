"""The speaker's calendar invitation (.ics), in the call's own time zone."""

from __future__ import annotations

from datetime import date, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from chalicelib.call import Call
from chalicelib.i18n import translations
from chalicelib.models import Application

# The invitation's versions: a calendar applies a change to the event it holds (the same UID) only
# when its SEQUENCE is higher, so the cancellation supersedes the invitation.
INVITED = 0
CANCELLED = 1
CONTENT_TYPE = "text/calendar; charset=utf-8; method={method}"


def invitation(call: Call, application: Application, stamped: datetime) -> bytes:
    """In the language of `call` (see Call.in_language), which is the speaker's."""
    return _calendar(call, application, stamped, "PUBLISH", "CONFIRMED", INVITED)


def cancellation(call: Call, application: Application, stamped: datetime) -> bytes:
    """The same event, cancelled: the speaker's calendar removes it."""
    return _calendar(call, application, stamped, "CANCEL", "CANCELLED", CANCELLED)


def _calendar(
    call: Call, application: Application, stamped: datetime, method: str, status: str, sequence: int
) -> bytes:
    words = translations(call.language)
    calendar = Calendar()
    calendar.add("prodid", "-//CfP//speaker invitation//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{application.id}@{call.id}")
    event.add("sequence", sequence)
    event.add("status", status)
    event.add("dtstamp", stamped)
    event.add("dtstart", call.starts_at)
    event.add("dtend", call.ends_at)
    event.add(
        "summary",
        words.gettext("%(session)s (%(conference)s): your %(minutes)s-minute story")
        % {"session": call.title, "conference": call.conference, "minutes": call.talk_minutes},
    )
    event.add("location", vText(", ".join(part for part in (call.room, call.venue) if part)))
    event.add(
        "description",
        words.gettext("You tell “%(title)s” as a guest speaker. Format: %(format)s.")
        % {"title": application.title, "format": call.session_format},
    )
    organiser = vCalAddress(f"mailto:{call.sender_address}")
    organiser.params["cn"] = vText(call.conference)
    event.add("organizer", organiser)
    calendar.add_component(event)
    # The time zone's rules for the session's year are all a calendar needs.
    calendar.add_missing_timezones(date(call.date.year, 1, 1), date(call.date.year + 1, 1, 1))
    return bytes(calendar.to_ical())
