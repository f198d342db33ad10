"""A call's TOML file, validated with pydantic: by `make package`, in the tests, and in the local run.

Each mistake is told with the file, the setting and what to change. The validated settings become a
chalicelib.call.Call; `make package` writes them into the zip, so a cold start there needs no pydantic.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from chalicelib.call import CALLS_DIR, PROGRAMME_CHANGES, Call, CallFileError, ProgrammeChange, quorum_problem
from chalicelib.i18n import SOURCE_LANGUAGE, Language
from chalicelib.settings import CALL_OVERRIDES


class CallTextFile(BaseModel):
    """A `[text.<language>]` table: the call's words in another language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conference: str | None = None
    title: str | None = None
    blurb: str | None = None
    session_format: str | None = None
    room: str | None = None
    venue: str | None = None


class CallFile(BaseModel):
    """What a call's file may say, and the defaults of what it leaves out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: Language = SOURCE_LANGUAGE
    text: dict[Language, CallTextFile] = Field(default_factory=dict)

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
    verify_email: bool = False
    verification_window_hours: float = Field(default=48, gt=0)
    submissions_per_address_per_hour: int = Field(default=30, ge=1)
    submissions_per_email_per_hour: int = Field(default=5, ge=1)
    retention_days: int = Field(default=365, ge=1)
    session_reminder_hours: float = Field(default=24, gt=0)
    tell_organisers: tuple[ProgrammeChange, ...] = PROGRAMME_CHANGES

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, LookupError) as exc:
            raise ValueError("is not a time zone; use a name such as Europe/Paris") from exc
        return value

    @field_validator("deadline")
    @classmethod
    def _aware_deadline(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the deadline needs a UTC offset, e.g. 2024-06-02T23:59:00+02:00")
        return value

    @model_validator(mode="after")
    def _reachable_quorum(self) -> CallFile:
        problem = quorum_problem(self.approvals_needed, self.rejections_needed, self.organisers)
        if problem:
            raise ValueError(problem)
        return self


def read(path: Path, overrides: str = "") -> Call:
    return Call.from_validated(validated(path, overrides))


def validated(path: Path, overrides: str = "") -> dict[str, Any]:
    """The file's settings with the overrides, validated, every default filled in, in JSON's types."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise CallFileError(
            f"{shown(path)}: cannot be read ({exc.strerror}): CALL_FILE names a file of chalicelib/calls/, or a path"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise CallFileError(f"{shown(path)}: is not TOML ({exc}): correct the file") from exc
    changes = _overrides(overrides)
    try:
        fields: dict[str, Any] = CallFile.model_validate(raw | changes).model_dump(mode="json")
    except ValidationError as exc:
        mistakes = "\n".join(f"  - {_mistake(error, set(changes))}" for error in exc.errors())
        raise CallFileError(f"{shown(path)}: the call has mistakes:\n{mistakes}") from exc
    return fields


def packaged_calls(overrides: str, calls_dir: Path = CALLS_DIR) -> dict[str, Any]:
    """Every call file of chalicelib/calls/, validated with the stage's overrides, by call id: what
    `make package` writes into the zip. Raises CallFileError with every mistake of every file."""
    calls: dict[str, dict[str, Any]] = {}
    mistakes: list[str] = []
    for path in sorted(calls_dir.glob("*.toml")):
        try:
            fields = validated(path, overrides)
        except CallFileError as exc:
            mistakes.append(str(exc))
            continue
        if fields["id"] in calls:
            other = calls[fields["id"]]["file"]
            mistakes.append(f"{shown(path)}: id = {fields['id']!r} is the id of {other} too: give each call its own id")
        calls[fields["id"]] = {"file": path.name, "call": fields}
    if mistakes:
        raise CallFileError("\n".join(mistakes))
    return {"overrides": overrides, "calls": calls}


def shown(path: Path) -> str:
    """chalicelib/calls/<file> for the project's own calls, else the path as given."""
    try:
        return str(path.relative_to(CALLS_DIR.parent.parent))
    except ValueError:
        return str(path)


def _overrides(overrides: str) -> dict[str, Any]:
    if not overrides:
        return {}
    try:
        changes = json.loads(overrides)
    except json.JSONDecodeError as exc:
        raise CallFileError(f"{CALL_OVERRIDES} is not JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(changes, dict):
        raise CallFileError(f'{CALL_OVERRIDES} must be a JSON object of call settings, such as {{"guest_slots": 2}}')
    return changes


def _mistake(error: ErrorDetails, from_overrides: set[str]) -> str:
    """One sentence: the setting, what is wrong, and where to change it."""
    location = error["loc"]
    setting = ".".join(map(str, location))
    overridden = bool(location) and location[0] in from_overrides
    where, source = (
        (f"in {CALL_OVERRIDES}", f"from {CALL_OVERRIDES}") if overridden else ("in the file", "from the file")
    )
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"{setting} is missing: add it to the file"
    if error["type"] == "extra_forbidden":
        return f"{setting} is not a setting of a call: remove it {source}, or correct its name"
    if not location:
        return f"{message}: change it {where}"
    return f"{setting} = {error['input']!r}: {message[:1].lower()}{message[1:]}; change it {where}"
