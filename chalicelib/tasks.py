"""The task queue's worker: does what a workflow task asks (records its step, keeps its callback,
sends its emails), then reports back to the workflow.

What each task does is the table DUTIES, at the bottom. The few decisions the worker takes for the
workflow, in Python, are together under "Decisions taken for the workflow", each next to the state
it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from chalicelib import logs, rendering
from chalicelib.call import Call, CallOf, ProgrammeChange, UnknownCall
from chalicelib.clock import utc_now
from chalicelib.correspondence import Context, Correspondence
from chalicelib.i18n import N_
from chalicelib.invitation import CONTENT_TYPE, cancellation, invitation
from chalicelib.links import Links
from chalicelib.mailer import EmailRejected, EmailThrottled
from chalicelib.models import Application, Outcome, TaskMessage, Wait
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import CallbackStore
from chalicelib.stores.emails import EmailBeingSent
from chalicelib.stores.slots import SlotStore, WaitlistEntry
from chalicelib.stores.table import ApplicationNotFound
from chalicelib.vocabulary import Task, WaitKind
from chalicelib.workflow import WaitEnded, Workflow

# The task queue's redrive policy (maxReceiveCount in infra/resources.json): after this many
# deliveries a failed message goes to the dead-letter queue.
MAX_DELIVERIES = 5
# How long an email stays claimed by a worker: its invocation's remaining time, and a margin for the
# clocks. Lambda's timeout for run_task (30 s) is far below the queue's visibility timeout (180 s), so
# the delivery after a worker's death finds its claim expired.
DEFAULT_LIFETIME = timedelta(seconds=30)
LEASE_MARGIN = timedelta(seconds=5)

Output = dict[str, bool | int | str]

# What the organisers read when a workflow failed, by the error its Catch recorded.
FAILURE_REASONS = {
    "EmailRejected": N_(
        "SES refused one of its emails for good: an address that does not exist or refuses mail, or, "
        "while the account is in SES's sandbox, an address that is not verified."
    ),
    "EmailThrottled": N_("SES kept refusing to send for a while (throttling or an outage), past every retry."),
    "States.Timeout": N_("The email worker did not answer in time, past every retry (see the dead-letter queue)."),
    "ApplicationMissing": N_("The application's record was gone from the table."),
    "UnknownAnswer": N_("The speaker's answer could not be read."),
}
UNEXPECTED_FAILURE = N_("An unexpected error; the execution's history in Step Functions says which step.")


class Audience(Enum):
    APPLICANT = "applicant"
    # Organisers asked for their vote, with their review links; not once the review is over.
    REVIEWERS = "every organiser, asked to vote"
    REVIEWERS_YET_TO_VOTE = "the organisers who have not voted"
    # Organisers told of a change.
    ORGANISERS = "every organiser"


@dataclass(frozen=True)
class Email:
    """One email a task sends: its template (emails/<template>.txt and .html) and who reads it."""

    template: str
    to: Audience
    # Template values beyond the application, the call and the status link.
    extras: Callable[[TaskWorker, Application, TaskMessage], Context] | None = None
    attachments: Callable[[TaskWorker, Application], tuple[rendering.Attachment, ...]] | None = None
    # With the applicant's name in To; the verification goes to an address anyone may have typed.
    named: bool = True
    # A change to the programme the organisers are told of, unless the call's `tell_organisers` leaves it out.
    change: ProgrammeChange | None = None


@dataclass(frozen=True)
class Duty:
    """What the worker does for one task, in this order: keep the callback, send the emails, decide."""

    emails: tuple[Email, ...] = ()
    # The callback kept for a person, or another application's workflow, to answer later.
    waits: WaitKind | None = None
    # The worker's own answer to the workflow, for the one task that asks it to decide.
    decides: Callable[[TaskWorker, Application, TaskMessage], Output] | None = None


@dataclass(frozen=True)
class WorkerStores:
    """The stores the worker reads and writes."""

    applications: ApplicationStore
    callbacks: CallbackStore
    slots: SlotStore


class TaskWorker:
    def __init__(
        self,
        stores: WorkerStores,
        letters: Correspondence,
        workflow: Workflow,
        links: Links,
        call_of: CallOf,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.stores = stores
        self.links = links
        # Each task is about one application, and the application names its call: messages of executions
        # started before calls had ids name none, and need not.
        self.call_of = call_of
        self.clock = clock
        self._letters = letters
        self._workflow = workflow

    def run(self, message: TaskMessage, delivery: int = 1, lifetime: timedelta | None = None) -> None:
        """Do one task. EmailThrottled (and an email another delivery is sending) propagates so that
        SQS delivers the message again, until its last delivery; then, and for permanent failures,
        the workflow is told, under the names its Retry and Catch use.

        `lifetime` is how long this invocation may still run (Lambda's remaining time): the lease of
        the emails it claims."""
        lease = (lifetime or DEFAULT_LIFETIME) + LEASE_MARGIN
        duty = DUTIES[message.task]
        try:
            application = self.stores.applications.get(message.application_id)
            self.call_for(application)  # known before anything is done: the emails and decisions need it
        except ApplicationNotFound:
            self._workflow.task_failed(message.task_token, "ApplicationMissing", message.application_id)
            return
        except UnknownCall as exc:  # neither its file nor the table's record of it is left
            self._workflow.task_failed(message.task_token, "CallMissing", exc.call_id)
            return
        due = [email for email in duty.emails if self.still_due(application, message.task, email)]
        # A step that only says an email went (an event without a status) is not recorded when every
        # one of its emails is moot: the history tells what happened.
        if message.record is not None and (message.record.status or due or not duty.emails):
            # Before the work: a redelivered message finds it recorded and does not record it twice.
            self.stores.applications.record_step(application.id, message.record, message.round, self._now())
        for moot in (email for email in duty.emails if email not in due):
            logs.event("email_moot", task=message.task, application=application.id, email=moot.template)
        try:
            queued = self._keep(application, message, duty.waits) if duty.waits else None
            self._send(application, message, due, lease)
            if duty.waits is not None:
                self._answer_from_facts(application.id, message, duty.waits, queued)
                return  # answered later, by a person or by another application's workflow
            output: Output = {"done": message.task.value}
            if duty.decides is not None:
                output |= duty.decides(self, application, message)
        except EmailRejected as exc:
            self._workflow.task_failed(message.task_token, "EmailRejected", str(exc))
            return
        except (EmailThrottled, EmailBeingSent) as exc:
            if delivery < MAX_DELIVERIES:
                raise
            # SES is still throttling at the queue's last delivery: rather than the dead-letter queue,
            # the task state's Retry sends the task again later, with its backoff.
            self._workflow.task_failed(message.task_token, "EmailThrottled", str(exc))
            return
        self._report(message, output)

    def call_for(self, application: Application) -> Call:
        """The application's call; raises UnknownCall."""
        return self.call_of(application.call_id)

    # Decisions taken for the workflow ----------------------------------------------------------

    def still_due(self, application: Application, task: Task, email: Email) -> bool:
        """Whether an email still has a reader. Serves RequestReview and RemindOrganisers (organisers
        are not asked once the review has ended or the applicant withdrew), RemindSpeaker (not once
        the speaker answered), and every applicant email (an applicant who withdrew hears only about
        the withdrawal and the release; one whose address bounced, nothing), and RemindBeforeSession (not
        once the session has started). A task whose emails are
        moot still reports done: the workflow moves on, and its next wait sees the withdrawal."""
        call = self.call_for(application)
        if email.to in (Audience.REVIEWERS, Audience.REVIEWERS_YET_TO_VOTE):
            return application.review_is_open(call.approvals_needed, call.rejections_needed)
        if email.to is Audience.ORGANISERS:
            if email.change == "promotion" and not application.was_waitlisted():
                return False  # a first acceptance is no change to the programme
            return email.change is None or email.change in call.tell_organisers
        if application.email_bounced:
            return False  # SES reported the address as undeliverable, or its owner complained
        if application.withdraw_requested:
            return task in (Task.ANNOUNCE_WITHDRAWAL, Task.ANNOUNCE_RELEASE, Task.ANNOUNCE_SPEAKER_CANCELLATION)
        if task is Task.REMIND_SPEAKER:
            return self.stores.callbacks.answer(application.id) is None
        if task is Task.REMIND_BEFORE_SESSION:
            return not call.session_started(self.clock())  # an execution that caught up late: too late
        return True

    def _answer_from_facts(
        self, application_id: str, message: TaskMessage, kind: WaitKind, queued: WaitlistEntry | None
    ) -> None:
        """What happened before the callback was kept, which nobody could answer then. Serves every
        waiting state: a withdrawal (all of them), votes counted meanwhile (RequestReview, AwaitVote),
        an answer given meanwhile (Accept, RemindSpeaker) and a slot freed meanwhile (JoinWaitlist).
        The API writes its fact before it looks for the callback, and this reads the facts after
        keeping it, so neither side can miss the other."""
        current = self.stores.applications.get(application_id)
        call = self.call_for(current)
        answer = self.stores.callbacks.answer(application_id) if kind is WaitKind.CONFIRMATION else None
        try:
            if current.withdraw_requested:
                self._workflow.task_failed(message.task_token, "Withdrawn", "The applicant withdrew.")
            elif kind is WaitKind.VOTE and current.approvals + current.rejections != message.votes_seen:
                self._workflow.task_succeeded(message.task_token, current.tally())
            elif answer is not None:
                self._workflow.task_succeeded(message.task_token, {"answer": answer.answer})
            elif kind is WaitKind.PROMOTION and self.stores.slots.slots_taken(call.id) < call.guest_slots:
                # A slot was freed before this application joined the queue: it tries for it now.
                self._workflow.task_succeeded(message.task_token, {"promoted": True})
                if queued is not None:
                    self.stores.slots.leave_waitlist(call.id, queued)
        except WaitEnded:
            pass  # the workflow moved on meanwhile; nothing is waiting for this answer

    def promote_next(self, application: Application, message: TaskMessage) -> Output:
        """Wake the longest-waiting application on the waitlist of the releasing application's call, with
        the offer if there is one. Serves PromoteNext (whose Choice `Handed` reads the answer) and WakeWaitlist."""
        call_id = application.call_id
        promotion: Output = {"promoted": True}
        if message.offer:
            promotion["offer"] = message.offer
        for entry in self.stores.slots.waitlist(call_id):
            try:
                self._workflow.task_succeeded(entry.task_token, promotion)
            except WaitEnded:
                # It withdrew, its waitlist time ran out, or another worker promoted it first.
                self.stores.slots.leave_waitlist(call_id, entry)
                continue
            self.stores.slots.leave_waitlist(call_id, entry)
            return {"handed": True}
        return {"handed": False}

    def _report(self, message: TaskMessage, output: Output) -> None:
        """A task the workflow no longer waits for (a branch the quorum cancelled, a task past its
        timeout) is let go: every retry would be told the same, then the message would dead-letter."""
        try:
            self._workflow.task_succeeded(message.task_token, output)
        except WaitEnded:
            logs.event("task_outlived", task=message.task, application=message.application_id)

    # The work -----------------------------------------------------------------------------------

    def _keep(self, application: Application, message: TaskMessage, kind: WaitKind) -> WaitlistEntry | None:
        """Store the callback; a promotion's also takes (or keeps) the application's place in the queue."""
        self.stores.callbacks.save_wait(
            Wait(application_id=application.id, kind=kind, task_token=message.task_token, since=self._now())
        )
        if kind is WaitKind.PROMOTION:
            return self.stores.slots.join_waitlist(application, self._now(), message.task_token)
        return None

    def _send(self, application: Application, message: TaskMessage, emails: Sequence[Email], lease: timedelta) -> None:
        for email in emails:
            context = self.context(email, application, message)
            if email.to is Audience.APPLICANT:
                attachments = email.attachments(self, application) if email.attachments else ()
                self._letters.to_applicant(
                    application, email.template, message.round, lease, context, attachments, email.named
                )
            else:
                only_yet_to_vote = email.to is Audience.REVIEWERS_YET_TO_VOTE
                self._letters.to_organisers(
                    application, email.template, message.round, lease, context, only_yet_to_vote
                )

    def context(self, email: Email, application: Application, message: TaskMessage) -> Context:
        """What the email's templates get beyond the application, the call and the status link."""
        context = email.extras(self, application, message) if email.extras else {}
        if email.change:
            context |= {"change": email.change, "held_slot": application.held_slot()}
        return context

    def _now(self) -> str:
        return self.clock().isoformat()


# What the emails need beyond the application, the call and the status link --------------------


def attendance_links(worker: TaskWorker, application: Application, message: TaskMessage) -> Context:
    """The speaker's two answers, the moment the slot goes to the waitlist without one (the workflow's
    confirmation window runs from when the slot was taken), and whether the slot came from the waitlist."""
    taken = application.slot_taken_at() or worker.clock()
    return {
        "yes_url": worker.links.attendance_url(application.call_id, application.id, "yes"),
        "no_url": worker.links.attendance_url(application.call_id, application.id, "no"),
        "deadline": taken + timedelta(hours=worker.call_for(application).confirmation_window_hours),
        "promoted": application.was_waitlisted(),
    }


def verification_link(worker: TaskWorker, application: Application, message: TaskMessage) -> Context:
    return {"verify_url": worker.links.verification_url(application.call_id, application.id)}


def decline_notes(worker: TaskWorker, application: Application, message: TaskMessage) -> Context:
    return {"notes": [v.note for v in application.votes if v.outcome is Outcome.REJECT and v.note]}


def failure_reason(worker: TaskWorker, application: Application, message: TaskMessage) -> Context:
    return {
        "what_failed": FAILURE_REASONS.get(message.failure or "", UNEXPECTED_FAILURE),
        "error": message.failure or "",
    }


def calendar_invitation(worker: TaskWorker, application: Application) -> tuple[rendering.Attachment, ...]:
    ics = invitation(worker.call_for(application).in_language(application.language), application, worker.clock())
    return (rendering.Attachment("invitation.ics", CONTENT_TYPE.format(method="PUBLISH"), ics),)


def calendar_cancellation(worker: TaskWorker, application: Application) -> tuple[rendering.Attachment, ...]:
    ics = cancellation(worker.call_for(application).in_language(application.language), application, worker.clock())
    return (rendering.Attachment("cancellation.ics", CONTENT_TYPE.format(method="CANCEL"), ics),)


def cancellation_reason(worker: TaskWorker, application: Application, message: TaskMessage) -> Context:
    return {"reason": application.withdraw_reason or ""}


def _to_organisers(
    change: ProgrammeChange, extras: Callable[[TaskWorker, Application, TaskMessage], Context] | None = None
) -> Email:
    return Email("programme_change", Audience.ORGANISERS, extras, change=change)


def _to_applicant(
    template: str, extras: Callable[[TaskWorker, Application, TaskMessage], Context] | None = None
) -> Email:
    return Email(template, Audience.APPLICANT, extras)


DUTIES: dict[Task, Duty] = {
    Task.AWAIT_VERIFICATION: Duty(
        (Email("verification", Audience.APPLICANT, verification_link, named=False),), waits=WaitKind.VERIFICATION
    ),
    Task.ACKNOWLEDGE: Duty((_to_applicant("acknowledge"),)),
    Task.REQUEST_REVIEW: Duty((Email("review_request", Audience.REVIEWERS),), waits=WaitKind.VOTE),
    Task.AWAIT_VOTE: Duty(waits=WaitKind.VOTE),
    Task.REMIND_ORGANISERS: Duty((Email("review_reminder", Audience.REVIEWERS_YET_TO_VOTE),)),
    Task.ANNOUNCE_ACCEPTANCE: Duty(
        (_to_applicant("acceptance", attendance_links), _to_organisers("promotion")), waits=WaitKind.CONFIRMATION
    ),
    Task.REMIND_SPEAKER: Duty((_to_applicant("confirmation_reminder", attendance_links),), waits=WaitKind.CONFIRMATION),
    Task.ANNOUNCE_CONFIRMATION: Duty(
        (
            Email("confirmation", Audience.APPLICANT, attachments=calendar_invitation),
            Email("speaker_confirmed", Audience.ORGANISERS),
        )
    ),
    Task.ANNOUNCE_CANCELLATION: Duty((_to_applicant("cancellation"), _to_organisers("cancellation"))),
    Task.ANNOUNCE_RELEASE: Duty((_to_applicant("release"), _to_organisers("release"))),
    Task.ANNOUNCE_WITHDRAWAL: Duty((_to_applicant("withdrawal"), _to_organisers("withdrawal"))),
    Task.PROMOTE_NEXT: Duty(decides=TaskWorker.promote_next),
    Task.JOIN_WAITLIST: Duty((_to_applicant("waitlist"),), waits=WaitKind.PROMOTION),
    Task.ANNOUNCE_WAITLIST_CLOSED: Duty((_to_applicant("waitlist_closed"),)),
    Task.ANNOUNCE_DECLINE: Duty((_to_applicant("decline", decline_notes),)),
    Task.ANNOUNCE_EXPIRY: Duty((_to_applicant("expiry"), _to_organisers("expiry"))),
    Task.REPORT_FAILURE: Duty((Email("failure", Audience.ORGANISERS, failure_reason),)),
    Task.REMIND_BEFORE_SESSION: Duty((_to_applicant("session_reminder"),)),
    Task.AWAIT_SESSION: Duty(waits=WaitKind.SESSION),
    Task.ANNOUNCE_SPEAKER_CANCELLATION: Duty(
        (
            Email("speaker_cancellation", Audience.APPLICANT, attachments=calendar_cancellation),
            _to_organisers("cancellation", cancellation_reason),
        )
    ),
    # Executions started before the workflow was shortened.
    Task.AWAIT_CONFIRMATION: Duty(waits=WaitKind.CONFIRMATION),
    Task.ANNOUNCE_WAITLIST: Duty((_to_applicant("waitlist"),)),
    Task.TELL_ORGANISERS: Duty((Email("speaker_confirmed", Audience.ORGANISERS),)),
}
