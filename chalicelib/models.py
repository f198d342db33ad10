"""The domain's typed objects: what applicants send, what is stored, what organisers decide."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from gettext import NullTranslations
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
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
from chalicelib.i18n import N_, SOURCE_LANGUAGE, Language, fill, translations
from chalicelib.vocabulary import AttendanceAnswer, Event, ExperienceKind, Outcome, Status, Task, WaitKind

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# The local part is a dot-atom of ASCII characters (RFC 5322): what every mail system, SES and
# Python's email package accept. Quoted or non-ASCII local parts pass a looser check, then fail to send.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN = re.compile(rf"^{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+$")


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


# Invisible characters that break a line (U+2028, U+2029) or turn text around (bidi embeddings,
# overrides, isolates and marks): in an email they can start a line that looks like the email's
# own, or make a name read backwards. Single-line fields refuse them; the mailer drops them from names.
LINE_AND_DIRECTION_MARKS = frozenset(
    "\u2028\u2029"  # line and paragraph separators
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\u200e\u200f\u061c"  # direction marks
)


def line_and_direction_marks(value: str) -> list[str]:
    """The marks of LINE_AND_DIRECTION_MARKS in `value`, as code points people can look up: ["U+202E"]."""
    return [f"U+{ord(ch):04X}" for ch in dict.fromkeys(value) if ch in LINE_AND_DIRECTION_MARKS]


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
        marks = line_and_direction_marks(value or "")
        if marks:
            raise PydanticCustomError(
                "invisible_marks",
                "contains invisible line-break or text-direction characters ({marks}); remove them",
                {"marks": ", ".join(marks)},
            )
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


def _plain_text(value: str) -> str:
    if _has_control_characters(value, allow_newlines=True):
        raise PydanticCustomError("plain_text", "must be plain text, without control characters")
    return value.strip()


PlainText = Annotated[str, Field(default="", max_length=NOTE_MAX_CHARS), AfterValidator(_plain_text)]


class VoteForm(BaseModel):
    """What the review page's button sends. The vote itself is in the signed link; a note may come with it."""

    model_config = ConfigDict(extra="ignore")

    note: PlainText = ""


class WithdrawalForm(BaseModel):
    """What the status page's withdraw button sends: what to do is in the signed link; a reason may come with it."""

    model_config = ConfigDict(extra="ignore")

    reason: PlainText = ""


# One whole sentence per kind of mistake, so that each language can order its words; %(label)s is the field.
_SENTENCES = {
    "missing": N_("%(label)s is required."),
    "enum": N_("%(label)s must be one of: good, bad, ugly."),
    "string_type": N_("%(label)s must be text."),
    "bool_type": N_("%(label)s must be ticked."),
    "bool_parsing": N_("%(label)s must be ticked."),
    "extra_forbidden": N_("%(label)s is not a field of this form; remove it."),
    "single_line": N_("%(label)s must be one line of text, without control characters."),
    "invisible_marks": N_(
        "%(label)s contains invisible characters that break the line or change the direction of the text "
        "(%(marks)s). Remove them: type the text again, or paste it as plain text."
    ),
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
        values = error.get("ctx", {}) | {"label": label}
        sentence = _length_sentence(words, error["type"], values)
        known = _SENTENCES.get(error["type"])
        if sentence is None and known is not None:
            sentence = words.gettext(known)
        errors[field] = fill(sentence, values, language) if sentence else f"{label} {error['msg']}."
    return errors


def _length_sentence(words: NullTranslations, kind: str, values: dict[str, Any]) -> str | None:
    """A length's sentence in the singular or the plural, as the number asks; a text that must not be
    empty is simply required."""
    required = _SENTENCES["missing"]
    if kind == "string_too_short" and values["min_length"] == 1:
        return words.gettext(required)
    if kind == "string_too_short":
        return words.ngettext(
            "%(label)s must be at least %(min_length)s character.",
            "%(label)s must be at least %(min_length)s characters.",
            values["min_length"],
        )
    if kind == "string_too_long":
        return words.ngettext(
            "%(label)s must be at most %(max_length)s character.",
            "%(label)s must be at most %(max_length)s characters.",
            values["max_length"],
        )
    return None


class HistoryEvent(BaseModel):
    # A str, not an Event: an application keeps the events of every version that wrote to it.
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
    # Why a confirmed speaker cancelled, if they said: for the organisers only.
    withdraw_reason: str | None = None
    waitlisted_at: str | None = None
    # When DynamoDB's TTL deletes the application (epoch seconds): the call's retention.
    expires_at: int | None = None
    # The applicant asked to delete their data: personal fields are blanked, no email goes out.
    erased: bool = False
    # The language the applicant applied in: every email to them is written in it.
    language: Language = SOURCE_LANGUAGE
    # SES reported their address as undeliverable ("bounce") or as complaining ("complaint"):
    # nothing more is sent to it (chalicelib/email_events.py).
    email_bounced: str | None = None
    # `make smoke`'s application (deploy/smoke.py): to SES's mailbox simulator, with a marker only the stage's
    # link secret signs; its workflow waits for a verification that never comes, so no organiser hears of it.
    smoke: bool | None = None

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
            history=[HistoryEvent(event=Event.SUBMITTED, at=now.isoformat())],
            language=language,
        )

    def vote_of(self, organiser: str) -> Vote | None:
        return next((vote for vote in self.votes if vote.organiser == organiser), None)

    def was_waitlisted(self) -> bool:
        return any(step.event == Event.WAITLISTED for step in self.history)

    def slot_taken_at(self) -> datetime | None:
        """When the application last took a slot (a promotion takes one again)."""
        taken = [step.at for step in self.history if step.event == Event.SLOT_TAKEN]
        return datetime.fromisoformat(taken[-1]) if taken else None

    def held_slot(self) -> bool:
        """Whether the application took a slot at some point (it may have handed it on since)."""
        return any(step.event == Event.SLOT_TAKEN for step in self.history)

    def tally(self) -> dict[str, int]:
        """The votes counted so far, as the workflow's Choice `Tally` reads them from a vote's callback."""
        return {"approvals": self.approvals, "rejections": self.rejections}

    def review_is_open(self, approvals_needed: int, rejections_needed: int) -> bool:
        """Whether a vote still counts: in review, not withdrawn, and no quorum yet."""
        return (
            self.status is Status.IN_REVIEW
            and not self.withdraw_requested
            and self.approvals < approvals_needed
            and self.rejections < rejections_needed
        )


class Wait(BaseModel):
    """The callback the workflow is waiting on. The task token never leaves the server."""

    application_id: str
    kind: WaitKind
    task_token: str
    since: str
    # The application's: DynamoDB's TTL removes the wait with it.
    expires_at: int | None = None


class Answer(BaseModel):
    """A speaker's answer to "will you be there?", taken once."""

    answer: AttendanceAnswer
    at: str


class Record(BaseModel):
    """What a task records on the application before it does its work: the state's status and history step."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    event: Event


class TaskMessage(BaseModel):
    """A message a workflow task state puts on the task queue."""

    model_config = ConfigDict(extra="ignore")

    task: Task
    application_id: str
    task_token: str
    record: Record | None = None
    round: int = 0
    votes_seen: int = 0
    # report_failure: the error that ended the workflow, as its Catch recorded it.
    failure: str | None = None
    # promote_next: the releasing application, whose slot (still counted as taken) is offered to
    # the head of the waitlist; none when the head is only woken to try for a free slot.
    offer: str | None = None
