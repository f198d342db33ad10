"""Taking in applications (the call must be open, and a repeat returns the first one), the links that lead
applicants to theirs, withdrawing, deleting one's data, and confirming one's address."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from chalicelib.call import Call, CallOf
from chalicelib.callbacks import Callbacks
from chalicelib.clock import utc_now
from chalicelib.i18n import N_, SOURCE_LANGUAGE, Language, translate
from chalicelib.links import Links, ThanksClaim, belonging
from chalicelib.models import Application, ApplicationForm, InvalidFields, WithdrawalForm, validated
from chalicelib.stores.applications import ApplicationStore, CannotWithdraw
from chalicelib.stores.erasure import ErasureStore
from chalicelib.stores.rates import RateLimits
from chalicelib.vocabulary import WITHDRAWABLE, WaitKind, WorkflowError, withdrawable


class CallClosed(Exception):
    """The call's deadline has passed."""


class LooksAutomated(Exception):
    """The honeypot field, hidden from people, was filled in."""


class RateLimited(Exception):
    """Too many submissions from one client address or for one email address."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"too many submissions per {scope}")
        self.scope = scope
        self.retry_after = retry_after


# The form's hidden field that only robots fill in.
HONEYPOT = "website"
HOUR = 3600
# `make smoke` (deploy/smoke.py) applies to SES's mailbox simulator, which accepts the email and delivers it to
# nobody, with a marker the stage's link secret signs: such an application is counted against no limit (anyone
# may write to the simulator's address, and must not lock the smoke test out), and waits for a verification
# that never comes, so no organiser hears of it.
SMOKE_FIELD = "smoke"
SMOKE_ADDRESS = "success@simulator.amazonses.com"
NOT_A_SMOKE_TEST = N_(
    "This is not a smoke test's marker: only make smoke sends one, signed minutes before, with the address "
    "success@simulator.amazonses.com. Leave the field out."
)


class InvalidApplication(InvalidFields):
    """The form has mistakes; `errors` maps each field to a sentence that says what to do."""


def read_form(fields: Mapping[str, Any], call: Call, language: Language = SOURCE_LANGUAGE) -> ApplicationForm:
    context = {"summary_max_chars": call.summary_max_chars}
    return validated(ApplicationForm, fields, InvalidApplication, language, context)


def mailbox(email: str) -> str:
    """The mailbox an address delivers to, for counting: `Ada+1@Example.org` is `ada@example.org`."""
    local, _, domain = email.casefold().rpartition("@")
    return f"{local.partition('+')[0] or local}@{domain}"


def client_network(address: str) -> str:
    """Who sends, for counting: an IPv4 address as it is, an IPv6 one by its /64, which one
    subscriber usually holds whole (RFC 6177)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else ip)


class Submissions:
    def __init__(
        self,
        store: ApplicationStore,
        rate_limits: RateLimits,
        call: Call,
        clock: Callable[[], datetime] = utc_now,
        is_smoke_marker: Callable[[str, str, str], bool] = lambda token, call_id, title: False,
    ) -> None:
        self._store = store
        self._rate_limits = rate_limits
        self._call = call
        self._clock = clock
        # Links.is_smoke_marker: whether a token is a smoke test's marker for the call and the title.
        self._is_smoke_marker = is_smoke_marker

    def submit(
        self, fields: Mapping[str, Any], client_address: str = "", language: Language = SOURCE_LANGUAGE
    ) -> tuple[Application, bool]:
        """Validate and store; returns the application and whether it is new.

        `language` is the one the applicant reads: their mistakes are told in it, and it is stored
        so that every email to them is written in it.

        Raises CallClosed, LooksAutomated, RateLimited or InvalidApplication, and then stores nothing.
        """
        now = self._clock()
        if not self._call.is_open(now):
            raise CallClosed(self._call.deadline.isoformat())
        fields = dict(fields)
        trap = fields.pop(HONEYPOT, None)
        # A person leaves it empty; anything else, even 0 or false from a script, was filled in.
        if trap is not None and not (isinstance(trap, str) and not trap.strip()):
            raise LooksAutomated()
        marker = fields.pop(SMOKE_FIELD, None)
        if marker is None:
            self._limit("address", client_network(client_address), self._call.submissions_per_address_per_hour, now)
        form = read_form(fields, self._call, language)
        if marker is None:
            self._limit("email", mailbox(form.email), self._call.submissions_per_email_per_hour, now)
        elif not (
            isinstance(marker, str)
            and form.email == SMOKE_ADDRESS
            and self._is_smoke_marker(marker, self._call.id, form.title)
        ):
            raise InvalidApplication({SMOKE_FIELD: translate(language, NOT_A_SMOKE_TEST)})
        application = Application.from_form(form, self._call.id, now, self._call.expiry_of(now), language)
        if marker is not None:
            application = application.model_copy(update={"smoke": True})
        return self._store.submit(application)

    def _limit(self, scope: str, key: str, per_hour: int, now: datetime) -> None:
        """Each call counts its own: its limits are its own."""
        window_end = (int(now.timestamp()) // HOUR + 1) * HOUR
        if self._rate_limits.count_hit(scope, self._call.id, key, window_end) > per_hour:
            raise RateLimited(scope, window_end - int(now.timestamp()))


class ApplicantLinks:
    """The application an applicant's link leads to, checked to belong to the call at whose address it was
    opened (`route_call_id`; None: wherever it is). Raises a LinkError, or ApplicationNotFound once the
    application is gone."""

    def __init__(self, store: ApplicationStore, links: Links) -> None:
        self._store = store
        self._links = links

    def call_of(self, kind: str, token: str) -> str:
        """The call of any link about an application (review, attendance, status, verify, thanks): the one it
        names, or, in a link signed before calls had ids, its application's. A link that is not ours raises a
        LinkError before anything is read."""
        application_id, call_id = self._links.named_by(kind, token)
        return call_id or self._store.get(application_id).call_id

    def status(self, token: str, route_call_id: str | None) -> Application:
        claim = self._links.read_status(token)
        return self._of(claim.application_id, claim.call_id, route_call_id)

    def verification(self, token: str, route_call_id: str | None) -> Application:
        claim = self._links.read_verification(token)
        return self._of(claim.application_id, claim.call_id, route_call_id)

    def thanks(self, token: str, route_call_id: str | None) -> tuple[Application, ThanksClaim]:
        claim = self._links.read_thanks(token)
        return self._of(claim.application_id, claim.call_id, route_call_id), claim

    def _of(self, application_id: str, call_id: str | None, route_call_id: str | None) -> Application:
        application = self._store.get(application_id)
        belonging(call_id, application, route_call_id)
        return application


class InvalidReason(InvalidFields):
    """The reason given with a withdrawal cannot be kept: too long, or not plain text."""


def read_reason(fields: Mapping[str, Any], language: Language = SOURCE_LANGUAGE) -> str:
    return validated(WithdrawalForm, fields, InvalidReason, language).reason


class Withdrawals:
    """An applicant withdrawing from their status link (a confirmed speaker cancelling, until the session
    starts): flag it, then tell the waiting workflow."""

    def __init__(
        self, store: ApplicationStore, callbacks: Callbacks, call_of: CallOf, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = store
        self._callbacks = callbacks
        self._call_of = call_of
        self._clock = clock

    def withdraw(self, application: Application, reason: str = "") -> Application:
        """Raises CannotWithdraw once the application has reached an end, or its call's session has started."""
        started = self._call_of(application.call_id).session_started(self._clock())
        withdrawn = self._store.request_withdrawal(application.id, reason, withdrawable(started))
        # If the workflow is between two waits, the worker storing the next one sees the flag.
        self._callbacks.fail(application.id, WorkflowError.WITHDRAWN, "The applicant withdrew.")
        return withdrawn


class Erasure:
    """ "Delete my data": a waiting workflow is ended as a withdrawal is, then personal fields are blanked.

    No execution is ever stopped: StopExecution runs no clean-up, and the workflows of withdrawn,
    cancelled and released applications are still on their way to freeing the slot. They run on,
    and write to nobody: the worker sends nothing to an erased application.
    """

    def __init__(
        self,
        store: ApplicationStore,
        erasure: ErasureStore,
        withdrawals: Withdrawals,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._erasure = erasure
        self._withdrawals = withdrawals
        self._clock = clock

    def erase(self, application: Application) -> Application:
        """`application` as its status link just read it."""
        if application.status in WITHDRAWABLE and not application.withdraw_requested:
            with suppress(CannotWithdraw):  # it reached an end meanwhile: nothing waits to be ended
                self._withdrawals.withdraw(application)
        return self._erasure.erase(application.id, self._clock())


class Verifications:
    """Double opt-in: the applicant's click on the emailed link answers the workflow's wait."""

    def __init__(self, callbacks: Callbacks) -> None:
        self._callbacks = callbacks

    def verify(self, application_id: str) -> bool:
        """False when the workflow does not wait for it (already verified, expired or withdrawn)."""
        return self._callbacks.answer(application_id, WaitKind.VERIFICATION, {"verified": True})
