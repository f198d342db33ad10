"""The task queue's worker: does what a workflow task asks (records its step, keeps its callback,
sends its emails), then reports back to the workflow.

What each task does is one row of the table DUTIES, at the bottom. The decisions the worker takes for the
workflow, in Python, are small functions just above the table, named in the rows they serve: who still reads
each email (an Email's `read_if`), what already answers a wait (a Waiting's `answered_meanwhile`), and who
gets a freed slot (PromoteNext's `decides`). Two rules hold for every task, in TaskWorker: a withdrawal
ends any wait at once, and a step that only says an email went is not recorded when none of its emails
had a reader.
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
from chalicelib.models import Application, TaskMessage, Wait
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import CallbackStore
from chalicelib.stores.emails import EmailBeingSent
from chalicelib.stores.slots import SlotStore, WaitlistEntry
from chalicelib.stores.table import ApplicationNotFound
from chalicelib.vocabulary import AttendanceAnswer, Outcome, Task, WaitKind, WorkflowError
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
FAILURE_REASONS: dict[str, str] = {
    WorkflowError.EMAIL_REJECTED: N_(
        "SES refused one of its emails for good: an address that does not exist or refuses mail, or, "
        "while the account is in SES's sandbox, an address that is not verified."
    ),
    WorkflowError.EMAIL_THROTTLED: N_(
        "SES kept refusing to send for a while (throttling or an outage), past every retry."
    ),
    WorkflowError.TIMEOUT: N_("The email worker did not answer in time, past every retry (see the dead-letter queue)."),
    WorkflowError.APPLICATION_MISSING: N_("The application's record was gone from the table."),
    WorkflowError.UNKNOWN_ANSWER: N_("The speaker's answer could not be read."),
}
UNEXPECTED_FAILURE = N_("An unexpected error; the execution's history in Step Functions says which step.")


class Audience(Enum):
    """Whom an email is addressed to; whether they still read it is its `read_if`."""

    APPLICANT = "applicant"
    # Organisers asked for their vote, with their review links.
    REVIEWERS = "every organiser, asked to vote"
    REVIEWERS_YET_TO_VOTE = "the organisers who have not voted"
    # Organisers told of a change.
    ORGANISERS = "every organiser"


# Template values beyond the application, the call and the status link.
Extras = Callable[["TaskWorker", Application, TaskMessage], Context]
# Whether an email still has a reader when its task runs; one that has none is moot, and not sent.
ReadIf = Callable[["TaskWorker", Application, "Email"], bool]
# The workflow's answer to a wait from what happened before its callback was kept; None if nothing did.
AnsweredMeanwhile = Callable[["TaskWorker", Application, TaskMessage], "Output | None"]


@dataclass(frozen=True)
class Email:
    """One email a task sends: its template (emails/<template>.txt and .html), whom it is addressed to, and
    whether they still read it."""

    template: str
    to: Audience
    read_if: ReadIf
    extras: Extras | None = None
    attachments: Callable[[TaskWorker, Application], tuple[rendering.Attachment, ...]] | None = None
    # With the applicant's name in To; the verification goes to an address anyone may have typed.
    named: bool = True
    # A change to the programme the organisers are told of, unless the call's `tell_organisers` leaves it out.
    change: ProgrammeChange | None = None


@dataclass(frozen=True)
class Waiting:
    """The callback a task keeps for a person, or another application's workflow, to answer later."""

    kind: WaitKind
    # What answers it at once, having happened before the callback was kept (besides a withdrawal, which
    # ends every wait); None for a wait nothing can have answered meanwhile.
    answered_meanwhile: AnsweredMeanwhile | None = None


@dataclass(frozen=True)
class Duty:
    """What the worker does for one task, in this order: keep the callback, send the emails, decide."""

    emails: tuple[Email, ...] = ()
    waits: Waiting | None = None
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
        duty = DUTIES[message.task]
        application = self._application_of(message)
        if application is None:
            return
        due = self._due(application, message, duty)
        try:
            output = self._perform(application, message, duty, due, (lifetime or DEFAULT_LIFETIME) + LEASE_MARGIN)
        except EmailRejected as exc:
            self._workflow.task_failed(message.task_token, WorkflowError.EMAIL_REJECTED, str(exc))
            return
        except (EmailThrottled, EmailBeingSent) as exc:
            if delivery < MAX_DELIVERIES:
                raise
            # SES is still throttling at the queue's last delivery: rather than the dead-letter queue,
            # the task state's Retry sends the task again later, with its backoff.
            self._workflow.task_failed(message.task_token, WorkflowError.EMAIL_THROTTLED, str(exc))
            return
        if output is not None:
            self._report(message, output)

    def call_for(self, application: Application) -> Call:
        """The application's call; raises UnknownCall."""
        return self.call_of(application.call_id)

    def _application_of(self, message: TaskMessage) -> Application | None:
        """The task's application, its call known before anything is done (the emails and decisions need
        it); None when either is gone, and the task is failed by name."""
        try:
            application = self.stores.applications.get(message.application_id)
            self.call_for(application)
        except ApplicationNotFound:
            self._workflow.task_failed(message.task_token, WorkflowError.APPLICATION_MISSING, message.application_id)
            return None
        except UnknownCall as exc:  # neither its file nor the table's record of it is left
            self._workflow.task_failed(message.task_token, WorkflowError.CALL_MISSING, exc.call_id)
            return None
        return application

    def _due(self, application: Application, message: TaskMessage, duty: Duty) -> list[Email]:
        """The task's emails that still have a reader, its step recorded (before the work: a redelivered
        message finds it recorded and does not record it twice) and the moot ones logged."""
        due = [email for email in duty.emails if email.read_if(self, application, email)]
        self._record_step(application, message, duty, due)
        for moot in (email for email in duty.emails if email not in due):
            logs.event("email_moot", task=message.task, application=application.id, email=moot.template)
        return due

    def _record_step(self, application: Application, message: TaskMessage, duty: Duty, due: list[Email]) -> None:
        """A step that only says an email went (an event without a status) is not recorded when every one of
        its emails is moot: the history tells what happened."""
        if message.record is None:
            return
        if message.record.status or due or not duty.emails:
            self.stores.applications.record_step(application.id, message.record, message.round, self._now())

    def _perform(
        self, application: Application, message: TaskMessage, duty: Duty, due: list[Email], lease: timedelta
    ) -> Output | None:
        """Keep the callback, send the emails that still have a reader, then decide: the report to the
        workflow, or None for a task a person or another application's workflow answers later. A task whose
        emails are all moot still reports done: the workflow moves on, and its next wait sees a withdrawal."""
        queued = self._keep(application, message, duty.waits.kind) if duty.waits is not None else None
        self._send(application, message, due, lease)
        if duty.waits is not None:
            self._answer_from_facts(application.id, message, duty.waits, queued)
            return None
        output: Output = {"done": message.task.value}
        if duty.decides is not None:
            output |= duty.decides(self, application, message)
        return output

    # Decisions taken for the workflow (each email's and each wait's own are beside DUTIES) -------

    def _answer_from_facts(
        self, application_id: str, message: TaskMessage, waiting: Waiting, queued: WaitlistEntry | None
    ) -> None:
        """What happened before the callback was kept, which nobody could answer then: a withdrawal ends
        every wait, then the wait's own `answered_meanwhile` says. The API writes its fact before it looks
        for the callback, and this reads the facts after keeping it, so neither side can miss the other."""
        current = self.stores.applications.get(application_id)
        try:
            if current.withdraw_requested:
                self._workflow.task_failed(message.task_token, WorkflowError.WITHDRAWN, "The applicant withdrew.")
                return
            answer = waiting.answered_meanwhile(self, current, message) if waiting.answered_meanwhile else None
            if answer is None:
                return
            self._workflow.task_succeeded(message.task_token, answer)
            if queued is not None:  # answered at once, it no longer waits in the queue it joined
                self.stores.slots.leave_waitlist(current.call_id, queued)
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
            Wait(
                application_id=application.id,
                kind=kind,
                task_token=message.task_token,
                since=self._now(),
                expires_at=application.expires_at,
            )
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
        "yes_url": worker.links.attendance_url(application.call_id, application.id, AttendanceAnswer.YES),
        "no_url": worker.links.attendance_url(application.call_id, application.id, AttendanceAnswer.NO),
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


# Decisions taken for the workflow: who still reads each email ---------------------------------------


def applicant_follows(worker: TaskWorker, application: Application, email: Email) -> bool:
    """Every email to the applicant but the notices of a withdrawal: not once they withdrew, nor once
    their address is unreachable."""
    return not application.withdraw_requested and applicant_reachable(worker, application, email)


def applicant_reachable(worker: TaskWorker, application: Application, email: Email) -> bool:
    """The withdrawal, the release and the speaker's cancellation reach an applicant who withdrew; nothing
    reaches an address SES reported as undeliverable, or whose owner complained."""
    return not application.email_bounced


def speaker_yet_to_answer(worker: TaskWorker, application: Application, email: Email) -> bool:
    """RemindSpeaker: not once the speaker answered."""
    return applicant_follows(worker, application, email) and worker.stores.callbacks.answer(application.id) is None


def session_yet_to_start(worker: TaskWorker, application: Application, email: Email) -> bool:
    """RemindBeforeSession: not once the session started (an execution that caught up late is too late)."""
    started = worker.call_for(application).session_started(worker.clock())
    return applicant_follows(worker, application, email) and not started


def review_is_open(worker: TaskWorker, application: Application, email: Email) -> bool:
    """RequestReview, RemindOrganisers: organisers are asked to vote only while a vote still counts, not
    once a quorum was reached or the applicant withdrew."""
    call = worker.call_for(application)
    return application.review_is_open(call.approvals_needed, call.rejections_needed)


def organisers_always(worker: TaskWorker, application: Application, email: Email) -> bool:
    """A confirmed speaker and a failed workflow are news to the organisers whatever else happened."""
    return True


def change_is_told(worker: TaskWorker, application: Application, email: Email) -> bool:
    """A change to the programme, unless the call's `tell_organisers` leaves it out."""
    return email.change is not None and email.change in worker.call_for(application).tell_organisers


def promotion_is_told(worker: TaskWorker, application: Application, email: Email) -> bool:
    """Accept: a first acceptance is no change to the programme; a slot taken from the waitlist is."""
    return application.was_waitlisted() and change_is_told(worker, application, email)


# Decisions taken for the workflow: what answered a wait before its callback was kept ----------------


def votes_counted_meanwhile(worker: TaskWorker, application: Application, message: TaskMessage) -> Output | None:
    """RequestReview, AwaitVote: votes the workflow has not seen yet answer with the tally."""
    if application.approvals + application.rejections == message.votes_seen:
        return None
    return dict(application.tally())


def answer_given_meanwhile(worker: TaskWorker, application: Application, message: TaskMessage) -> Output | None:
    """Accept, RemindSpeaker: the speaker's answer, given before the wait was kept."""
    answer = worker.stores.callbacks.answer(application.id)
    return None if answer is None else {"answer": answer.answer}


def slot_freed_meanwhile(worker: TaskWorker, application: Application, message: TaskMessage) -> Output | None:
    """JoinWaitlist: a slot freed before the application joined the queue; it tries for it now."""
    call = worker.call_for(application)
    return {"promoted": True} if worker.stores.slots.slots_taken(call.id) < call.guest_slots else None


# The table ---------------------------------------------------------------------------------------------


def _to_organisers(change: ProgrammeChange, extras: Extras | None = None, read_if: ReadIf = change_is_told) -> Email:
    """A change to the programme, told to every organiser unless their call leaves it out."""
    return Email("programme_change", Audience.ORGANISERS, read_if, extras, change=change)


def _to_applicant(template: str, read_if: ReadIf, extras: Extras | None = None) -> Email:
    return Email(template, Audience.APPLICANT, read_if, extras)


VOTES = Waiting(WaitKind.VOTE, votes_counted_meanwhile)
ATTENDANCE = Waiting(WaitKind.CONFIRMATION, answer_given_meanwhile)

DUTIES: dict[Task, Duty] = {
    Task.AWAIT_VERIFICATION: Duty(
        (Email("verification", Audience.APPLICANT, applicant_follows, verification_link, named=False),),
        waits=Waiting(WaitKind.VERIFICATION),
    ),
    Task.ACKNOWLEDGE: Duty((_to_applicant("acknowledge", applicant_follows),)),
    Task.REQUEST_REVIEW: Duty((Email("review_request", Audience.REVIEWERS, review_is_open),), waits=VOTES),
    Task.AWAIT_VOTE: Duty(waits=VOTES),
    Task.REMIND_ORGANISERS: Duty((Email("review_reminder", Audience.REVIEWERS_YET_TO_VOTE, review_is_open),)),
    Task.ANNOUNCE_ACCEPTANCE: Duty(
        (
            _to_applicant("acceptance", applicant_follows, attendance_links),
            _to_organisers("promotion", read_if=promotion_is_told),
        ),
        waits=ATTENDANCE,
    ),
    Task.REMIND_SPEAKER: Duty(
        (_to_applicant("confirmation_reminder", speaker_yet_to_answer, attendance_links),), waits=ATTENDANCE
    ),
    Task.ANNOUNCE_CONFIRMATION: Duty(
        (
            Email("confirmation", Audience.APPLICANT, applicant_follows, attachments=calendar_invitation),
            Email("speaker_confirmed", Audience.ORGANISERS, organisers_always),
        )
    ),
    Task.ANNOUNCE_CANCELLATION: Duty(
        (_to_applicant("cancellation", applicant_follows), _to_organisers("cancellation"))
    ),
    Task.ANNOUNCE_RELEASE: Duty((_to_applicant("release", applicant_reachable), _to_organisers("release"))),
    Task.ANNOUNCE_WITHDRAWAL: Duty((_to_applicant("withdrawal", applicant_reachable), _to_organisers("withdrawal"))),
    Task.PROMOTE_NEXT: Duty(decides=TaskWorker.promote_next),
    Task.JOIN_WAITLIST: Duty(
        (_to_applicant("waitlist", applicant_follows),), waits=Waiting(WaitKind.PROMOTION, slot_freed_meanwhile)
    ),
    Task.ANNOUNCE_WAITLIST_CLOSED: Duty((_to_applicant("waitlist_closed", applicant_follows),)),
    Task.ANNOUNCE_DECLINE: Duty((_to_applicant("decline", applicant_follows, decline_notes),)),
    Task.ANNOUNCE_EXPIRY: Duty((_to_applicant("expiry", applicant_follows), _to_organisers("expiry"))),
    Task.REPORT_FAILURE: Duty((Email("failure", Audience.ORGANISERS, organisers_always, failure_reason),)),
    Task.REMIND_BEFORE_SESSION: Duty((_to_applicant("session_reminder", session_yet_to_start),)),
    Task.AWAIT_SESSION: Duty(waits=Waiting(WaitKind.SESSION)),
    Task.ANNOUNCE_SPEAKER_CANCELLATION: Duty(
        (
            Email("speaker_cancellation", Audience.APPLICANT, applicant_reachable, attachments=calendar_cancellation),
            _to_organisers("cancellation", cancellation_reason),
        )
    ),
    # Executions started before the workflow was shortened.
    Task.AWAIT_CONFIRMATION: Duty(waits=ATTENDANCE),
    Task.ANNOUNCE_WAITLIST: Duty((_to_applicant("waitlist", applicant_follows),)),
    Task.TELL_ORGANISERS: Duty((Email("speaker_confirmed", Audience.ORGANISERS, organisers_always),)),
}
