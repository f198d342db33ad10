"""Signed, expiring links: review links, attendance links, status links, thank-you pages and the overview link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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


class LinkRevoked(LinkError):
    """The link was good, but the organiser's links signed before a moment have been revoked (revocations.py)."""

    def __init__(self) -> None:
        super().__init__(
            N_("This link has been revoked. The next email the call sends you about an application brings new links.")
        )


@dataclass(frozen=True)
class ReviewClaim:
    application_id: str
    organiser_index: int
    outcome: Outcome
    # When the link was signed: an organiser's links signed before a revocation no longer work (revocations.py).
    issued_at: datetime


@dataclass(frozen=True)
class OverviewClaim:
    organiser_index: int
    issued_at: datetime


@dataclass(frozen=True)
class ThanksClaim:
    """The thank-you page's link: which application arrived, and whether it was new (only then does the page
    show its status link: a repeat can be sent by anyone who knows an email and a title)."""

    application_id: str
    created: bool


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
    # The thank-you page after a submission: reloading it, or coming Back to it, works for a day.
    thanks: timedelta = timedelta(days=1)
    # A status link withdraws and deletes: it lasts as long as the call keeps personal data, not for ever.
    status: timedelta = timedelta(days=365)


class Links:
    """Signs with itsdangerous (HMAC, compared in constant time); each kind of link has its own salt,
    so one kind can never be used as another."""

    def __init__(self, secret: str, public_url: str, lifetimes: LinkLifetimes) -> None:
        self._signers = {
            kind: URLSafeTimedSerializer(secret, salt=f"cfp.{kind}-link")
            for kind in ("review", "attendance", "status", "overview", "verify", "thanks")
        }
        self._public_url = public_url
        self._lifetimes = lifetimes

    def review_url(self, application_id: str, organiser_index: int, outcome: Outcome) -> str:
        return self._url("review", {"a": application_id, "o": organiser_index, "d": outcome.value})

    def read_review(self, token: str) -> ReviewClaim:
        payload, issued_at = self._load("review", token, self._lifetimes.review)
        try:
            return ReviewClaim(str(payload["a"]), int(payload["o"]), Outcome(payload["d"]), issued_at)
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkInvalid(N_("This review link is not valid.")) from exc

    def attendance_url(self, application_id: str, answer: AttendanceAnswer) -> str:
        return self._url("attendance", {"a": application_id, "d": answer})

    def read_attendance(self, token: str) -> AttendanceClaim:
        payload, _ = self._load("attendance", token, self._lifetimes.attendance)
        answer = payload.get("d")
        if answer not in ("yes", "no") or not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This attendance link is not valid."))
        return AttendanceClaim(payload["a"], answer)

    def status_url(self, application_id: str) -> str:
        return self._url("status", {"a": application_id})

    def read_status(self, token: str) -> str:
        payload, _ = self._load("status", token, self._lifetimes.status)
        if not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This status link is not valid."))
        return str(payload["a"])

    def verification_url(self, application_id: str) -> str:
        return self._url("verify", {"a": application_id})

    def read_verification(self, token: str) -> str:
        payload, _ = self._load("verify", token, self._lifetimes.verification)
        if not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This verification link is not valid."))
        return str(payload["a"])

    def overview_url(self, organiser_index: int) -> str:
        return self._url("overview", {"o": organiser_index})

    def read_overview(self, token: str) -> OverviewClaim:
        payload, issued_at = self._load("overview", token, self._lifetimes.overview)
        if not isinstance(payload.get("o"), int):
            raise LinkInvalid(N_("This overview link is not valid."))
        return OverviewClaim(int(payload["o"]), issued_at)

    def thanks_path(self, application_id: str, created: bool) -> str:
        """The thank-you page, relative to the app's root: the form's redirect is relative, as page links are."""
        return f"thanks/{self._signers['thanks'].dumps({'a': application_id, 'n': created})}"

    def read_thanks(self, token: str) -> ThanksClaim:
        payload, _ = self._load("thanks", token, self._lifetimes.thanks)
        if not isinstance(payload.get("a"), str) or not isinstance(payload.get("n"), bool):
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed."))
        return ThanksClaim(payload["a"], payload["n"])

    def _url(self, kind: str, payload: dict[str, Any]) -> str:
        return f"{self._public_url}/{kind}/{self._signers[kind].dumps(payload)}"

    def _load(self, kind: str, token: str, max_age: timedelta) -> tuple[dict[str, Any], datetime]:
        """The link's payload, and when it was signed."""
        try:
            payload, issued_at = self._signers[kind].loads(
                token, max_age=int(max_age.total_seconds()), return_timestamp=True
            )
        except SignatureExpired as exc:
            raise LinkExpired(N_("This link has expired.")) from exc
        except BadSignature as exc:
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed.")) from exc
        if not isinstance(payload, dict):
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed."))
        return payload, issued_at
