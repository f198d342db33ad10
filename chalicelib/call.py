"""The call for participation: configured in a TOML file, so each conference configures its own.

The file is validated with pydantic (chalicelib/call_file.py) when `make package` builds the zip,
which then carries the validated calls as JSON (chalicelib/packaged/calls.json); a cold start reads
that and builds the frozen dataclasses below, without pydantic. Anywhere else (the local run, the
tests), or when the stage's overrides differ from those it was packaged with, the file is validated
when it is first read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from chalicelib.i18n import Language, time_span
from chalicelib.settings import CALL_ORGANISERS

CALLS_DIR = Path(__file__).parent / "calls"
# Written by `make package` into the zip only: every call file, validated, by call id.
PACKAGED_CALLS = Path(__file__).parent / "packaged" / "calls.json"
# The changes to the programme the organisers are told of, each by one email (failures always are).
ProgrammeChange = Literal["withdrawal", "cancellation", "release", "promotion", "expiry"]
PROGRAMME_CHANGES: tuple[ProgrammeChange, ...] = ("withdrawal", "cancellation", "release", "promotion", "expiry")


@dataclass(frozen=True, kw_only=True)
class CallText:
    """The call's words in another language (a `[text.fr]` table in the call's file); what is left out stays as is."""

    conference: str | None
    title: str | None
    blurb: str | None
    session_format: str | None
    room: str | None
    venue: str | None


@dataclass(frozen=True, kw_only=True)
class Call:
    """A validated call. Its rules and defaults are call_file.CallFile's; a test keeps the fields the same."""

    # The language of the file's own text; organisers' emails are written in it.
    language: Language
    text: dict[Language, CallText]

    id: str
    conference: str
    title: str
    blurb: str
    session_format: str
    date: date
    starts: time
    ends: time
    timezone: str
    room: str
    venue: str
    guest_slots: int
    talk_minutes: int
    summary_max_chars: int
    deadline: datetime
    sender: str
    organisers: tuple[str, ...]
    approvals_needed: int
    rejections_needed: int
    review_window_hours: float
    review_reminders: int
    confirmation_window_hours: float
    confirmation_reminders: int
    waitlist_window_hours: float
    # Double opt-in: applicants confirm their address before the review starts.
    verify_email: bool
    verification_window_hours: float
    # Anti-spam: submissions allowed per client address and per email address, per hour.
    submissions_per_address_per_hour: int
    submissions_per_email_per_hour: int
    # Personal data: applications are deleted this many days after the session (or submission).
    retention_days: int
    # How long before the session each confirmed speaker is reminded of it.
    session_reminder_hours: float
    # What the organisers are told of as it happens; [] leaves only confirmations and failures.
    tell_organisers: tuple[ProgrammeChange, ...]

    @classmethod
    def from_validated(cls, fields: Mapping[str, Any]) -> Call:
        """A call from what call_file.validated() returns, which is what `make package` writes: JSON's types."""
        typed = {
            "text": {language: CallText(**words) for language, words in fields["text"].items()},
            "date": date.fromisoformat(fields["date"]),
            "starts": time.fromisoformat(fields["starts"]),
            "ends": time.fromisoformat(fields["ends"]),
            "deadline": datetime.fromisoformat(fields["deadline"]),
            "organisers": tuple(fields["organisers"]),
            "tell_organisers": tuple(fields["tell_organisers"]),
        }
        return cls(**(dict(fields) | typed))

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.starts, ZoneInfo(self.timezone))

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.ends, ZoneInfo(self.timezone))

    @property
    def sender_address(self) -> str:
        """'Name <a@b>' -> 'a@b'."""
        return self.sender.rpartition("<")[2].rstrip(">").strip()

    @property
    def review_window(self) -> timedelta:
        return timedelta(hours=self.review_window_hours)

    @property
    def when(self) -> str:
        """The session's slot as people read it: 'Tuesday 11 June 2024, 16:40–17:40 (Paris time)'."""
        return time_span(self.date, self.starts, self.ends, self.timezone, self.language)

    def in_language(self, language: Language) -> Call:
        """The call as a reader of `language` sees it: its translated text, and dates in that language."""
        if language == self.language:
            return self
        words = self.text.get(language)
        changes = {name: value for name, value in asdict(words).items() if value is not None} if words else {}
        return replace(self, **changes | {"language": language})

    def expiry_of(self, submitted_at: datetime) -> int:
        """When an application submitted then is deleted, in epoch seconds (DynamoDB's TTL)."""
        return int((max(submitted_at, self.ends_at) + timedelta(days=self.retention_days)).timestamp())

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) <= self.deadline


def quorum_problem(approvals_needed: int, rejections_needed: int, organisers: tuple[str, ...]) -> str | None:
    """Why the organisers could never reach a decision, if they could not."""
    for name, needed in (("approvals_needed", approvals_needed), ("rejections_needed", rejections_needed)):
        if needed > len(organisers):
            return f"{name} cannot exceed the number of organisers ({len(organisers)})"
    return None


class CallFileError(ValueError):
    """The call's file, or the stage's overrides of it, cannot be read."""


@cache
def load_call(
    file_name: str,
    overrides: str = "",
    sender: str | None = None,
    organisers: tuple[str, ...] | None = None,
) -> Call:
    """The call of a file: a name in chalicelib/calls/, or a path.

    `overrides` is a JSON object of settings that replace the file's for one stage: the local
    run, for example, reopens the 2024 call and uses two slots, so the waitlist shows.
    `sender` and `organisers` are a deployment's own addresses, given to `make deploy`.
    """
    call = _packaged(file_name, overrides)
    if call is None:
        from chalicelib import call_file  # pydantic: only where the call was not validated at packaging

        call = call_file.read(CALLS_DIR / file_name, overrides)  # an absolute path replaces CALLS_DIR
    return for_deployment(call, sender, organisers)


def _packaged(file_name: str, overrides: str) -> Call | None:
    """The call as `make package` validated it, if it did, with these very overrides."""
    if not PACKAGED_CALLS.exists():
        return None
    packaged = json.loads(PACKAGED_CALLS.read_text(encoding="utf-8"))
    if packaged["overrides"] != overrides:
        return None
    for entry in packaged["calls"].values():
        if entry["file"] == file_name:
            return Call.from_validated(entry["call"])
    return None


def for_deployment(call: Call, sender: str | None, organisers: tuple[str, ...] | None) -> Call:
    """The call with the deployment's own sender address and organisers, if it has them."""
    if sender:
        call = replace(call, sender=with_address(call.sender, sender))
    if organisers:
        problem = quorum_problem(call.approvals_needed, call.rejections_needed, organisers)
        if problem:
            raise CallFileError(f"{CALL_ORGANISERS} names too few organisers for the call {call.id}: {problem}")
        call = replace(call, organisers=organisers)
    return call


def with_address(sender: str, address: str) -> str:
    """The call file's sender name with another address: 'OW2con'24 CfP <cfp@example.org>'."""
    if "<" in address:
        return address
    name = sender.rpartition("<")[0].strip() if "<" in sender else ""
    return f"{name} <{address}>" if name else address
