"""Signed, expiring links: review links, attendance links, status links, thank-you pages and the overview link.

Every link of an application names its call inside its signed payload ("c"), and lives under the call's
address (/<call id>/review/<token>); links signed before calls had ids carry none, and belong to the
call of the application they name (`belonging`). The overview link names the organiser, across calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from chalicelib.clock import utc_now
from chalicelib.i18n import N_
from chalicelib.models import Application
from chalicelib.vocabulary import AttendanceAnswer, Outcome

# An organiser's overview link lasts a year, whatever their calls: it lists every call they organise.
OVERVIEW_LINK_LIFETIME = timedelta(days=365)
# `make smoke` signs its marker just before it applies (deploy/smoke.py).
SMOKE_MARKER_LIFETIME = timedelta(minutes=10)


class LinkError(Exception):
    """A link that cannot be honoured; the message is shown to the person who clicked it."""


class LinkExpired(LinkError):
    pass


class LinkInvalid(LinkError):
    pass


class LinkOfAnotherCall(LinkError):
    """A good link, opened at the address of another call than its own."""

    def __init__(self, call_id: str) -> None:
        super().__init__(N_("This link belongs to another call: open it from the email it came in."))
        self.call_id = call_id


class LinkRevoked(LinkError):
    """The link was good, but the organiser's links signed before a moment have been revoked (revocations.py)."""

    def __init__(self) -> None:
        super().__init__(
            N_("This link has been revoked. The next email the call sends you about an application brings new links.")
        )


@dataclass(frozen=True)
class ReviewClaim:
    application_id: str
    # The organiser's place in the list of the link's call.
    organiser_index: int
    outcome: Outcome
    # When the link was signed: an organiser's links signed before a revocation no longer work (revocations.py).
    issued_at: datetime
    # None in a link signed before calls had ids: the call of its application.
    call_id: str | None = None


@dataclass(frozen=True)
class ReviewLinks:
    """An organiser's two links about one application, as their emails and their overview show them."""

    approve_url: str
    reject_url: str

    def of(self, outcome: Outcome) -> str:
        return self.approve_url if outcome is Outcome.APPROVE else self.reject_url


@dataclass(frozen=True)
class OverviewClaim:
    """Whose overview: `organiser`, a keyed hash of their address (Links.organiser_key), or, in a link
    signed before calls had ids, `organiser_index`, their place in the default call's list."""

    organiser: str | None
    organiser_index: int | None
    issued_at: datetime


@dataclass(frozen=True)
class ApplicantClaim:
    """A status or verification link: whose application, of which call."""

    application_id: str
    call_id: str | None = None


@dataclass(frozen=True)
class ThanksClaim:
    """The thank-you page's link: which application arrived, and whether it was new (only then does the page
    show its status link: a repeat can be sent by anyone who knows an email and a title)."""

    application_id: str
    created: bool
    call_id: str | None = None


@dataclass(frozen=True)
class AttendanceClaim:
    application_id: str
    answer: AttendanceAnswer
    call_id: str | None = None


def belonging(claim_call_id: str | None, application: Application, route_call_id: str | None) -> str:
    """The call of a link about `application`: the one the link names, or, in a link signed before calls had
    ids, the application's. Raises LinkInvalid if the link names another call than its application's, and
    LinkOfAnotherCall if it was opened at another call's address (`route_call_id`; None: wherever it is
    opened, it takes the link's own call)."""
    call_id = claim_call_id or application.call_id
    if call_id != application.call_id:
        raise LinkInvalid(N_("This link points to an application of another call."))
    if route_call_id is not None and route_call_id != call_id:
        raise LinkOfAnotherCall(call_id)
    return call_id


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
    so one kind can never be used as another. How long a link lasts depends on its call's windows:
    `lifetimes` gives them by call id (None: the default call, for links signed before calls had ids)."""

    def __init__(
        self,
        secret: str,
        public_url: str,
        lifetimes: LinkLifetimes | Callable[[str | None], LinkLifetimes],
    ) -> None:
        self._signers = {
            kind: URLSafeTimedSerializer(secret, salt=f"cfp.{kind}-link")
            for kind in ("review", "attendance", "status", "overview", "verify", "thanks", "smoke")
        }
        self._organiser_key = hashlib.sha256(f"cfp.organiser:{secret}".encode()).digest()
        self._public_url = public_url
        self._lifetimes = lifetimes if callable(lifetimes) else (lambda _: lifetimes)

    def organiser_key(self, address: str) -> str:
        """Who an overview link is for, across calls: a keyed hash of the address, which a link's readable
        payload may carry (the address itself would be readable by anyone who sees the link)."""
        digest = hmac.new(self._organiser_key, address.strip().casefold().encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def review_links(self, call_id: str, application_id: str, organiser_index: int) -> ReviewLinks:
        """The links that approve and reject the application as organiser `organiser_index` of its call."""
        approve, reject = (
            self._url(call_id, "review", {"a": application_id, "o": organiser_index, "d": outcome.value})
            for outcome in (Outcome.APPROVE, Outcome.REJECT)
        )
        return ReviewLinks(approve, reject)

    def read_review(self, token: str) -> ReviewClaim:
        payload, issued_at, call_id = self._load("review", token, lambda lifetimes: lifetimes.review)
        try:
            return ReviewClaim(str(payload["a"]), int(payload["o"]), Outcome(payload["d"]), issued_at, call_id)
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkInvalid(N_("This review link is not valid.")) from exc

    def attendance_url(self, call_id: str, application_id: str, answer: AttendanceAnswer) -> str:
        return self._url(call_id, "attendance", {"a": application_id, "d": answer})

    def read_attendance(self, token: str) -> AttendanceClaim:
        payload, _, call_id = self._load("attendance", token, lambda lifetimes: lifetimes.attendance)
        answer = payload.get("d")
        if answer not in set(AttendanceAnswer) or not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This attendance link is not valid."))
        return AttendanceClaim(payload["a"], AttendanceAnswer(answer), call_id)

    def status_url(self, call_id: str, application_id: str) -> str:
        return self._url(call_id, "status", {"a": application_id})

    def read_status(self, token: str) -> ApplicantClaim:
        payload, _, call_id = self._load("status", token, lambda lifetimes: lifetimes.status)
        if not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This status link is not valid."))
        return ApplicantClaim(payload["a"], call_id)

    def verification_url(self, call_id: str, application_id: str) -> str:
        return self._url(call_id, "verify", {"a": application_id})

    def read_verification(self, token: str) -> ApplicantClaim:
        payload, _, call_id = self._load("verify", token, lambda lifetimes: lifetimes.verification)
        if not isinstance(payload.get("a"), str):
            raise LinkInvalid(N_("This verification link is not valid."))
        return ApplicantClaim(payload["a"], call_id)

    def overview_url(self, organiser: str, call_id: str | None = None) -> str:
        """The organiser's overview of every call they organise; opened at `call_id`'s applications if given
        (an email about an application of that call)."""
        token = self._signers["overview"].dumps({"m": self.organiser_key(organiser)})
        return f"{self._public_url}/overview/{token}" + (f"?call={call_id}" if call_id else "")

    def read_overview(self, token: str) -> OverviewClaim:
        payload, issued_at, _ = self._load("overview", token, lambda lifetimes: lifetimes.overview)
        organiser, index = payload.get("m"), payload.get("o")
        if isinstance(organiser, str):
            return OverviewClaim(organiser, None, issued_at)
        if isinstance(index, int) and not isinstance(index, bool):
            return OverviewClaim(None, index, issued_at)
        raise LinkInvalid(N_("This overview link is not valid."))

    def thanks_path(self, call_id: str, application_id: str, created: bool) -> str:
        """The thank-you page, relative to the app's root: the form's redirect is relative, as page links are."""
        return f"{call_id}/thanks/{self._signers['thanks'].dumps({'a': application_id, 'n': created, 'c': call_id})}"

    def read_thanks(self, token: str) -> ThanksClaim:
        payload, _, call_id = self._load("thanks", token, lambda lifetimes: lifetimes.thanks)
        if not isinstance(payload.get("a"), str) or not isinstance(payload.get("n"), bool):
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed."))
        return ThanksClaim(payload["a"], payload["n"], call_id)

    def named_by(self, kind: str, token: str) -> tuple[str, str | None]:
        """The application a link of an application names (its kind: review, attendance, status, verify or
        thanks), and its call (None in a link signed before calls had ids). Raises a LinkError."""
        readers: dict[str, Callable[[str], ReviewClaim | AttendanceClaim | ApplicantClaim | ThanksClaim]] = {
            "review": self.read_review,
            "attendance": self.read_attendance,
            "status": self.read_status,
            "verify": self.read_verification,
            "thanks": self.read_thanks,
        }
        claim = readers[kind](token)
        return claim.application_id, claim.call_id

    def smoke_marker(self, call_id: str, title: str) -> str:
        """What marks `make smoke`'s application to the call: signed with the link secret, which only the stage
        and its admins hold, good for a few minutes and for one title (so for one application id)."""
        return self._signers["smoke"].dumps({"c": call_id, "t": title})

    def is_smoke_marker(self, token: str, call_id: str, title: str) -> bool:
        try:
            payload = self._signers["smoke"].loads(token, max_age=int(SMOKE_MARKER_LIFETIME.total_seconds()))
        except BadSignature:  # forged, changed, or expired (SignatureExpired)
            return False
        return isinstance(payload, dict) and payload.get("c") == call_id and payload.get("t") == title

    def _url(self, call_id: str, kind: str, payload: dict[str, Any]) -> str:
        return f"{self._public_url}/{call_id}/{kind}/{self._signers[kind].dumps(payload | {'c': call_id})}"

    def _load(
        self, kind: str, token: str, lifetime: Callable[[LinkLifetimes], timedelta]
    ) -> tuple[dict[str, Any], datetime, str | None]:
        """The link's payload, when it was signed, and its call (None in a link signed before calls had ids).

        The signature is checked first; then the age, against the lifetime of the link's own call."""
        try:
            payload, issued_at = self._signers[kind].loads(token, return_timestamp=True)
        except BadSignature as exc:
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed.")) from exc
        call_id = payload.get("c") if isinstance(payload, dict) else None
        if not isinstance(payload, dict) or not (call_id is None or isinstance(call_id, str)):
            raise LinkInvalid(N_("This link is not valid: it may have been cut or changed."))
        try:
            lifetimes = self._lifetimes(call_id)
        except LookupError as exc:  # a call of which nothing is left: its file removed, its data deleted
            raise LinkInvalid(N_("This link belongs to a call that has ended: its applications are deleted.")) from exc
        if utc_now() - issued_at > lifetime(lifetimes):
            raise LinkExpired(N_("This link has expired."))
        return payload, issued_at, call_id
