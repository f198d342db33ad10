"""The domain's typed objects: what applicants send, what is stored, what organisers decide."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.fields import FIELD_LABELS
from chalicelib.i18n import N_, SOURCE_LANGUAGE, Language, translations

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# The local part is a dot-atom of ASCII characters (RFC 5322): what every mail system, SES and
# Python's email package accept. Quoted or non-ASCII local parts pass a looser check, then fail to send.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+$")


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
            raise PydanticCustomError("single_line", "must be one line of text, without control characters")
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if not value.isascii():
            raise PydanticCustomError("email_ascii", "must be written without accents or other non-ASCII characters")
        if not EMAIL_PATTERN.match(value):
            raise PydanticCustomError("email_shape", "must be an email address such as ada@example.org")
        return value

    @field_validator("summary")
    @classmethod
    def _fits_the_slot(cls, value: str, info: ValidationInfo) -> str:
        limit = (info.context or {}).get("summary_max_chars")
        if limit is not None and len(value) > limit:
            raise PydanticCustomError(
                "summary_too_long",
                "is {length} characters long; keep it to {limit} so it fits the talk",
                {"length": len(value), "limit": limit},
            )
        if _has_control_characters(value, allow_newlines=True):
            raise PydanticCustomError("plain_text", "must be plain text, without control characters")
        return value

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise PydanticCustomError(
                "consent_needed", "must be ticked: we need it to store and share your application"
            )
        return value

    def application_id(self, call_id: str) -> str:
        """The same person sending the same story to the same call gets the same id."""
        title = " ".join(self.title.casefold().split())
        fingerprint = "\x00".join((call_id, self.email.casefold(), title)).encode()
        digest = hashlib.sha256(fingerprint).digest()[:15]
        return base64.b32encode(digest).decode().lower()


NOTE_MAX_CHARS = 2000


class VoteForm(BaseModel):
    """What the review page's button sends. The vote itself is in the signed link; a note may come with it."""

    model_config = ConfigDict(extra="ignore")

    note: str = Field(default="", max_length=NOTE_MAX_CHARS)

    @field_validator("note")
    @classmethod
    def _plain_note(cls, value: str) -> str:
        if _has_control_characters(value, allow_newlines=True):
            raise PydanticCustomError("plain_text", "must be plain text, without control characters")
        return value.strip()


# One whole sentence per kind of mistake, so that each language can order its words; %(label)s is the field.
_SENTENCES = {
    "missing": N_("%(label)s is required."),
    "string_too_short": N_("%(label)s must be at least %(min_length)s characters."),
    "string_too_long": N_("%(label)s must be at most %(max_length)s characters."),
    "enum": N_("%(label)s must be one of: good, bad, ugly."),
    "string_type": N_("%(label)s must be text."),
    "bool_type": N_("%(label)s must be ticked."),
    "bool_parsing": N_("%(label)s must be ticked."),
    "extra_forbidden": N_("%(label)s is not a field of this form; remove it."),
    "single_line": N_("%(label)s must be one line of text, without control characters."),
    "email_shape": N_("%(label)s must be an email address such as ada@example.org."),
    "email_ascii": N_(
        "%(label)s must be written without accents, spaces or other special characters, such as ada@example.org."
    ),
    "summary_too_long": N_("%(label)s is %(length)s characters long; keep it to %(limit)s so it fits the talk."),
    "plain_text": N_("%(label)s must be plain text, without control characters."),
    "consent_needed": N_("%(label)s must be ticked: we need it to store and share your application."),
}


FormModel = TypeVar("FormModel", bound=BaseModel)


class InvalidFields(Exception):
    """What a person sent has mistakes; `errors` maps each field to a sentence that says what to do."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def validated(
    model: type[FormModel],
    fields: Mapping[str, Any],
    invalid: type[InvalidFields],
    language: Language = SOURCE_LANGUAGE,
    context: dict[str, Any] | None = None,
) -> FormModel:
    """The fields as `model`, or `invalid` raised with one sentence per wrong field, in the reader's language."""
    try:
        return model.model_validate(dict(fields), context=context)
    except ValidationError as exc:
        raise invalid(field_errors(exc, language)) from exc


def field_errors(exc: ValidationError, language: Language = SOURCE_LANGUAGE) -> dict[str, str]:
    """One human sentence per field, in the reader's language, keyed by the field's name."""
    words = translations(language)
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "body"
        if field in errors:
            continue
        label = words.gettext(FIELD_LABELS[field]) if field in FIELD_LABELS else field
        sentence = _SENTENCES.get(error["type"])
        if sentence is None:
            errors[field] = f"{label} {error['msg']}."
            continue
        errors[field] = words.gettext(sentence) % (error.get("ctx", {}) | {"label": label})
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
    # The language the applicant applied in: every email to them is written in it.
    language: Language = SOURCE_LANGUAGE

    @classmethod
    def from_form(
        cls,
        form: ApplicationForm,
        call_id: str,
        now: datetime,
        expires_at: int | None = None,
        language: Language = SOURCE_LANGUAGE,
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
            language=language,
        )

    def vote_of(self, organiser: str) -> Vote | None:
        return next((vote for vote in self.votes if vote.organiser == organiser), None)

    def review_is_open(self, approvals_needed: int, rejections_needed: int) -> bool:
        """Whether a vote still counts: in review, not withdrawn, and no quorum yet."""
        return (
            self.status is Status.IN_REVIEW
            and not self.withdraw_requested
            and self.approvals < approvals_needed
            and self.rejections < rejections_needed
        )


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
    # promote_next: the releasing application, whose slot (still counted as taken) is offered to
    # the head of the waitlist; none when the head is only woken to try for a free slot.
    offer: str | None = None
