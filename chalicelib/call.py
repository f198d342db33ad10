"""The call for participation: loaded from a TOML file, so each conference configures its own."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.i18n import SOURCE_LANGUAGE, Language, time_span

CALLS_DIR = Path(__file__).parent / "calls"
# The changes to the programme the organisers are told of, each by one email (failures always are).
ProgrammeChange = Literal["withdrawal", "cancellation", "release", "promotion", "expiry"]
PROGRAMME_CHANGES: tuple[ProgrammeChange, ...] = ("withdrawal", "cancellation", "release", "promotion", "expiry")


class CallText(BaseModel):
    """The call's words in another language (a `[text.fr]` table in the call's file); what is left out stays as is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conference: str | None = None
    title: str | None = None
    blurb: str | None = None
    session_format: str | None = None
    room: str | None = None
    venue: str | None = None


class Call(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The language of the file's own text; organisers' emails are written in it.
    language: Language = SOURCE_LANGUAGE
    text: dict[Language, CallText] = Field(default_factory=dict)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    conference: str
    title: str
    blurb: str
    session_format: str
    date: date
    starts: time
    ends: time
    timezone: str
    room: str
    venue: str = ""
    guest_slots: int = Field(ge=1)
    talk_minutes: int = Field(ge=1)
    summary_max_chars: int = Field(ge=100, le=5000)
    deadline: datetime
    sender: str
    organisers: tuple[str, ...] = Field(min_length=1)
    approvals_needed: int = Field(default=1, ge=1)
    rejections_needed: int = Field(default=1, ge=1)
    review_window_hours: float = Field(gt=0)
    review_reminders: int = Field(default=0, ge=0, le=10)
    confirmation_window_hours: float = Field(default=72, gt=0)
    confirmation_reminders: int = Field(default=1, ge=0, le=10)
    waitlist_window_hours: float = Field(default=2160, gt=0)
    # Double opt-in: applicants confirm their address before the review starts.
    verify_email: bool = False
    verification_window_hours: float = Field(default=48, gt=0)
    # Anti-spam: submissions allowed per client address and per email address, per hour.
    submissions_per_address_per_hour: int = Field(default=30, ge=1)
    submissions_per_email_per_hour: int = Field(default=5, ge=1)
    # Personal data: applications are deleted this many days after the session (or submission).
    retention_days: int = Field(default=365, ge=1)
    # How long before the session each confirmed speaker is reminded of it.
    session_reminder_hours: float = Field(default=24, gt=0)
    # What the organisers are told of as it happens; [] leaves only confirmations and failures.
    tell_organisers: tuple[ProgrammeChange, ...] = PROGRAMME_CHANGES

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator("deadline")
    @classmethod
    def _aware_deadline(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the deadline needs a UTC offset, e.g. 2024-06-02T23:59:00+02:00")
        return value

    @model_validator(mode="after")
    def _reachable_quorum(self) -> Call:
        for name in ("approvals_needed", "rejections_needed"):
            if getattr(self, name) > len(self.organisers):
                raise ValueError(f"{name} cannot exceed the number of organisers ({len(self.organisers)})")
        return self

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
        changes = words.model_dump(exclude_none=True) if words else {}
        return self.model_copy(update=changes | {"language": language})

    def expiry_of(self, submitted_at: datetime) -> int:
        """When an application submitted then is deleted, in epoch seconds (DynamoDB's TTL)."""
        return int((max(submitted_at, self.ends_at) + timedelta(days=self.retention_days)).timestamp())

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) <= self.deadline


class CallFileError(ValueError):
    """The call's file, or the stage's overrides of it, cannot be read."""


@cache
def load_call(
    file_name: str,
    overrides: str = "",
    sender: str | None = None,
    organisers: tuple[str, ...] | None = None,
) -> Call:
    """Read a call file: a name in chalicelib/calls/, or a path.

    `overrides` is a JSON object of settings that replace the file's for one stage: the local
    run, for example, reopens the 2024 call and uses two slots, so the waitlist shows.
    `sender` and `organisers` are a deployment's own addresses, given to `make deploy`.
    """
    path = CALLS_DIR / file_name  # an absolute path replaces CALLS_DIR
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    if overrides:
        try:
            changes = json.loads(overrides)
        except json.JSONDecodeError as exc:
            raise CallFileError(f"the call overrides are not JSON: {exc.msg}") from exc
        if not isinstance(changes, dict):
            raise CallFileError("the call overrides must be a JSON object of call settings")
        raw |= changes
    if sender:
        raw["sender"] = with_address(str(raw.get("sender", "")), sender)
    if organisers:
        raw["organisers"] = list(organisers)
    return Call.model_validate(raw)


def with_address(sender: str, address: str) -> str:
    """The call file's sender name with another address: 'OW2con'24 CfP <cfp@example.org>'."""
    if "<" in address:
        return address
    name = sender.rpartition("<")[0].strip() if "<" in sender else ""
    return f"{name} <{address}>" if name else address
