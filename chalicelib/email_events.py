"""Bounces and complaints that SES reports (through the configuration set's SNS topic): recorded on the
application, told to the organisers once, and no more email to that address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import logs
from chalicelib.call import CallOf
from chalicelib.correspondence import Correspondence
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.table import ApplicationNotFound
from chalicelib.vocabulary import Undeliverable

# What the handler may spend telling the organisers: far below its Lambda timeout.
LEASE = timedelta(seconds=30)
# The organisers' email about it.
TEMPLATE = "undeliverable"


class Recipient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    address: str = Field(alias="emailAddress")


class Bounce(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind: str = Field(alias="bounceType")  # Permanent, Transient or Undetermined
    recipients: list[Recipient] = Field(alias="bouncedRecipients")


class Complaint(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    recipients: list[Recipient] = Field(alias="complainedRecipients")


class Mail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tags: dict[str, list[str]] = Field(default_factory=dict)


class SesNotification(BaseModel):
    """SES's event (configuration set) or notification (identity) about one message; the rest is ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event_type: str | None = Field(default=None, alias="eventType")
    notification_type: str | None = Field(default=None, alias="notificationType")
    mail: Mail
    bounce: Bounce | None = None
    complaint: Complaint | None = None

    @property
    def kind(self) -> str:
        return (self.event_type or self.notification_type or "").lower()

    def application_id(self) -> str | None:
        """The application the email was about: the worker tags every email with it (correspondence.py)."""
        ids = self.mail.tags.get("application", [])
        return ids[0] if ids else None

    def undeliverable(self) -> tuple[Undeliverable, list[str]] | None:
        """What the notification says can no longer be sent to, or None (a transient bounce, a delivery)."""
        if self.kind == "bounce" and self.bounce is not None and self.bounce.kind == "Permanent":
            return Undeliverable.BOUNCE, [r.address for r in self.bounce.recipients]
        if self.kind == "complaint" and self.complaint is not None:
            return Undeliverable.COMPLAINT, [r.address for r in self.complaint.recipients]
        return None


class EmailEvents:
    def __init__(
        self,
        store: ApplicationStore,
        letters: Correspondence,
        call_of: CallOf,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._letters = letters
        self._call_of = call_of
        self._clock = clock

    def record(self, raw: str) -> None:
        """One SNS message from SES. A malformed one raises pydantic's ValidationError: Lambda retries the
        batch, then it lands with the topic's failed deliveries."""
        notification = SesNotification.model_validate_json(raw)
        undeliverable = notification.undeliverable()
        application_id = notification.application_id()
        if undeliverable is None or application_id is None:
            logs.event("email_event_ignored", kind=notification.kind, application=application_id)
            return
        kind, addresses = undeliverable
        try:
            application = self._store.get(application_id)
        except ApplicationNotFound:
            logs.event("email_event_unknown_application", kind=kind, application=application_id)
            return
        # The organisers of the application's call, who were written to about it.
        call = self._call_of(application.call_id)
        for address in addresses:
            index = call.organiser_index(address)
            if index is not None:
                # The admin fixes an organiser's address in the call's file or in ORGANISERS.
                logs.event("organiser_email_undeliverable", kind=kind, organiser=index, application=application_id)
            elif address.casefold() == application.email.casefold():
                self._applicant_undeliverable(application_id, kind)

    def _applicant_undeliverable(self, application_id: str, kind: Undeliverable) -> None:
        first = self._store.record_undeliverable(application_id, kind, self._clock().isoformat())
        logs.event("applicant_email_undeliverable", kind=kind, application=application_id, first=first)
        if first:
            # Each organiser hears of it once: a second bounce finds it recorded, a redelivered
            # notification finds the emails marked sent.
            application = self._store.get(application_id)
            self._letters.to_organisers(application, TEMPLATE, 0, LEASE, {"kind": kind})
