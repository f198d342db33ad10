"""The domain's typed objects: what applicants send, what is stored, what organisers decide."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL_PATTERN = re.compile(rf"^[^@\s<>\"(),;:]+@{_LABEL}(?:\.{_LABEL})+$")


class ExperienceKind(StrEnum):
    GOOD = "good"
    BAD = "bad"
    UGLY = "ugly"


class Status(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_VERIFICATION = "awaiting_verification"
    UNVERIFIED = "unverified"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    RELEASED = "released"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"
    NOT_SELECTED = "not_selected"
    FAILED = "failed"


# While the workflow waits on one of these, the applicant may still withdraw.
WITHDRAWABLE = frozenset(
    {
        Status.SUBMITTED,
        Status.AWAITING_VERIFICATION,
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.ACCEPTED,
        Status.WAITLISTED,
    }
)


class Outcome(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def _checkbox(value: Any) -> Any:
    """HTML checkboxes send 'on' when ticked and nothing otherwise."""
    if isinstance(value, str):
        return value.strip().lower() in {"on", "yes", "true", "1"}
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _has_control_characters(value: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


class ApplicationForm(BaseModel):
    """What an applicant sends, from the HTML form or as JSON."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    email: str = Field(max_length=254)
    organisation: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, max_length=120)
    kind: ExperienceKind
    title: str = Field(min_length=3, max_length=120)
    summary: str = Field(min_length=40)
    consent: Annotated[bool, BeforeValidator(_checkbox)] = Field(default=False, validate_default=True)

    @field_validator("name", "title", "organisation")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and _has_control_characters(value):
            raise ValueError("must be one line of text, without control characters")
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if not EMAIL_PATTERN.match(value):
            raise ValueError("must be an email address such as ada@example.org")
        return value

    @field_validator("summary")
    @classmethod
    def _fits_the_slot(cls, value: str, info: ValidationInfo) -> str:
        limit = (info.context or {}).get("summary_max_chars")
        if limit is not None and len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; keep it to {limit} so it fits the talk")
        if _has_control_characters(value, allow_newlines=True):
            raise ValueError("must be plain text, without control characters")
        return value

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("must be ticked: we need it to store and share your application")
        return value

    def application_id(self, call_id: str) -> str:
        """The same person sending the same story to the same call gets the same id."""
        title = " ".join(self.title.casefold().split())
        fingerprint = "\x00".join((call_id, self.email.casefold(), title)).encode()
        digest = hashlib.sha256(fingerprint).digest()[:15]
        return base64.b32encode(digest).decode().lower()


FIELD_LABELS = {
    "name": "Your name",
    "email": "Email",
    "organisation": "Organisation",
    "kind": "Kind of experience",
    "title": "Story title",
    "summary": "Summary",
    "consent": "Consent",
}

_FRIENDLY = {
    "missing": "is required",
    "string_too_short": "is too short",
    "string_too_long": "is too long",
    "enum": "must be one of: good, bad, ugly",
    "string_type": "must be text",
    "bool_type": "must be ticked",
    "bool_parsing": "must be ticked",
    "extra_forbidden": "is not a field of this form; remove it",
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One human sentence per field, keyed by the field's name."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "body"
        if field in errors:
            continue
        label = FIELD_LABELS.get(field, field)
        kind = error["type"]
        if kind == "value_error":
            reason = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        elif kind in ("string_too_short", "string_too_long"):
            limit = error.get("ctx", {}).get("min_length" if kind == "string_too_short" else "max_length")
            bound = "at least" if kind == "string_too_short" else "at most"
            reason = f"must be {bound} {limit} characters"
        else:
            reason = _FRIENDLY.get(kind, error["msg"])
        errors[field] = f"{label} {reason}."
    return errors


class HistoryEvent(BaseModel):
    event: str
    at: str
    by: str | None = None


class Vote(BaseModel):
    """One organiser's vote on one application."""

    organiser: str
    outcome: Outcome
    at: str
    note: str = ""


class Application(BaseModel):
    """An application as stored, with its status, the votes and the path it took."""

    id: str
    call_id: str
    name: str
    email: str
    organisation: str | None = None
    kind: ExperienceKind
    title: str
    summary: str
    submitted_at: datetime
    status: Status
    history: list[HistoryEvent] = Field(default_factory=list)
    approvals: int = 0
    rejections: int = 0
    votes: list[Vote] = Field(default_factory=list)
    withdraw_requested: bool = False
    waitlisted_at: str | None = None
    # When DynamoDB's TTL deletes the application (epoch seconds): the call's retention.
    expires_at: int | None = None
    # The applicant asked to delete their data: personal fields are blanked, no email goes out.
    erased: bool = False

    @classmethod
    def from_form(
        cls, form: ApplicationForm, call_id: str, now: datetime, expires_at: int | None = None
    ) -> Application:
        return cls(
            expires_at=expires_at,
            id=form.application_id(call_id),
            call_id=call_id,
            name=form.name,
            email=form.email,
            organisation=form.organisation,
            kind=form.kind,
            title=form.title,
            summary=form.summary,
            submitted_at=now,
            status=Status.SUBMITTED,
            history=[HistoryEvent(event="submitted", at=now.isoformat())],
        )

    def vote_of(self, organiser: str) -> Vote | None:
        return next((vote for vote in self.votes if vote.organiser == organiser), None)


class WaitKind(StrEnum):
    VERIFICATION = "verification"
    VOTE = "vote"
    CONFIRMATION = "confirmation"
    PROMOTION = "promotion"


class Wait(BaseModel):
    """The callback the workflow is waiting on. The task token never leaves the server."""

    application_id: str
    kind: WaitKind
    task_token: str
    since: str


class Answer(BaseModel):
    """A speaker's answer to "will you be there?", taken once."""

    answer: Literal["yes", "no"]
    at: str


TaskName = Literal[
    "await_verification",
    "acknowledge",
    "request_review",
    "await_vote",
    "remind_organisers",
    "announce_acceptance",
    "await_confirmation",
    "remind_speaker",
    "announce_confirmation",
    "tell_organisers",
    "announce_cancellation",
    "announce_release",
    "announce_withdrawal",
    "promote_next",
    "announce_waitlist",
    "join_waitlist",
    "announce_waitlist_closed",
    "announce_decline",
    "announce_expiry",
]


class TaskMessage(BaseModel):
    """A message a workflow task state puts on the task queue."""

    model_config = ConfigDict(extra="ignore")

    task: TaskName
    application_id: str
    task_token: str
    round: int = 0
    votes_seen: int = 0
