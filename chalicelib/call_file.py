"""The calls' TOML files, validated with pydantic: by `make package`, in the tests, and in the local run.

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

from chalicelib.call import (
    CALL_ID_PATTERN,
    CALLS_DIR,
    PROGRAMME_CHANGES,
    ROUTE_WORDS,
    Call,
    CallFileError,
    ProgrammeChange,
    quorum_problem,
)
from chalicelib.i18n import SOURCE_LANGUAGE, Language
from chalicelib.settings import CALL_FILE, CALL_OVERRIDES, DEFAULT_CALL_FILE

# In CALL_OVERRIDES, the settings of every call.
EVERY_CALL = "*"


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

    id: str = Field(pattern=CALL_ID_PATTERN)
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
    closed: bool = False
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

    @field_validator("id")
    @classmethod
    def _not_an_address_of_the_app(cls, value: str) -> str:
        # A call lives at /<id>/; and CALL_OVERRIDES tells a call's id from a setting's name.
        if value in ROUTE_WORDS or value in CallFile.model_fields:
            raise ValueError(f"is a word the app's addresses or settings use: choose another id than {value!r}")
        return value

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
    """The file's settings with `overrides` (a JSON object of settings), validated, every default filled in,
    in JSON's types."""
    return _validated(path, _toml(path), _object(overrides))


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise CallFileError(
            f"{shown(path)}: cannot be read ({exc.strerror}): {CALL_FILE} names a file of chalicelib/calls/, or a path"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise CallFileError(f"{shown(path)}: is not TOML ({exc}): correct the file") from exc


def _validated(path: Path, raw: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    try:
        fields: dict[str, Any] = CallFile.model_validate(raw | changes).model_dump(mode="json")
    except ValidationError as exc:
        mistakes = "\n".join(f"  - {_mistake(error, set(changes))}" for error in exc.errors())
        raise CallFileError(f"{shown(path)}: the call has mistakes:\n{mistakes}") from exc
    return fields


def packaged_calls(
    overrides: str, default_file: str = DEFAULT_CALL_FILE, calls_dir: Path = CALLS_DIR
) -> dict[str, Any]:
    """Every call file of `calls_dir` (and `default_file`, if it is a path elsewhere), validated with the
    stage's overrides, by call id: what `make package` writes into the zip. Raises CallFileError with
    every mistake of every file."""
    default_path = calls_dir / default_file  # an absolute path replaces calls_dir
    paths = sorted(calls_dir.glob("*.toml"))
    if default_path not in paths:
        paths.append(default_path)
    by_call, flat = split_overrides(overrides)
    calls: dict[str, dict[str, Any]] = {}
    mistakes: list[str] = []
    for path in paths:
        try:
            raw = _toml(path)
            changes = by_call.get(EVERY_CALL, {}) | by_call.get(str(raw.get("id")), {})
            fields = _validated(path, raw, changes | (flat if path == default_path else {}))
        except CallFileError as exc:
            mistakes.append(str(exc))
            continue
        if fields["id"] in calls:
            other = calls[fields["id"]]["file"]
            mistakes.append(f"{shown(path)}: id = {fields['id']!r} is the id of {other} too: give each call its own id")
        calls[fields["id"]] = {"file": path.name if path.parent == calls_dir else str(path), "call": fields}
    unknown = sorted(set(by_call) - set(calls) - {EVERY_CALL})
    if unknown and not mistakes:
        mistakes.append(
            f"{CALL_OVERRIDES} names {', '.join(map(repr, unknown))}, which is no call's id: the calls are "
            f"{', '.join(sorted(calls))} ({EVERY_CALL!r} changes every call)"
        )
    if mistakes:
        raise CallFileError("\n".join(mistakes))
    [default_id] = [call_id for call_id, entry in calls.items() if entry["file"] in (default_file, str(default_path))]
    return {"overrides": overrides, "default_file": default_file, "default": default_id, "calls": calls}


def shown(path: Path) -> str:
    """chalicelib/calls/<file> for the project's own calls, else the path as given."""
    try:
        return str(path.relative_to(CALLS_DIR.parent.parent))
    except ValueError:
        return str(path)


def _object(overrides: str) -> dict[str, Any]:
    """CALL_OVERRIDES read as a JSON object."""
    if not overrides:
        return {}
    try:
        changes = json.loads(overrides)
    except json.JSONDecodeError as exc:
        raise CallFileError(f"{CALL_OVERRIDES} is not JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(changes, dict):
        raise CallFileError(
            f"{CALL_OVERRIDES} must be a JSON object of settings by call id, such as "
            f'{{"{EVERY_CALL}": {{"guest_slots": 2}}}}'
        )
    return changes


def split_overrides(overrides: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The settings CALL_OVERRIDES changes, by call id ("*": every call); and, in the flat form of one-call
    deployments (settings, not call ids, as keys), those of the default call."""
    changes = _object(overrides)
    if set(changes) & set(CallFile.model_fields):
        return {}, changes
    for call_id, settings in changes.items():
        if not isinstance(settings, dict):
            raise CallFileError(
                f"{CALL_OVERRIDES}[{call_id!r}] must be a JSON object of that call's settings, such as "
                '{"guest_slots": 2}'
            )
    return changes, {}


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
