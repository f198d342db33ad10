"""Every page and every email, rendered as the app renders them, with realistic contexts, in both languages:
what the Nu HTML Checker (tests/test_html.py) and the wording tests (tests/test_wording.py) read.

Pages go through rendering.page and emails through rendering.email, with the objects the handlers and
the worker pass them. An email template added to chalicelib/templates/emails/ is rendered here with
EMAIL_CONTEXT; one that needs more fails here until its context is added.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib import rendering
from chalicelib.applications import InvalidApplication, read_form
from chalicelib.attendance import AttendanceView
from chalicelib.call import PROGRAMME_CHANGES, Call, load_calls
from chalicelib.fields import FIELD_LABELS
from chalicelib.handlers.refusals import PLEASE_WAIT, TOO_MANY_PER_ADDRESS
from chalicelib.i18n import LANGUAGES, Language, minutes, translate
from chalicelib.links import AttendanceClaim, LinkLifetimes, Links, ReviewClaim
from chalicelib.models import Answer, Application, HistoryEvent, Vote
from chalicelib.overview import CallSummary, Entry, OrganiserCalls, Overview, OverviewQuery
from chalicelib.review import ReviewView
from chalicelib.vocabulary import AttendanceAnswer, ExperienceKind, Outcome, Status, Undeliverable
from tests.support import DEFAULT_CALL, MODERATOR, OPEN_UNTIL, PROGRAMME, SECOND_CALL, STORY, token_of

TEMPLATES = Path(rendering.TEMPLATES_DIR)
# Both example calls, open; the default one is the call of every page but the lists of calls.
CALLS = load_calls(json.dumps({"*": {"deadline": OPEN_UNTIL}}))
CALL: Call = CALLS.of(DEFAULT_CALL)
SECOND: Call = CALLS.of(SECOND_CALL)
LINKS = Links("gallery-secret", "https://cfp.example", LinkLifetimes(*(timedelta(days=9),) * 3))
SUBMITTED = datetime(2024, 5, 30, 16, 0, 12, 345678, tzinfo=UTC)
# The steps each status's history holds, as the workflow writes them (microseconds and all).
PATHS: dict[Status, tuple[str, ...]] = {
    Status.SUBMITTED: (),
    Status.AWAITING_VERIFICATION: ("verification_requested",),
    Status.UNVERIFIED: ("verification_requested", "verification_expired"),
    Status.IN_REVIEW: ("acknowledgement_sent", "review_requested"),
    Status.APPROVED: ("acknowledgement_sent", "review_requested", "approved"),
    Status.ACCEPTED: ("acknowledgement_sent", "review_requested", "approved", "slot_taken"),
    Status.WAITLISTED: ("acknowledgement_sent", "review_requested", "approved", "waitlisted"),
    Status.CONFIRMED: ("acknowledgement_sent", "review_requested", "approved", "slot_taken", "confirmed"),
    Status.DECLINED: ("acknowledgement_sent", "review_requested", "declined", "decline_sent"),
    Status.EXPIRED: ("acknowledgement_sent", "review_requested", "review_expired", "expiry_sent"),
    Status.RELEASED: ("acknowledgement_sent", "approved", "slot_taken", "confirmation_missed", "released"),
    Status.CANCELLED: ("acknowledgement_sent", "approved", "slot_taken", "cancelled_by_speaker", "cancelled"),
    Status.WITHDRAWN: ("acknowledgement_sent", "review_requested", "withdrawn"),
    Status.NOT_SELECTED: ("acknowledgement_sent", "approved", "waitlisted", "not_selected"),
    Status.FAILED: ("acknowledgement_sent", "workflow_failed", "failed"),
}


@dataclass(frozen=True)
class Rendered:
    name: str
    language: Language
    html: str
    # An email's subject and text part; empty for a page.
    subject: str = ""
    text: str = ""


def application(status: Status = Status.IN_REVIEW, language: Language = "en", **changes: object) -> Application:
    history = [HistoryEvent(event="submitted", at=SUBMITTED.isoformat())] + [
        HistoryEvent(event=event, at=(SUBMITTED + timedelta(hours=5 * step, microseconds=step)).isoformat())
        for step, event in enumerate(PATHS[status], start=1)
    ]
    approvals = 2 if status not in (Status.SUBMITTED, Status.IN_REVIEW, Status.DECLINED, Status.EXPIRED) else 0
    votes = [
        Vote(organiser=organiser, outcome=Outcome.APPROVE, at=(SUBMITTED + timedelta(hours=h)).isoformat())
        for organiser, h in ((MODERATOR, 6), (PROGRAMME, 9))
    ][:approvals]
    base = Application(
        id=f"gallery{status.value.replace('_', '')}",
        call_id=CALL.id,
        name=STORY["name"],
        email=STORY["email"],
        organisation=STORY["organisation"],
        kind=ExperienceKind(STORY["kind"]),
        title=STORY["title"],
        summary=STORY["summary"],
        submitted_at=SUBMITTED,
        status=status,
        history=history,
        approvals=approvals,
        votes=votes,
        language=language,
    )
    return base.model_copy(update=changes)


def page(name: str, template: str, language: Language, **context: object) -> Rendered:
    """As web.html renders it, for a page of the call, two levels below the app's root (/<call>/status/<token>)."""
    html = rendering.page(template, language, root="../../", **({"call": CALL, "session_started": False} | context))
    return Rendered(f"{name}.{language}", language, html)


def callless_page(name: str, template: str, language: Language, root: str, **context: object) -> Rendered:
    """A page of no call: the list of calls (root "./"), an organiser's calls (/overview/<token>: "../")."""
    return Rendered(f"{name}.{language}", language, rendering.page(template, language, root=root, **context))


def pages(language: Language) -> list[Rendered]:
    ada = application()
    status_url = LINKS.status_url(CALL.id, ada.id)
    status_token = token_of(status_url)
    try:
        read_form(STORY | {"email": "ada.example.org", "kind": "", "consent": "", "title": ""}, CALL, language)
        raise AssertionError("the form with mistakes was accepted")
    except InvalidApplication as exc:
        errors = exc.errors
    form = {"labels": FIELD_LABELS, "values": {}, "errors": {}, "is_open": True}
    wait = translate(language, TOO_MANY_PER_ADDRESS, wait=minutes(12, language))
    refusal = {"title": translate(language, PLEASE_WAIT), "detail": wait}
    rendered = [
        page("form", "form.html", language, **form),
        page("form-errors", "form.html", language, **form | {"values": STORY, "errors": errors}),
        page("form-refused", "form.html", language, **form | {"values": STORY, "refusal": refusal}),
        page("form-closed", "form.html", language, **form | {"is_open": False}),
        page("thanks", "thanks.html", language, application=ada, created=True, status_url=status_url),
        page("thanks-repeat", "thanks.html", language, application=ada, created=False),
        page("status-too-late", "status.html", language, application=ada, token=status_token, too_late=True),
        page("withdrawn", "withdrawn.html", language, application=ada, status_url=status_url),
        page("deleted", "deleted.html", language, application=application(Status.WITHDRAWN, erased=True)),
        page("verify", "verify.html", language, application=application(Status.AWAITING_VERIFICATION), token="t"),
        page("verified", "verify.html", language, application=ada, verified=True),
        page("verify-over", "verify.html", language, application=ada, verified=False),
        # As web.problem renders it: the error page knows no call.
        Rendered(
            f"error.{language}",
            language,
            rendering.page("error.html", language, root="../", title="Page not found", detail="No page here."),
        ),
    ]
    rendered += calls_pages(language)
    rendered += [
        page(f"status-{status.value}", "status.html", language, application=application(status), token=status_token)
        for status in Status
    ]
    rendered += [
        page(
            f"confirm-{action}",
            "confirm.html",
            language,
            application=application(Status.ACCEPTED),
            token="t",
            action=action,
        )
        for action in ("withdraw", "delete")
    ]
    # A confirmed speaker's way out, before the session, and their page once it has started.
    rendered.append(
        page(
            "confirm-cancel",
            "confirm.html",
            language,
            application=application(Status.CONFIRMED),
            token="t",
            action="withdraw",
        )
    )
    rendered.append(
        page(
            "status-confirmed-started",
            "status.html",
            language,
            application=application(Status.CONFIRMED),
            token=status_token,
            session_started=True,
        )
    )
    rendered += review_pages(language) + attendance_pages(language)
    rendered.append(page("overview", "overview.html", language, overview=overview(), token="t"))
    # One of the calls of an organiser of several: the page leads back to the list of their calls.
    several = replace(overview(), their_calls=2, query=OverviewQuery(call_id=CALL.id))
    rendered.append(page("overview-of-several", "overview.html", language, overview=several, token="t"))
    rendered.append(callless_page("organiser", "organiser.html", language, "../", overview=organiser(), token="t"))
    filtered = replace(overview(), query=OverviewQuery(status=Status.CONFIRMED, sort="newest"))
    rendered.append(page("overview-filtered", "overview.html", language, overview=filtered, token="t"))
    empty = replace(overview(), entries=[])
    rendered.append(page("overview-empty", "overview.html", language, overview=empty, token="t"))
    return rendered


def review_pages(language: Language) -> list[Rendered]:
    ada = application()
    vote = Vote(organiser=MODERATOR, outcome=Outcome.APPROVE, at=SUBMITTED.isoformat())
    voted = application(approvals=1, votes=[vote])

    def view(outcome: Outcome, of: Application, votes_count: bool = True) -> ReviewView:
        claim = ReviewClaim(of.id, 0, outcome, SUBMITTED, CALL.id)
        return ReviewView(of, claim, CALL, MODERATOR, of.vote_of(MODERATOR), votes_count)

    return [
        page("review-approve", "review.html", language, view=view(Outcome.APPROVE, ada), token="t"),
        page("review-reject", "review.html", language, view=view(Outcome.REJECT, ada), token="t"),
        page("review-voted", "review.html", language, view=view(Outcome.APPROVE, voted), token="t"),
        page("review-over", "review.html", language, view=view(Outcome.REJECT, application(Status.ACCEPTED), False)),
        page("voted-waits", "voted.html", language, view=view(Outcome.APPROVE, voted), application=voted),
        page(
            "voted-quorum",
            "voted.html",
            language,
            view=view(Outcome.APPROVE, application(Status.ACCEPTED)),
            application=application(Status.ACCEPTED),
        ),
    ]


def attendance_pages(language: Language) -> list[Rendered]:
    accepted = application(Status.ACCEPTED)
    yes, no = (
        AttendanceClaim(accepted.id, AttendanceAnswer.YES, CALL.id),
        AttendanceClaim(accepted.id, AttendanceAnswer.NO, CALL.id),
    )
    answer = Answer(answer=AttendanceAnswer.YES, at=(SUBMITTED + timedelta(days=1)).isoformat())
    return [
        page("attendance-yes", "attendance.html", language, view=AttendanceView(accepted, yes, None, CALL), token="t"),
        page("attendance-no", "attendance.html", language, view=AttendanceView(accepted, no, None, CALL), token="t"),
        page("attendance-answered", "attendance.html", language, view=AttendanceView(accepted, yes, answer, CALL)),
        page(
            "attendance-closed",
            "attendance.html",
            language,
            view=AttendanceView(application(Status.RELEASED), no, None, CALL),
        ),
        page(
            "answered-yes",
            "answered.html",
            language,
            view=AttendanceView(accepted, yes, answer, CALL),
            answer=answer,
        ),
        page(
            "answered-no",
            "answered.html",
            language,
            view=AttendanceView(accepted, no, None, CALL),
            answer=answer.model_copy(update={"answer": "no"}),
        ),
    ]


def calls_pages(language: Language) -> list[Rendered]:
    """The root page: two calls open; one open and one closed (it says so, and links to the open one); none open."""
    closed = replace(SECOND, deadline=SUBMITTED)
    removed = replace(SECOND, id="ow2con23-public-sector", closed=True)
    return [
        callless_page("calls", "calls.html", language, "./", open_calls=[CALL, SECOND], closed_calls=[]),
        callless_page("calls-one-open", "calls.html", language, "./", open_calls=[CALL], closed_calls=[closed]),
        callless_page("calls-none-open", "calls.html", language, "./", open_calls=[], closed_calls=[closed, removed]),
    ]


def organiser() -> OrganiserCalls:
    """The programme committee's overview: it organises both calls."""
    return OrganiserCalls(
        PROGRAMME,
        [
            CallSummary(CALL, [(Status.IN_REVIEW, 2), (Status.CONFIRMED, 2), (Status.DECLINED, 1)], 3),
            CallSummary(SECOND, [], 0),
        ],
    )


def overview() -> Overview:
    """Seven applications: in review (one voted), accepted, waitlisted, two confirmed, declined, and one deleted."""
    rows = [
        application(Status.IN_REVIEW),
        application(
            Status.IN_REVIEW,
            id="galleryvoted",
            title="Inner source in a bank",
            kind=ExperienceKind.GOOD,
            votes=[Vote(organiser=MODERATOR, outcome=Outcome.REJECT, at=SUBMITTED.isoformat(), note="Off-topic")],
        ),
        application(
            Status.ACCEPTED, name="Grace Hopper", organisation=None, title="The OSPO that debugged procurement"
        ),
        application(
            Status.WAITLISTED, name="Linus", title="The CLA that nobody signed", kind=ExperienceKind.BAD, language="fr"
        ),
        application(
            Status.CONFIRMED,
            id="galleryfirst",
            name="Émile Zola",
            title="Le logiciel libre à la mairie",
            kind=ExperienceKind.GOOD,
        ),
        application(Status.CONFIRMED, id="gallerysecond", title='=HYPERLINK("x")'),
        application(Status.DECLINED),
        application(
            Status.WITHDRAWN,
            id="gallerygone",
            name="",
            email="",
            organisation=None,
            title="(deleted)",
            summary="",
            erased=True,
        ),
    ]
    entries = [
        Entry(
            application=a,
            programme={"galleryfirst": 1, "gallerysecond": 2}.get(a.id),
            my_vote=a.vote_of(MODERATOR),
            can_vote=a.status is Status.IN_REVIEW and a.vote_of(MODERATOR) is None,
            review=LINKS.review_links(CALL.id, a.id, 0),
        )
        for a in rows
    ]
    return Overview(CALL, MODERATOR, entries, slots_taken=3)


EMAIL_CONTEXT: dict[str, Any] = {
    "status_url": LINKS.status_url(CALL.id, "galleryinreview"),
    "yes_url": LINKS.attendance_url(CALL.id, "galleryinreview", AttendanceAnswer.YES),
    "no_url": LINKS.attendance_url(CALL.id, "galleryinreview", AttendanceAnswer.NO),
    **asdict(LINKS.review_links(CALL.id, "galleryinreview", 0)),
    "overview_url": LINKS.overview_url(MODERATOR),
    "verify_url": LINKS.verification_url(CALL.id, "galleryinreview"),
    "notes": ["Great story, but we have three like it.", "Please bring it to the OSPO meetup!"],
    # The speaker's answer is due then; "promoted" when the slot came from the waitlist.
    "deadline": SUBMITTED + timedelta(days=3),
    "promoted": False,
    # The organisers' emails about a change (programme_change), a failure and an undeliverable address.
    "change": "cancellation",
    "held_slot": True,
    "reason": "My flight was cancelled.\nSorry!",
    "what_failed": "SES kept refusing to send for a while (throttling or an outage), past every retry.",
    "error": "EmailThrottled",
    "kind": "bounce",
}
# Emails that read differently by one value: each way is checked.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "programme_change": [{"change": change} for change in PROGRAMME_CHANGES],
    "undeliverable": [{"kind": kind} for kind in Undeliverable],
    "acceptance": [{"promoted": False}, {"promoted": True}],
}


def email_templates() -> list[str]:
    return sorted(p.stem for p in (TEMPLATES / "emails").glob("*.txt") if not p.name.startswith("_"))


def emails(language: Language) -> list[Rendered]:
    rendered = []
    for name in email_templates():
        for number, variant in enumerate(VARIANTS.get(name, [{}])):
            context = EMAIL_CONTEXT | variant
            email = rendering.email(name, language=language, application=application(), call=CALL, **context)
            label = f"email-{name}{f'-{number}' if number else ''}.{language}"
            rendered.append(Rendered(label, language, email.html, email.subject, email.text))
    return rendered


def everything() -> list[Rendered]:
    return [item for language in LANGUAGES for item in pages(language) + emails(language)]
