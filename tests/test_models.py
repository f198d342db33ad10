"""The application form's rules, on their own."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from chalicelib.applications import InvalidApplication, read_form
from chalicelib.call import load_call
from chalicelib.models import LINE_AND_DIRECTION_MARKS, field_errors
from tests.support import STORY

CALL = load_call("ow2con24-ospo-heroes.toml")


def errors_for(**changes: object) -> dict[str, str]:
    with pytest.raises(InvalidApplication) as caught:
        read_form(STORY | changes, CALL)
    return caught.value.errors


def test_a_good_form_reads_cleanly() -> None:
    form = read_form(STORY | {"organisation": "  ", "name": "  Ada Lovelace "}, CALL)
    assert form.name == "Ada Lovelace"
    assert form.organisation is None
    assert form.consent is True


def test_the_same_story_from_the_same_person_has_the_same_id() -> None:
    first = read_form(STORY, CALL).application_id(CALL.id)
    assert read_form(STORY | {"email": "ADA@EXAMPLE.ORG"}, CALL).application_id(CALL.id) == first
    assert read_form(STORY | {"title": "Another story"}, CALL).application_id(CALL.id) != first
    assert read_form(STORY, CALL).application_id("another-call") != first


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ada@", "must be an email address"),
        ("email", "Ada <ada@example.org>", "must be an email address"),
        ("name", "", "Your name is required."),
        ("name", "Ada\nBcc: x@example.org", "one line of text"),
        ("title", "Hi", "at least 3 characters"),
        ("summary", "Too short.", "at least 40 characters"),
        ("summary", "a" * 601, "keep it to 600"),
        ("kind", "great", "one of: good, bad, ugly"),
        ("consent", "", "must be ticked"),
    ],
)
def test_each_mistake_names_its_field(field: str, value: str, message: str) -> None:
    errors = errors_for(**{field: value})
    assert list(errors) == [field]
    assert message in errors[field]


def test_a_missing_field_is_named() -> None:
    form = dict(STORY)
    del form["title"]
    with pytest.raises(InvalidApplication) as caught:
        read_form(form, CALL)
    assert caught.value.errors == {"title": "Story title is required."}


class Code(BaseModel):
    code: str = Field(max_length=1)
    word: str = Field(min_length=2)


def test_a_length_is_told_in_the_singular_or_the_plural_as_its_number_asks() -> None:
    with pytest.raises(ValidationError) as caught:
        Code.model_validate({"code": "AB", "word": "a"})
    assert field_errors(caught.value) == {
        "code": "code must be at most 1 character.",
        "word": "word must be at least 2 characters.",
    }
    with pytest.raises(ValidationError) as caught:
        Code.model_validate({"code": "AB", "word": "a"})
    french = field_errors(caught.value, "fr")
    assert french["code"] == "Le champ «\u00a0code\u00a0» doit contenir au plus 1 caractère."
    assert french["word"] == "Le champ «\u00a0word\u00a0» doit contenir au moins 2 caractères."


@pytest.mark.parametrize("mark", sorted(LINE_AND_DIRECTION_MARKS))
@pytest.mark.parametrize("field", ["name", "title", "organisation"])
def test_single_line_fields_refuse_invisible_line_breaks_and_direction_marks(field: str, mark: str) -> None:
    """U+2028 could start a line of the organisers' plain-text email; U+202E makes a name read backwards."""
    errors = errors_for(**{field: f"Ada {mark}Lovelace"})
    assert list(errors) == [field]
    label = {"name": "Your name", "title": "Story title", "organisation": "Organisation"}[field]
    assert errors[field] == (
        f"{label} contains invisible characters that break the line or change the direction of the text "
        f"(U+{ord(mark):04X}). Remove them: type the text again, or paste it as plain text."
    )


def test_invisible_marks_are_named_in_french_too() -> None:
    with pytest.raises(InvalidApplication) as caught:
        read_form(STORY | {"organisation": "ACME\u2028Approve\u202e"}, CALL, "fr")
    assert "U+2028, U+202E" in caught.value.errors["organisation"]
    assert caught.value.errors["organisation"].startswith("Organisation contient des caractères invisibles")


def test_the_summary_keeps_its_line_breaks() -> None:
    """Several lines are the summary's nature: the plain-text email quotes each one, U+2028 included."""
    assert "\u2028" in read_form(STORY | {"summary": STORY["summary"] + "\u2028Second line."}, CALL).summary
