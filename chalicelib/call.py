"""The calls for participation: each TOML file of chalicelib/calls/ is one, so each conference, and each
session of one, configures its own.

The files are validated with pydantic (chalicelib/call_file.py) when `make package` builds the zip, which
then carries the validated calls as JSON (chalicelib/packaged/calls.json); a cold start reads that and
builds the frozen dataclasses below, without pydantic. Anywhere else (the local run, the tests), or when
the stage's overrides differ from those it was packaged with, the files are validated when first read.

One call is the default (`CALL_FILE`): what links and data made before calls had ids belong to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from chalicelib.i18n import Language, time_span
from chalicelib.settings import CALL_ORGANISERS, DEFAULT_CALL_FILE

CALLS_DIR = Path(__file__).parent / "calls"
# Written by `make package` into the zip only: every call file, validated, by call id.
PACKAGED_CALLS = Path(__file__).parent / "packaged" / "calls.json"
# The first words of the app's own addresses: a call lives at /<call id>/, so no call may be called one of
# them (call_file.py refuses it; tests/test_routes.py checks the list against the app's routes).
ROUTE_WORDS = frozenset(
    {
        "applications",
        "attendance",
        "favicon.ico",
        "openapi.json",
        "overview",
        "review",
        "robots.txt",
        "static",
        "status",
        "thanks",
        "verify",
    }
)
# What a call's id may be: it is the first part of its pages' addresses (/<call id>/).
CALL_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,62}$"
# The changes to the programme the organisers are told of, each by one email (failures always are).
ProgrammeChange = Literal["withdrawal", "cancellation", "release", "promotion", "expiry"]
PROGRAMME_CHANGES: tuple[ProgrammeChange, ...] = get_args(ProgrammeChange)


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
    # Applications are refused whatever the deadline: set in the file, or a call whose file was removed.
    closed: bool
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

    def as_validated(self) -> dict[str, Any]:
        """The call in JSON's types, as from_validated reads it: what the table keeps of a call (stores/calls.py)."""
        fields = asdict(self)
        for name in ("date", "starts", "ends", "deadline"):
            fields[name] = fields[name].isoformat()
        fields["organisers"] = list(self.organisers)
        fields["tell_organisers"] = list(self.tell_organisers)
        return fields

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.starts, ZoneInfo(self.timezone))

    def session_started(self, now: datetime) -> bool:
        return now >= self.starts_at

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
        return not self.closed and (now or datetime.now(UTC)) <= self.deadline

    def organiser_index(self, address: str) -> int | None:
        """The organiser's place in the list (the review links name it), whatever the address's case."""
        wanted = address.casefold()
        return next((i for i, organiser in enumerate(self.organisers) if organiser.casefold() == wanted), None)

    def organised_by(self, address: str) -> bool:
        return self.organiser_index(address) is not None


def could_be_a_call(call_id: str) -> bool:
    """Whether an address's first part may name a call: another is not looked up."""
    return call_id not in ROUTE_WORDS and re.fullmatch(CALL_ID_PATTERN, call_id) is not None


class CallFileError(ValueError):
    """A call's file, or the stage's overrides of it, cannot be read."""


class UnknownCall(LookupError):
    """No call has this id: no file says it, and the table keeps no record of it (stores/calls.py)."""

    def __init__(self, call_id: str) -> None:
        super().__init__(call_id)
        self.call_id = call_id


# Finds a call by its id; raises UnknownCall. The services that serve every call take one (deps.call).
CallOf = Callable[[str], Call]


@dataclass(frozen=True)
class Calls:
    """Every call of the deployment, by id; `default_id` names the one of CALL_FILE."""

    by_id: Mapping[str, Call]
    default_id: str

    @classmethod
    def of_one(cls, call: Call) -> Calls:
        return cls({call.id: call}, call.id)

    @property
    def default(self) -> Call:
        return self.by_id[self.default_id]

    def of(self, call_id: str) -> Call:
        """Raises UnknownCall."""
        try:
            return self.by_id[call_id]
        except KeyError:
            raise UnknownCall(call_id) from None

    def __iter__(self) -> Iterator[Call]:
        return iter(self.by_id.values())

    def listed(self, now: datetime | None = None) -> tuple[list[Call], list[Call]]:
        """The open calls, the one closing first first; then the closed ones, the latest session first."""
        calls = list(self)
        open_calls = sorted((c for c in calls if c.is_open(now)), key=lambda c: (c.deadline, c.id))
        closed = sorted((c for c in calls if not c.is_open(now)), key=lambda c: (c.starts_at, c.id), reverse=True)
        return open_calls, closed

    def organised_by(self, address: str) -> list[Call]:
        """The calls that `address` organises, in the order of the list of calls."""
        return [call for call in self if call.organised_by(address)]


def quorum_problem(approvals_needed: int, rejections_needed: int, organisers: tuple[str, ...]) -> str | None:
    """Why the organisers could never reach a decision, if they could not."""
    for name, needed in (("approvals_needed", approvals_needed), ("rejections_needed", rejections_needed)):
        if needed > len(organisers):
            return f"{name} cannot exceed the number of organisers ({len(organisers)})"
    return None


@cache
def load_calls(
    overrides: str = "",
    default_file: str = "",
    sender: str | None = None,
    organisers: tuple[str, ...] | None = None,
) -> Calls:
    """Every call: the files of chalicelib/calls/ (and CALL_FILE's, if it is a path elsewhere).

    `overrides` is CALL_OVERRIDES: a JSON object of settings by call id ("*": every call) that replace the
    files' for one stage (the local run reopens the 2024 calls); a flat object of settings, as one-call
    deployments wrote it, changes the default call. `sender` and `organisers` are a deployment's own
    addresses, given to `make deploy`: the sender's address is every call's (each keeps its display name),
    the organisers replace the default call's.
    """
    default_file = default_file or DEFAULT_CALL_FILE
    packaged = _packaged(overrides, default_file)
    if packaged is None:
        from chalicelib import call_file  # pydantic: only where the calls were not validated at packaging

        packaged = call_file.packaged_calls(overrides, default_file)
    by_id = {call_id: Call.from_validated(entry["call"]) for call_id, entry in packaged["calls"].items()}
    default_id = packaged["default"]
    by_id = {
        call_id: for_deployment(call, sender, organisers if call_id == default_id else None)
        for call_id, call in by_id.items()
    }
    return Calls(by_id, default_id)


def load_call(
    file_name: str,
    overrides: str = "",
    sender: str | None = None,
    organisers: tuple[str, ...] | None = None,
) -> Call:
    """The call of one file (a name in chalicelib/calls/, or a path), as the default call of a deployment."""
    return load_calls(overrides, file_name, sender, organisers).default


def _packaged(overrides: str, default_file: str) -> dict[str, Any] | None:
    """The calls as `make package` validated them, if it did, with these very overrides and default."""
    if not PACKAGED_CALLS.exists():
        return None
    packaged: dict[str, Any] = json.loads(PACKAGED_CALLS.read_text(encoding="utf-8"))
    if packaged["overrides"] != overrides or packaged["default_file"] != default_file:
        return None
    return packaged


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
