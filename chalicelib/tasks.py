"""The task queue's worker: sends the emails a workflow step asks for, keeps the workflow's
callbacks, and hands a freed slot to the waitlist. Then it reports back to the workflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import logs, rendering
from chalicelib.applications import utc_now
from chalicelib.call import Call
from chalicelib.i18n import SOURCE_LANGUAGE, Language
from chalicelib.invitation import invitation
from chalicelib.links import Links
from chalicelib.mailer import EmailRejected, EmailThrottled, Mailer
from chalicelib.models import Application, Outcome, TaskMessage, TaskName, Wait, WaitKind
from chalicelib.storage import ApplicationNotFound, ApplicationStore
from chalicelib.workflow import WaitEnded, Workflow

# Tasks that only send one email to the applicant, and the template each uses.
APPLICANT_EMAILS = {
    "acknowledge": "acknowledge",
    "announce_acceptance": "acceptance",
    "remind_speaker": "confirmation_reminder",
    "announce_confirmation": "confirmation",
    "announce_cancellation": "cancellation",
    "announce_release": "release",
    "announce_withdrawal": "withdrawal",
    "announce_waitlist": "waitlist",
    "announce_waitlist_closed": "waitlist_closed",
    "announce_decline": "decline",
    "announce_expiry": "expiry",
}
# The applicant emails that still go out once the applicant asked to withdraw: the ones about it.
AFTER_WITHDRAWAL = {"announce_withdrawal", "announce_release"}
# The task queue's redrive policy (maxReceiveCount in infra/resources.json): after this many
# deliveries a failed message goes to the dead-letter queue.
MAX_DELIVERIES = 5
# Tasks that store a callback: the workflow is answered later, by a person or by promote_next.
WAITS = {
    "await_verification": WaitKind.VERIFICATION,
    "await_vote": WaitKind.VOTE,
    "await_confirmation": WaitKind.CONFIRMATION,
    "join_waitlist": WaitKind.PROMOTION,
}


class TaskWorker:
    def __init__(
        self,
        store: ApplicationStore,
        mailer: Mailer,
        workflow: Workflow,
        links: Links,
        call: Call,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._workflow = workflow
        self._links = links
        self._call = call
        self._clock = clock

    def run(self, message: TaskMessage, delivery: int = 1) -> None:
        """Do one task. EmailThrottled propagates so that SQS delivers the message again, until its
        last delivery; then, and for permanent failures, the workflow is told, under the names its
        Retry and Catch use."""
        try:
            application = self._store.get(message.application_id)
        except ApplicationNotFound:
            self._workflow.task_failed(message.task_token, "ApplicationMissing", message.application_id)
            return
        try:
            if message.task in WAITS:
                self._wait(application, message, WAITS[message.task])
                return  # answered later, by a person or by promote_next
            output: dict[str, Any] = {"done": message.task}
            if not self._still_due(application, message.task):
                logs.event("task_moot", task=message.task, application=application.id)
            elif message.task in APPLICANT_EMAILS:
                self._email_applicant(application, message)
            elif message.task == "request_review":
                self._email_organisers(application, "review_request", self._call.organisers, message.round)
            elif message.task == "remind_organisers":
                voted = {vote.organiser for vote in application.votes}
                pending = [o for o in self._call.organisers if o not in voted]
                self._email_organisers(application, "review_reminder", pending, message.round)
            elif message.task == "tell_organisers":
                self._email_organisers(application, "speaker_confirmed", self._call.organisers, message.round)
            elif message.task == "promote_next":
                output["handed"] = self._promote_next(message.offer)
        except EmailRejected as exc:
            self._workflow.task_failed(message.task_token, "EmailRejected", str(exc))
            return
        except EmailThrottled as exc:
            if delivery < MAX_DELIVERIES:
                raise
            # SES is still throttling at the queue's last delivery: rather than the dead-letter queue,
            # the task state's Retry sends the task again later, with its backoff.
            self._workflow.task_failed(message.task_token, "EmailThrottled", str(exc))
            return
        try:
            self._workflow.task_succeeded(message.task_token, output)
        except WaitEnded:
            # Nothing waits for this task any more (a branch the quorum cancelled, a task past its
            # timeout): every retry would be told the same, then the message would dead-letter.
            logs.event("task_outlived", task=message.task, application=application.id)

    def _still_due(self, application: Application, task: TaskName) -> bool:
        """Whether an email still has a reader: organisers after the review (or a withdrawal), or a
        speaker who has answered, would be asked a question nobody waits for, and an applicant who
        withdrew hears only about the withdrawal. A moot task is reported done: the workflow moves
        on, and its next wait sees the withdrawal."""
        if task in APPLICANT_EMAILS and task not in AFTER_WITHDRAWAL and application.withdraw_requested:
            return False
        if task in ("request_review", "remind_organisers"):
            return application.review_is_open(self._call.approvals_needed, self._call.rejections_needed)
        if task == "remind_speaker":
            return self._store.answer(application.id) is None
        return True

    def _wait(self, application: Application, message: TaskMessage, kind: WaitKind) -> None:
        """Store the callback, then look for what may have happened before it was stored."""
        self._store.save_wait(
            Wait(application_id=application.id, kind=kind, task_token=message.task_token, since=self._now())
        )
        if kind is WaitKind.PROMOTION:
            entry = self._store.join_waitlist(application, self._now(), message.task_token)
        if kind is WaitKind.VERIFICATION:
            verify_url = self._links.verification_url(application.id)
            # To anyone's address, maybe: no name in To, none of the applicant's words inside.
            self._send(
                application, "verification", application.email, 0, language=application.language, verify_url=verify_url
            )
        current = self._store.get(application.id)
        answer = self._store.answer(application.id) if kind is WaitKind.CONFIRMATION else None
        try:
            if current.withdraw_requested:
                self._workflow.task_failed(message.task_token, "Withdrawn", "The applicant withdrew.")
            elif kind is WaitKind.VOTE and len(current.votes) != message.votes_seen:
                self._workflow.task_succeeded(message.task_token, {"votes": len(current.votes)})
            elif answer is not None:
                self._workflow.task_succeeded(message.task_token, {"answer": answer.answer})
            elif kind is WaitKind.PROMOTION and self._store.slots_taken(self._call.id) < self._call.guest_slots:
                # A slot was freed before this application joined the queue: it tries for it now.
                self._workflow.task_succeeded(message.task_token, {"promoted": True})
                self._store.leave_waitlist(self._call.id, entry)
        except WaitEnded:
            pass  # the workflow moved on meanwhile; nothing is waiting for this answer

    def _promote_next(self, offer: str | None) -> bool:
        """Wake the longest-waiting application on the waitlist, with the offer if there is one;
        False when nobody waits. The workflow decides what follows, from that answer."""
        promotion: dict[str, Any] = {"promoted": True} | ({"offer": offer} if offer else {})
        for entry in self._store.waitlist(self._call.id):
            try:
                self._workflow.task_succeeded(entry.task_token, promotion)
            except WaitEnded:
                # It withdrew, its waitlist time ran out, or another worker promoted it first.
                self._store.leave_waitlist(self._call.id, entry)
                continue
            self._store.leave_waitlist(self._call.id, entry)
            return True
        return False

    def _email_applicant(self, application: Application, message: TaskMessage) -> None:
        template = APPLICANT_EMAILS[message.task]
        context: dict[str, Any] = {}
        if message.task in ("announce_acceptance", "remind_speaker"):
            context["yes_url"] = self._links.attendance_url(application.id, "yes")
            context["no_url"] = self._links.attendance_url(application.id, "no")
        if message.task == "announce_decline":
            context["notes"] = [v.note for v in application.votes if v.outcome is Outcome.REJECT and v.note]
        if message.task == "announce_confirmation":
            context["attachments"] = (
                rendering.Attachment(
                    filename="invitation.ics",
                    content_type="text/calendar; charset=utf-8; method=PUBLISH",
                    content=invitation(self._call.in_language(application.language), application, self._clock()),
                ),
            )
        # Applicants read every email in the language they applied in.
        self._send(
            application, template, application.email, message.round, application.name, application.language, **context
        )

    def _email_organisers(self, application: Application, template: str, organisers: Any, round_: int) -> None:
        for organiser in organisers:
            index = self._call.organisers.index(organiser)
            try:
                self._send(
                    application,
                    template,
                    organiser,
                    round_,
                    language=self._call.language,
                    approve_url=self._links.review_url(application.id, index, Outcome.APPROVE),
                    reject_url=self._links.review_url(application.id, index, Outcome.REJECT),
                    overview_url=self._links.overview_url(index),
                )
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
        template: str,
        recipient: str,
        round_: int,
        recipient_name: str = "",
        language: Language = SOURCE_LANGUAGE,
        attachments: tuple[rendering.Attachment, ...] = (),
        **context: Any,
    ) -> None:
        """Send once: a marker written with a conditional put stops a redelivered task from repeating it."""
        if application.erased:
            return  # the applicant deleted their data: nobody is written to any more
        # Rendered before the marker is written: a template or settings error then leaves no marker
        # behind, and the redelivered task sends the email once the cause is fixed.
        message = rendering.email(
            template,
            attachments=attachments,
            language=language,
            application=application,
            call=self._call,
            status_url=self._links.status_url(application.id),
            **context,
        )
        marker = f"{template}#{round_}"
        if not self._store.mark_email(application.id, marker, recipient, self._now()):
            return
        try:
            self._mailer.send(recipient, message, recipient_name)
        except (EmailThrottled, EmailRejected):
            # SES refused it, so it was not sent: the retry may send it. After any other
            # failure it may have gone out, and the marker keeps it from going twice.
            self._store.unmark_email(application.id, marker, recipient)
            raise

    def _now(self) -> str:
        return self._clock().isoformat()
