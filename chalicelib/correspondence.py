"""Emails about an application, to its applicant or to its call's organisers, each sent once: rendered,
claimed, sent through SES, then marked sent (chalicelib/stores/emails.py). Each goes out in the name of the
application's call (its sender's display name), with that call's words and links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from chalicelib import logs, rendering
from chalicelib.call import Call, CallOf
from chalicelib.i18n import Language
from chalicelib.links import Links
from chalicelib.mailer import EmailRejected, EmailThrottled, Mailer
from chalicelib.models import Application
from chalicelib.stores.emails import EmailMarkers
from chalicelib.stores.table import email_marker

Context = dict[str, object]


class Correspondence:
    def __init__(
        self, markers: EmailMarkers, mailer: Mailer, links: Links, call_of: CallOf, clock: Callable[[], datetime]
    ) -> None:
        self._markers = markers
        self._mailer = mailer
        self._links = links
        self._call_of = call_of
        self._clock = clock

    def to_applicant(
        self,
        application: Application,
        template: str,
        round_: int,
        lease: timedelta,
        context: Context,
        attachments: tuple[rendering.Attachment, ...] = (),
        named: bool = True,
    ) -> None:
        """Applicants read every email in the language they applied in. EmailRejected and EmailThrottled
        propagate: the workflow decides what a refused applicant email means. An email that is not `named`
        carries no name in To: the address may be anyone's (double opt-in)."""
        if application.erased:
            return  # the applicant deleted their data: nothing is written to them any more
        to = (application.email, application.name if named else "")
        call = self._call_of(application.call_id)
        self._send(application, call, template, to, round_, application.language, context, lease, attachments)

    def to_organisers(
        self,
        application: Application,
        template: str,
        round_: int,
        lease: timedelta,
        context: Context,
        only_yet_to_vote: bool = False,
    ) -> None:
        """Each organiser of the application's call, in the call's language, with their own review links and
        overview link (of every call they organise, opened at this one's applications); about an
        application whose data was deleted too (its title then reads "(deleted)")."""
        call = self._call_of(application.call_id)
        voted = {vote.organiser for vote in application.votes}
        for index, organiser in enumerate(call.organisers):
            if only_yet_to_vote and organiser in voted:
                continue
            review = self._links.review_links(call.id, application.id, index)
            links: Context = asdict(review) | {"overview_url": self._links.overview_url(organiser, call.id)}
            to = (organiser, "")
            try:
                self._send(application, call, template, to, round_, call.language, context | links, lease)
            except EmailRejected as exc:
                # One organiser's refused address must neither keep the others from the email nor
                # fail the applicant's application; the admin finds it in the logs, by index.
                logs.event(
                    "organiser_email_refused",
                    application=application.id,
                    organiser=index,
                    email=template,
                    reason=str(exc),
                )

    def _send(
        self,
        application: Application,
        call: Call,
        template: str,
        to: tuple[str, str],
        round_: int,
        language: Language,
        context: Context,
        lease: timedelta,
        attachments: tuple[rendering.Attachment, ...] = (),
    ) -> None:
        """Send once, to (address, name)."""
        # Rendered before the claim: a template or settings error then leaves no claim behind, and
        # the redelivered task sends the email once the cause is fixed.
        message = rendering.email(
            template,
            attachments,
            language,
            application=application,
            call=call,
            status_url=self._links.status_url(call.id, application.id),
            **context,
        )
        recipient, name = to
        marker = email_marker(template, round_)
        # Claimed for as long as the sender may live: one that dies before SES answers leaves a claim
        # that the redelivered task takes over once its lease has run out.
        if not self._markers.claim(application.id, marker, recipient, self._clock(), lease, application.expires_at):
            return  # sent by an earlier delivery of this task
        try:
            tags = {"application": application.id, "email": template}
            self._mailer.send(recipient, message, name, tags, sender=call.sender)
        except (EmailThrottled, EmailRejected):
            # SES refused it, so it was not sent: the retry may send it.
            self._markers.release(application.id, marker, recipient)
            raise
        self._markers.sent(application.id, marker, recipient, self._clock())
