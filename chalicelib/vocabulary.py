"""The workflow's words, declared once: its tasks, the statuses and history events it records, the kinds
of story and the votes, the sets of statuses the pages offer something in, and how people read each. The
workflow's builder (infra/workflow.py), the worker, the pages and the emails all take their names from
here; tests/test_vocabulary.py checks the definition, the labels and both languages against it.

Apart from the models (no pydantic here), so that the form's page is served without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.i18n import N_


class Status(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_VERIFICATION = "awaiting_verification"
    UNVERIFIED = "unverified"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    RELEASED = "released"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"
    NOT_SELECTED = "not_selected"
    FAILED = "failed"


class Event(StrEnum):
    """A step in an application's history, as the status page's timeline lists it."""

    SUBMITTED = "submitted"
    VERIFICATION_REQUESTED = "verification_requested"
    EMAIL_VERIFIED = "email_verified"
    VERIFICATION_EXPIRED = "verification_expired"
    ACKNOWLEDGEMENT_SENT = "acknowledgement_sent"
    REVIEW_REQUESTED = "review_requested"
    ORGANISERS_REMINDED = "organisers_reminded"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVIEW_EXPIRED = "review_expired"
    SLOT_TAKEN = "slot_taken"
    WAITLISTED = "waitlisted"
    PROMOTED_FROM_WAITLIST = "promoted_from_waitlist"
    WAITLIST_CLOSED = "waitlist_closed"
    SPEAKER_REMINDED = "speaker_reminded"
    CONFIRMED = "confirmed"
    CANCELLED_BY_SPEAKER = "cancelled_by_speaker"
    CANCELLED_AFTER_CONFIRMING = "cancelled_after_confirming"
    SESSION_REMINDED = "session_reminded"
    CONFIRMATION_MISSED = "confirmation_missed"
    WITHDRAWN = "withdrawn"
    SLOT_HANDED_ON = "slot_handed_on"
    SLOT_FREED = "slot_freed"
    WORKFLOW_FAILED = "workflow_failed"
    FAILURE_REPORTED = "failure_reported"
    DATA_DELETED = "data_deleted"
    EMAIL_BOUNCED = "email_bounced"
    EMAIL_COMPLAINED = "email_complained"
    # Recorded by the workflow before it was shortened; applications of that time still show them.
    DECLINE_SENT = "decline_sent"
    EXPIRY_SENT = "expiry_sent"
    CONFIRMATION_SENT = "confirmation_sent"


class ExperienceKind(StrEnum):
    """The story an applicant tells."""

    GOOD = "good"
    BAD = "bad"
    UGLY = "ugly"


class Outcome(StrEnum):
    """An organiser's vote."""

    APPROVE = "approve"
    REJECT = "reject"


class AttendanceAnswer(StrEnum):
    """An accepted speaker's answer to "will you be there?", from their attendance link."""

    YES = "yes"
    NO = "no"


class Undeliverable(StrEnum):
    """What SES reported of an applicant's address (stored as the application's `email_bounced`)."""

    BOUNCE = "bounce"  # it cannot receive mail
    COMPLAINT = "complaint"  # its owner marked our email as spam


class Task(StrEnum):
    """What a task state asks the queue's worker to do (the `task` of its message)."""

    AWAIT_VERIFICATION = "await_verification"
    ACKNOWLEDGE = "acknowledge"
    REQUEST_REVIEW = "request_review"
    AWAIT_VOTE = "await_vote"
    REMIND_ORGANISERS = "remind_organisers"
    ANNOUNCE_ACCEPTANCE = "announce_acceptance"
    REMIND_SPEAKER = "remind_speaker"
    ANNOUNCE_CONFIRMATION = "announce_confirmation"
    ANNOUNCE_CANCELLATION = "announce_cancellation"
    ANNOUNCE_RELEASE = "announce_release"
    ANNOUNCE_WITHDRAWAL = "announce_withdrawal"
    PROMOTE_NEXT = "promote_next"
    JOIN_WAITLIST = "join_waitlist"
    ANNOUNCE_WAITLIST_CLOSED = "announce_waitlist_closed"
    ANNOUNCE_DECLINE = "announce_decline"
    ANNOUNCE_EXPIRY = "announce_expiry"
    REPORT_FAILURE = "report_failure"
    REMIND_BEFORE_SESSION = "remind_before_session"
    AWAIT_SESSION = "await_session"
    ANNOUNCE_SPEAKER_CANCELLATION = "announce_speaker_cancellation"
    # Sent by executions started before the workflow was shortened (Step Functions runs each
    # execution on the definition it started with); handled until none of them is left.
    AWAIT_CONFIRMATION = "await_confirmation"
    ANNOUNCE_WAITLIST = "announce_waitlist"
    TELL_ORGANISERS = "tell_organisers"


class WorkflowError(StrEnum):
    """An error a task reports to the workflow (SendTaskFailure) or the workflow raises itself: the definition's
    Retry and Catch name it, and the organisers' failure email says what it meant (tasks.FAILURE_REASONS)."""

    WITHDRAWN = "Withdrawn"
    EMAIL_REJECTED = "EmailRejected"
    EMAIL_THROTTLED = "EmailThrottled"
    APPLICATION_MISSING = "ApplicationMissing"
    CALL_MISSING = "CallMissing"
    UNKNOWN_ANSWER = "UnknownAnswer"
    # Step Functions' own: a task state ran past its TimeoutSeconds.
    TIMEOUT = "States.Timeout"


class WaitKind(StrEnum):
    """What a stored callback waits for, and so who may answer it."""

    VERIFICATION = "verification"
    VOTE = "vote"
    CONFIRMATION = "confirmation"
    PROMOTION = "promotion"
    # A confirmed speaker's workflow waits for the session; only a cancellation (a withdrawal) ends it early.
    SESSION = "session"


# While the workflow waits on one of these, the applicant may still withdraw.
WITHDRAWABLE = frozenset(
    {
        Status.SUBMITTED,
        Status.AWAITING_VERIFICATION,
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.ACCEPTED,
        Status.WAITLISTED,
        Status.CONFIRMED,  # until the session starts (withdrawable below): the speaker cancels
    }
)


# A confirmed speaker who withdraws cancels their talk: the status page offers it apart, until the session starts.
CANCELLABLE = frozenset({Status.CONFIRMED})
# A speaker who holds a slot: withdrawing, cancelling or deleting their data hands it to the waitlist.
HOLDING_A_SLOT = frozenset({Status.ACCEPTED, Status.CONFIRMED})
# The review's decision is not written yet: its status cannot tell an organiser how it ended.
UNDECIDED = frozenset({Status.SUBMITTED, Status.IN_REVIEW})


def withdrawable(session_started: bool) -> frozenset[Status]:
    """What an applicant may still withdraw: a confirmed speaker cancels only until the session starts."""
    return WITHDRAWABLE - CANCELLABLE if session_started else WITHDRAWABLE


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: N_("submitted"),
    Status.AWAITING_VERIFICATION: N_("waiting for your email address to be confirmed"),
    Status.UNVERIFIED: N_("email address not confirmed"),
    Status.IN_REVIEW: N_("in review"),
    Status.APPROVED: N_("approved"),
    Status.ACCEPTED: N_("accepted"),
    Status.WAITLISTED: N_("waitlisted"),
    Status.CONFIRMED: N_("confirmed"),
    Status.DECLINED: N_("declined"),
    Status.EXPIRED: N_("expired"),
    Status.RELEASED: N_("released"),
    Status.CANCELLED: N_("cancelled"),
    Status.WITHDRAWN: N_("withdrawn"),
    Status.NOT_SELECTED: N_("not selected"),
    Status.FAILED: N_("failed"),
}

# The status page's "What's next", one line per status.
NEXT_STEPS: dict[Status, str] = {
    Status.SUBMITTED: N_("We are sending your acknowledgement and asking the organisers to review your story."),
    Status.AWAITING_VERIFICATION: N_(
        "Please confirm your email address with the link we sent you; the review starts after that."
    ),
    Status.UNVERIFIED: N_("The address was not confirmed in time, so the application was not reviewed."),
    Status.IN_REVIEW: N_("The organisers are reviewing your story. You will hear from us by email."),
    Status.APPROVED: N_("The organisers approved your story; we are checking that a slot is free."),
    Status.ACCEPTED: N_(
        "You have a slot! Please confirm that you will be there, with the links in your acceptance email."
    ),
    Status.WAITLISTED: N_(
        "All slots are taken for now. If one frees up, it goes to the first on the waitlist, and we email you at once."
    ),
    Status.CONFIRMED: N_(
        "You are confirmed as a speaker. See you there! We remind you the day before. If you can no longer "
        "come, cancel here: your slot goes to the next on the waitlist."
    ),
    Status.DECLINED: N_("Your story was not selected this time."),
    Status.EXPIRED: N_("The review window closed before a decision."),
    Status.RELEASED: N_("The confirmation window passed, so your slot went to the waitlist."),
    Status.CANCELLED: N_("You told us you cannot make it; your slot went to the next on the waitlist."),
    Status.WITHDRAWN: N_("You withdrew this application."),
    Status.NOT_SELECTED: N_("No slot freed up while you were on the waitlist."),
    Status.FAILED: N_("Something went wrong on our side while we handled your application."),
}

EVENT_LABELS: dict[Event, str] = {
    Event.SUBMITTED: N_("submitted"),
    Event.VERIFICATION_REQUESTED: N_("email address confirmation requested"),
    Event.EMAIL_VERIFIED: N_("email address confirmed"),
    Event.VERIFICATION_EXPIRED: N_("email address not confirmed in time"),
    Event.ACKNOWLEDGEMENT_SENT: N_("acknowledgement sent"),
    Event.REVIEW_REQUESTED: N_("review requested"),
    Event.ORGANISERS_REMINDED: N_("organisers reminded"),
    Event.APPROVED: N_("approved"),
    Event.REJECTED: N_("rejected"),
    Event.REVIEW_EXPIRED: N_("review expired"),
    Event.SLOT_TAKEN: N_("slot taken"),
    Event.WAITLISTED: N_("waitlisted"),
    Event.PROMOTED_FROM_WAITLIST: N_("promoted from the waitlist"),
    Event.WAITLIST_CLOSED: N_("waitlist closed"),
    Event.SPEAKER_REMINDED: N_("speaker reminded"),
    Event.CONFIRMED: N_("confirmed"),
    Event.CANCELLED_BY_SPEAKER: N_("cancelled by the speaker"),
    Event.CANCELLED_AFTER_CONFIRMING: N_("cancelled by the speaker after confirming"),
    Event.SESSION_REMINDED: N_("reminded of the session"),
    Event.CONFIRMATION_MISSED: N_("confirmation missed"),
    Event.WITHDRAWN: N_("withdrawn"),
    Event.SLOT_HANDED_ON: N_("slot handed to the waitlist"),
    Event.SLOT_FREED: N_("slot freed"),
    Event.WORKFLOW_FAILED: N_("something went wrong on our side"),
    Event.FAILURE_REPORTED: N_("organisers told of the problem"),
    Event.DATA_DELETED: N_("personal data deleted"),
    Event.EMAIL_BOUNCED: N_("our email to you bounced: we no longer write to this address"),
    Event.EMAIL_COMPLAINED: N_("our email to you was marked as spam: we no longer write to this address"),
    Event.DECLINE_SENT: N_("decline sent"),
    Event.EXPIRY_SENT: N_("expiry notice sent"),
    Event.CONFIRMATION_SENT: N_("confirmation sent"),
}

# The history event that records each of SES's reports about the applicant's address.
UNDELIVERABLE_EVENTS: dict[Undeliverable, Event] = {
    Undeliverable.BOUNCE: Event.EMAIL_BOUNCED,
    Undeliverable.COMPLAINT: Event.EMAIL_COMPLAINED,
}

KIND_LABELS: dict[ExperienceKind, str] = {
    ExperienceKind.GOOD: N_("good"),
    ExperienceKind.BAD: N_("bad"),
    ExperienceKind.UGLY: N_("ugly"),
}

# The form's choice of story, one line per kind.
KIND_CHOICES: dict[ExperienceKind, str] = {
    ExperienceKind.GOOD: N_("The good: it worked, here is why"),
    ExperienceKind.BAD: N_("The bad: it failed, here is what we learnt"),
    ExperienceKind.UGLY: N_("The ugly: it got messy, here is how we coped"),
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.APPROVE: N_("approve"),
    Outcome.REJECT: N_("reject"),
}

# A history step written by a later version (the table outlives a rollback): shown, never as its raw name.
ANOTHER_STEP = N_("another step")


def status_words(status: str) -> str:
    """How people read a status, in the source language (templates translate it)."""
    return STATUS_LABELS[Status(status)]


def next_step_words(status: str) -> str:
    return NEXT_STEPS[Status(status)]


def kind_words(kind: str) -> str:
    return KIND_LABELS[ExperienceKind(kind)]


def outcome_words(outcome: str) -> str:
    return OUTCOME_LABELS[Outcome(outcome)]


def event_words(event: str) -> str:
    try:
        return EVENT_LABELS[Event(event)]
    except ValueError:
        return ANOTHER_STEP
