"""Signed, expiring links: review links, attendance links, status links and the overview link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from chalicelib.i18n import N_
from chalicelib.models import Outcome

AttendanceAnswer = Literal["yes", "no"]


class LinkError(Exception):
    """A link that cannot be honoured; the message is shown to the person who clicked it."""


class LinkExpired(LinkError):
    pass


class LinkInvalid(LinkError):
    pass


@dataclass(frozen=True)
class ReviewClaim:
    application_id: str
    organiser_index: int
    outcome: Outcome


@dataclass(frozen=True)
class AttendanceClaim:
    application_id: str
    answer: AttendanceAnswer


@dataclass(frozen=True)
class LinkLifetimes:
    review: timedelta
    attendance: timedelta
    overview: timedelta
    verification: timedelta = timedelta(days=3)
    # A status link withdraws and deletes: it lasts as long as the call keeps personal data, not for ever.
    status: timedelta = timedelta(days=365)


class Links:
    """Signs with itsdangerous (HMAC, compared in constant time); each kind of link has its own salt,
    so one kind can never be used as another."""

    def __init__(self, secret: str, public_url: str, lifetimes: LinkLifetimes) -> None:
        self._signers = {
            kind: URLSafeTimedSerializer(secret, salt=f"cfp.{kind}-link")
            for kind in ("review", "attendance", "status", "overview", "verify")
        }
        self._public_url = public_url
        self._lifetimes = lifetimes

    def review_url(self, application_id: str, organiser_index: int, outcome: Outcome) -> str:
        return self._url("review", {"a": application_id, "o": organiser_index, "d": outcome.value})

    def read_review(self, token: str) -> ReviewClaim:
        payload = self._load("review", token, self._lifetimes.review)
        try:
            return ReviewClaim(str(payload["a"]), int(payload["o"]), Outcome(payload["d"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkInvalid(N_("This review link is not valid.")) from exc

    def attendance_url(self, application_id: str, answer: AttendanceAnswer) -> str:
        return self._url("attendance", {"a": application_id, "d": answer})

    def read_attendance(self, token: str) -> AttendanceClaim:
        payload = self._load("attendance", token, self._lifetimes.attendance)
        answer = payload.get("d")
        if answer not in ("yes", "no") or not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This attendance link is not valid."))
        return AttendanceClaim(payload["a"], answer)

    def status_url(self, application_id: str) -> str:
        return self._url("status", {"a": application_id})

    def read_status(self, token: str) -> str:
        payload = self._load("status", token, self._lifetimes.status)
        if not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This status link is not valid."))
        return str(payload["a"])

    def verification_url(self, application_id: str) -> str:
        return self._url("verify", {"a": application_id})

    def read_verification(self, token: str) -> str:
        payload = self._load("verify", token, self._lifetimes.verification)
        if not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This verification link is not valid."))
        return str(payload["a"])

    def overview_url(self, organiser_index: int) -> str:
        return self._url("overview", {"o": organiser_index})

    def read_overview(self, token: str) -> int:
        payload = self._load("overview", token, self._lifetimes.overview)
        if not isinstance(payload.get("o"), int):
            raise LinkInvalid(N_("This overview link is not valid."))
        return int(payload["o"])

    def _url(self, kind: str, payload: dict[str, Any]) -> str:
        return f"{self._public_url}/{kind}/{self._signers[kind].dumps(payload)}"

    def _load(self, kind: str, token: str, max_age: timedelta) -> dict[str, Any]:
        try:
            payload = self._signers[kind].loads(token, max_age=int(max_age.total_seconds()))
        except SignatureExpired as exc:
            raise LinkExpired(N_("This link has expired.")) from exc
        except BadSignature as exc:
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed.")) from exc
        if not isinstance(payload, dict):
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed."))
        return payload
