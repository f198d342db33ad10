"""The zip's compiled templates render every page and every email exactly as the source templates do."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader, ModuleLoader

from chalicelib import rendering
from chalicelib.attendance import AttendanceView
from chalicelib.call import load_call
from chalicelib.fields import FIELD_LABELS
from chalicelib.i18n import LANGUAGES, Language
from chalicelib.links import AttendanceClaim, ReviewClaim
from chalicelib.models import Answer, Application, ExperienceKind, HistoryEvent, Outcome, Status, Vote
from chalicelib.overview import Overview
from chalicelib.review import ReviewView
from chalicelib.settings import DEFAULT_CALL_FILE
from tests.support import STORY

CALL = load_call(DEFAULT_CALL_FILE)
NOW = datetime(2024, 5, 20, 9, 30, tzinfo=UTC)
APPLICATION = Application(
    id="abcdefghijklmnopqrstuvwx",
    call_id=CALL.id,
    name="Ada <Lovelace>",
    email="ada@example.org",
    organisation="Analytical & Co",
    kind=ExperienceKind.UGLY,
    title="Our OSPO ate the legal team",
    summary="We started an OSPO.\nIt got stuck in licence review for six months.",
    submitted_at=NOW,
    status=Status.ACCEPTED,
    history=[HistoryEvent(event="submitted", at=NOW.isoformat()), HistoryEvent(event="accepted", at=NOW.isoformat())],
    approvals=2,
    rejections=1,
    votes=[
        Vote(organiser=CALL.organisers[0], outcome=Outcome.APPROVE, at=NOW.isoformat()),
        Vote(organiser=CALL.organisers[1], outcome=Outcome.REJECT, at=NOW.isoformat(), note="Too <short>."),
    ],
    expires_at=1_750_000_000,
)
REVIEW = ReviewView(
    application=APPLICATION,
    claim=ReviewClaim(APPLICATION.id, 2, Outcome.APPROVE),
    organiser=CALL.organisers[2],
    my_vote=None,
    votes_count=True,
)
ATTENDANCE = AttendanceView(application=APPLICATION, claim=AttendanceClaim(APPLICATION.id, "yes"), answer=None)
# Every variable any page or email reads; each template takes what it needs.
CONTEXT: dict[str, Any] = {
    "call": CALL,
    "application": APPLICATION,
    "root": "../",
    "values": STORY,
    "errors": {"email": "Email must be an email address such as ada@example.org.", "consent": "Consent is required."},
    "labels": FIELD_LABELS,
    "is_open": True,
    "created": True,
    "token": "a-signed-token",
    "verified": True,
    "overview": Overview(call=CALL, organiser=CALL.organisers[0], applications=[APPLICATION], slots_taken=1),
    "answer": Answer(answer="yes", at=NOW.isoformat()),
    "title": "Not found",
    "detail": "This <page> does not exist.",
    "notes": ["Too <short>."],
    **{
        f"{name}_url": f"https://cfp.example.org/{name}/a-signed-token"
        for name in ("status", "yes", "no", "approve", "reject", "overview", "verify")
    },
}
VIEWS = {"review.html": REVIEW, "voted.html": REVIEW, "attendance.html": ATTENDANCE, "answered.html": ATTENDANCE}
# Partials and the layouts are rendered inside the pages and emails that use them.
TEMPLATES = sorted(
    name
    for name in FileSystemLoader(rendering.TEMPLATES_DIR).list_templates()
    if not name.rpartition("/")[2].startswith("_") and name != "base.html"
)
EMAILS = sorted({name.removeprefix("emails/").rpartition(".")[0] for name in TEMPLATES if name.startswith("emails/")})


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The templates as `make package` compiles them into the zip."""
    target = tmp_path_factory.mktemp("compiled")
    rendering.compile_templates(target)
    return target


def render_both_ways(compiled: Path, name: str, language: Language) -> tuple[str, str]:
    context = CONTEXT | {"view": VIEWS.get(name, REVIEW), "call": CALL.in_language(language)}
    if name.endswith(".html") and name.startswith("emails/"):
        context["subject"] = "An email's subject"
    source = rendering.build_environment(language, FileSystemLoader(rendering.TEMPLATES_DIR))
    modules = rendering.build_environment(language, ModuleLoader(compiled))
    return source.get_template(name).render(**context), modules.get_template(name).render(**context)


def test_every_template_is_compiled(compiled: Path) -> None:
    every = FileSystemLoader(rendering.TEMPLATES_DIR).list_templates()
    assert {path.name for path in compiled.iterdir()} == {ModuleLoader.get_module_filename(name) for name in every}
    assert len(TEMPLATES) > 25 and len(EMAILS) > 12


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_page_and_email_renders_the_same_compiled(compiled: Path, name: str, language: Language) -> None:
    from_source, from_module = render_both_ways(compiled, name, language)
    assert from_source == from_module
    assert len(from_source) > 200


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_email_from_the_compiled_templates_is_the_same_email(
    compiled: Path, language: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through rendering.email(), as the queue's worker sends it: subject, text and HTML."""
    context = CONTEXT | {"view": REVIEW}
    from_source = {name: rendering.email(name, language=language, **context) for name in EMAILS}
    monkeypatch.setattr(rendering, "COMPILED_TEMPLATES_DIR", compiled)
    rendering.environment.cache_clear()
    rendering._loader.cache_clear()
    try:
        assert isinstance(rendering.environment(language).loader, ModuleLoader)
        from_modules = {name: rendering.email(name, language=language, **context) for name in EMAILS}
    finally:
        rendering.environment.cache_clear()
        rendering._loader.cache_clear()
    assert from_modules == from_source
    assert {email.subject for email in from_source.values()} == {email.subject for email in from_modules.values()}
    assert len({email.subject for email in from_source.values()}) == len(EMAILS)
