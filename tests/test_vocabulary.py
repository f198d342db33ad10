"""One vocabulary: the workflow definition's tasks, statuses and history events against chalicelib/vocabulary.py,
the worker's duties, the labels in both languages, and every email a task sends. Fast: no emulator."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import pytest
from babel.messages.pofile import read_po

from chalicelib import aws, email_events, rendering, vocabulary
from chalicelib.call import PROGRAMME_CHANGES, Calls, load_call
from chalicelib.clock import utc_now
from chalicelib.correspondence import Correspondence
from chalicelib.i18n import LANGUAGES, Language, translate
from chalicelib.links import LinkLifetimes, Links
from chalicelib.mailer import Mailer
from chalicelib.models import Application, ApplicationForm, TaskMessage, Vote
from chalicelib.settings import DEFAULT_CALL_FILE
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.callbacks import CallbackStore
from chalicelib.stores.emails import EmailMarkers
from chalicelib.stores.slots import SlotStore
from chalicelib.tasks import DUTIES, FAILURE_REASONS, Audience, Email, TaskWorker, WorkerStores
from chalicelib.vocabulary import (
    EVENT_LABELS,
    KIND_CHOICES,
    KIND_LABELS,
    NEXT_STEPS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    AttendanceAnswer,
    Event,
    ExperienceKind,
    Outcome,
    Status,
    Task,
    Undeliverable,
    WorkflowError,
    withdrawable,
)
from chalicelib.workflow import Workflow
from infra import workflow
from tests.fast.asl import states
from tests.gallery import EMAIL_CONTEXT, email_templates
from tests.support import PROJECT, STORY

TEMPLATES = PROJECT / "chalicelib" / "templates"
FRENCH = PROJECT / "chalicelib" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
# Each email each task sends, one case apiece: a task that sends none (await_vote...) has no case that
# would check nothing. Should none be left, the last test here fails: every template would be unsent.
WEEK = timedelta(days=7)
LINKS = Links("secret", "http://x", LinkLifetimes(review=WEEK, attendance=WEEK, overview=WEEK))
SENT_EMAILS = [(task, email) for task in sorted(DUTIES) for email in DUTIES[task].emails]


def sent_tasks() -> set[str]:
    return {
        s["Parameters"]["MessageBody"]["task"] for s in states().values() if "MessageBody" in s.get("Parameters", {})
    }


def recorded() -> tuple[set[str], set[str]]:
    """The statuses and events the definition writes: through a task's `record`, or itself."""
    statuses: set[str] = set()
    events: set[str] = set()
    for state in states().values():
        parameters = state.get("Parameters", {})
        record = parameters.get("MessageBody", {}).get("record")
        if record:
            events.add(record["event"])
            statuses |= {record["status"]} if "status" in record else set()
        values = parameters.get("ExpressionAttributeValues", {})
        if ":event" in values:
            events.add(values[":event"]["L"][0]["M"]["event"]["S"])
        if ":status" in values:
            statuses.add(values[":status"]["S"])
    return statuses, events


def test_the_committed_definition_and_its_picture_are_what_the_builder_writes() -> None:
    built = workflow.definition()
    assert workflow.DEFINITION.read_text(encoding="utf-8") == workflow.as_json(built), "run `make workflow`"
    from infra import diagram

    assert workflow.DIAGRAM.read_text(encoding="utf-8") == diagram.markdown(built), "run `make workflow`"


def test_the_workflow_source_is_short_and_every_state_that_writes_waits_or_decides_says_why() -> None:
    assert len((PROJECT / "infra" / "workflow.py").read_text().splitlines()) <= 1000
    for name, state in states().items():
        if state["Type"] in ("Task", "Choice", "Wait", "Parallel"):
            assert state.get("Comment"), f"{name} has no Comment"


def test_every_task_the_definition_sends_is_a_task_with_a_duty() -> None:
    tasks = sent_tasks()
    assert tasks, "no task found: the definition's shape changed"
    for task in tasks:
        assert Task(task) in DUTIES, task
    # And the duties cover every task there is: none is dispatched by name anywhere else.
    assert set(DUTIES) == set(Task)


def test_every_error_the_definition_takes_from_a_task_is_a_workflow_error_and_each_is_named_there() -> None:
    """The errors the worker, the API and Step Functions report; those the definition raises and catches inside
    itself (Review.Approved...) are its own."""
    states_ = states().values()
    named = {
        error
        for state in states_
        for rule in state.get("Retry", []) + state.get("Catch", [])
        for error in rule["ErrorEquals"]
    }
    raised = {state["Error"] for state in states_ if state["Type"] == "Fail"}
    recorded = {state["Result"]["Error"] for state in states_ if "Error" in state.get("Result", {})}
    reported = {e for e in named - raised if e != "States.ALL" and not e.startswith("DynamoDB.")}
    assert reported <= set(WorkflowError), reported - set(WorkflowError)
    # Each is taken by name, or explained in the organisers' failure email; but CallMissing, which the
    # catch-all takes with nobody to tell (the call is gone).
    assert set(FAILURE_REASONS) <= set(WorkflowError)
    assert set(WorkflowError) - reported - recorded - set(FAILURE_REASONS) == {WorkflowError.CALL_MISSING}


def test_the_definition_tells_apart_every_attendance_answer_and_no_other() -> None:
    compared = {
        rule["StringEquals"]
        for state in states().values()
        for rule in state.get("Choices", [])
        if rule.get("Variable") == "$.attendance.answer"
    }
    assert compared == set(AttendanceAnswer)


def test_every_status_and_event_the_definition_records_is_declared_and_labelled_in_both_languages() -> None:
    statuses, events = recorded()
    assert {"in_review", "accepted", "confirmed", "failed"} <= statuses and {"slot_taken", "rejected"} <= events
    with FRENCH.open("rb") as handle:
        french = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    for status in statuses | {Status.SUBMITTED.value}:
        label, next_step = STATUS_LABELS[Status(status)], NEXT_STEPS[Status(status)]
        assert french.get(label) and french.get(next_step), f"no French for the status {status}"
    for event in events | {Event.SUBMITTED.value, Event.DATA_DELETED.value}:
        label = EVENT_LABELS[Event(event)]
        assert french.get(label), f"no French for the event {event}"
    # Labels for every declared name, recorded today or by an earlier version of the workflow.
    assert set(STATUS_LABELS) == set(Status) == set(NEXT_STEPS) and set(EVENT_LABELS) == set(Event)


# Each name people read, and where its English words are declared (chalicelib/vocabulary.py).
WORDS: list[tuple[str, StrEnum, dict[Any, str]]] = [
    *(("status", status, words) for status in Status for words in (STATUS_LABELS, NEXT_STEPS)),
    *(("event", event, EVENT_LABELS) for event in Event),
    *(("kind", kind, words) for kind in ExperienceKind for words in (KIND_LABELS, KIND_CHOICES)),
    *(("outcome", outcome, OUTCOME_LABELS) for outcome in Outcome),
]
NAMES = {id(words): name for name, words in vars(vocabulary).items() if isinstance(words, dict)}


@cache
def french_words() -> dict[str, str]:
    """Each English text of messages.po and its French, where it has one (a fuzzy entry does not count)."""
    with FRENCH.open("rb") as handle:
        catalogue = read_po(handle)
    return {m.id: m.string for m in catalogue if isinstance(m.id, str) and isinstance(m.string, str) and not m.fuzzy}


@pytest.mark.parametrize(
    ("what", "name", "words"), WORDS, ids=[f"{what}-{name}-{NAMES[id(words)]}" for what, name, words in WORDS]
)
def test_every_status_event_kind_and_outcome_reads_as_words_in_english_and_french(
    what: str, name: StrEnum, words: dict[Any, str]
) -> None:
    english = words.get(name)
    assert english, f"no English words for the {what} {name.value}: add them to {NAMES[id(words)]} in vocabulary.py"
    assert french_words().get(english), (
        f"no French for the {what} {name.value} ({english!r}): run `make messages`, then translate it in {FRENCH}"
    )


def test_every_status_reads_as_words_on_the_status_page_in_both_languages() -> None:
    application = sample_application()
    call = load_call(DEFAULT_CALL_FILE)
    history = [{"event": event.value, "at": "2024-05-30T16:00:00+00:00"} for event in Event]
    raw_names = {name.value for name in (*Status, *Event) if "_" in name.value}
    for language in LANGUAGES:
        for status in Status:
            shown = application.model_copy(update={"status": status, "history": history})
            page = rendering.page(
                "status.html",
                language,
                root="../",
                call=call,
                application=shown,
                token="t",
                session_started=False,
                too_late=False,
            )
            assert translate(language, NEXT_STEPS[status]) in page
            shown_raw = {name for name in raw_names if name in page}
            assert not shown_raw, f"shown raw on the {language} status page of a {status} application: {shown_raw}"


@pytest.mark.parametrize("session_started", [False, True], ids=["before-the-session", "after-its-start"])
@pytest.mark.parametrize("status", list(Status))
def test_the_status_page_offers_to_withdraw_while_the_applicant_may(status: Status, session_started: bool) -> None:
    """The page's offer (withdraw, or a confirmed speaker's cancel) and the store's condition read one set."""
    page = rendering.page(
        "status.html",
        "en",
        root="../",
        call=load_call(DEFAULT_CALL_FILE),
        application=sample_application().model_copy(update={"status": status}),
        token="t",
        session_started=session_started,
    )
    assert ('href="t/withdraw"' in page) is (status in withdrawable(session_started)), status


@pytest.mark.parametrize(
    ("task", "email"), SENT_EMAILS, ids=[f"{task}-{email.template}" for task, email in SENT_EMAILS]
)
def test_every_email_a_task_sends_renders_in_both_languages(task: Task, email: Email) -> None:
    worker = sample_worker()
    application = sample_application()
    assert (TEMPLATES / "emails" / f"{email.template}.txt").exists(), email.template
    assert (TEMPLATES / "emails" / f"{email.template}.html").exists(), email.template
    task_message = TaskMessage(task=task, application_id=application.id, task_token="t", failure="EmailRejected")
    context = worker.context(email, application, task_message)
    if email.to is not Audience.APPLICANT:
        context |= asdict(LINKS.review_links(application.call_id, application.id, 0)) | {"overview_url": "http://x/o"}
    for language in LANGUAGES:
        message = rendering.email(
            email.template,
            email.attachments(worker, application) if email.attachments else (),
            language,
            application=application,
            call=worker.call_for(application),
            status_url="http://x/status",
            **context,
        )
        assert message.subject and message.text.strip() and "<html" in message.html
        assert "_" not in message.subject, f"{email.template} ({language}): {message.subject}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_change_to_the_programme_and_each_undeliverable_address_reads_differently(language: Language) -> None:
    """The templates tell the names apart by comparing them: a misspelt one would read as another."""
    context = EMAIL_CONTEXT | {"application": sample_application(), "call": load_call(DEFAULT_CALL_FILE)}
    ways: list[tuple[str, str, tuple[str, ...]]] = [
        ("programme_change", "change", PROGRAMME_CHANGES),
        ("undeliverable", "kind", tuple(Undeliverable)),
    ]
    for template, name, names in ways:
        subjects = {rendering.email(template, (), language, **(context | {name: each})).subject for each in names}
        assert len(subjects) == len(names), (template, subjects)


@pytest.mark.parametrize("kind", ["bounce", "complaint"])
def test_the_organisers_email_about_an_undeliverable_address_renders_in_both_languages(kind: str) -> None:
    application = sample_application()
    for language in LANGUAGES:
        message = rendering.email(
            email_events.TEMPLATE,
            (),
            language,
            application=application,
            call=load_call(DEFAULT_CALL_FILE),
            status_url="http://x/status",
            overview_url="http://x/o",
            kind=kind,
        )
        assert application.title in message.subject and application.id in message.text


def sample_application() -> Application:
    now = datetime(2024, 5, 30, 16, 0, tzinfo=UTC)
    form = ApplicationForm.model_validate(STORY | {"consent": True})
    application = Application.from_form(form, "ow2con24-ospo-heroes", now)
    vote = Vote(organiser="programme@ow2con.example", outcome=Outcome.REJECT, at=now.isoformat(), note="Not this time.")
    return application.model_copy(update={"votes": [vote], "rejections": 1})


def sample_worker() -> TaskWorker:
    """A worker whose AWS clients are never called here: only its links, call and clock are read."""
    calls = Calls.of_one(load_call(DEFAULT_CALL_FILE))
    call = calls.default
    client = aws.dynamodb()
    links = LINKS
    return TaskWorker(
        WorkerStores(ApplicationStore(client, "unused"), CallbackStore(client, "unused"), SlotStore(client, "unused")),
        Correspondence(EmailMarkers(client, "unused"), Mailer(aws.sesv2(), call.sender), links, calls.of, utc_now),
        Workflow(aws.stepfunctions(), "arn:aws:states:eu-west-3:123456789012:stateMachine:unused"),
        links,
        calls.of,
    )


def test_the_definition_names_only_templates_that_exist() -> None:
    used = {email.template for duty in DUTIES.values() for email in duty.emails} | {email_events.TEMPLATE}
    present = set(email_templates())
    assert used == present, f"sent but missing: {used - present}; present but never sent: {present - used}"
