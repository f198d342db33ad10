"""What every page and email says, read as a careful reader would: no lost space, no "heroes!.", plurals that
agree with their number, French quotes and elision, one introduction for the organisers' notes, and an
acknowledgement whose text part holds the story its HTML part shows. No AWS needed."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest

from chalicelib import rendering
from chalicelib.call import load_call
from chalicelib.fields import FIELD_LABELS
from chalicelib.i18n import LANGUAGES, Language
from tests.gallery import CALL, EMAIL_CONTEXT, Rendered, application, everything
from tests.support import OPEN_UNTIL, STORY

RENDERED = everything()
BLOCKS = r"p|h[1-6]|li|ul|ol|dl|dt|dd|div|td|th|tr|table|br|section|header|footer|main|nav|form|caption|label"
# A sentence's end glued to the next one ("by Ada.The decision"), outside links and addresses.
LOST_SPACE = re.compile(r"[a-z][.!?][A-Z]")
# Punctuation after a title that ends a sentence already ("heroes!.", "héros ! »,").
DOUBLE_STOP = re.compile(r"[!?][\s\u00a0\u202f”»]*[.,;:]")


def visible(markup: str) -> str:
    """What a reader sees of a page or an HTML email: its text, with a line break for each block."""
    markup = re.sub(r"<(head|script|style)\b.*?</\1>", "", markup, flags=re.S)
    markup = re.sub(rf"</?({BLOCKS})\b[^>]*>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def texts(item: Rendered) -> dict[str, str]:
    parts = {"page" if not item.subject else "HTML part": visible(item.html)}
    if item.subject:
        parts |= {"subject": item.subject, "text part": item.text}
    return {part: re.sub(r"https?://\S+|\S+@\S+", "LINK", text) for part, text in parts.items()}


@pytest.mark.parametrize("item", RENDERED, ids=[item.name for item in RENDERED])
def test_no_sentence_runs_into_the_next_and_no_title_is_followed_by_a_second_stop(item: Rendered) -> None:
    for part, text in texts(item).items():
        for pattern in (LOST_SPACE, DOUBLE_STOP):
            found = [text[max(0, m.start() - 30) : m.end() + 10] for m in pattern.finditer(text)]
            assert found == [], f"{item.name}, {part}: {found}"


def test_a_vote_and_what_it_means_are_two_sentences() -> None:
    voted = visible(next(item.html for item in RENDERED if item.name == "voted-waits.en"))
    assert "by Ada Lovelace. The decision waits for more votes." in voted


def test_counts_agree_with_their_number() -> None:
    """One slot, one approval, one hour: singular; the source's "all 2 guest slots" is gone too."""
    one = load_call("ow2con24-ospo-heroes.toml", json.dumps({"deadline": OPEN_UNTIL, "guest_slots": 1}))
    one = replace(one, approvals_needed=1, rejections_needed=1, confirmation_window_hours=1)
    context = EMAIL_CONTEXT | {"application": application(), "call": one}
    words = {name: rendering.email(name, **context) for name in ("waitlist", "acceptance", "review_request")}
    assert "the session's only guest slot is taken for now" in words["waitlist"].text
    assert "You have the guest slot of" in words["acceptance"].text
    # The deadline is a moment, not a count of hours: "by Sunday 2 June 2024, 18:00 (Paris time)".
    assert "Please confirm by Sunday 2 June 2024, 18:00 (Paris time) that you will be there" in words["acceptance"].text
    assert "1 approval accepts it; 1 rejection declines it." in words["review_request"].text
    two = rendering.email("waitlist", **context | {"call": replace(one, guest_slots=2)})
    assert "the session's 2 guest slots are all taken for now" in two.text
    form = visible(
        rendering.page("form.html", root="./", call=one, values={}, errors={}, labels=FIELD_LABELS, is_open=True)
    )
    assert "1 guest slot." in form
    for item in RENDERED:
        for part, text in texts(item).items():
            assert not re.search(r"\b1 (?:\w+ )?\w+s\b(?! (?:room|time))", text), (item.name, part)
            assert "all 2" not in text


def test_french_quotes_titles_with_guillemets_and_elides_before_a_vowel() -> None:
    status = next(item.html for item in RENDERED if item.name == "status-in_review.fr")
    assert "<h2>«\u00a0Our OSPO ate the legal team\u00a0»</h2>" in status
    assert "“" not in visible(status)
    for item in RENDERED:
        if item.language == "fr":
            for part, text in texts(item).items():
                assert not re.search(r"\bde [AEIOUaeiouÉé]", text), (item.name, part, text)
    signature = next(item.text for item in RENDERED if item.name == "email-acknowledge.fr")
    assert "L'équipe organisatrice d'OW2con'24" in signature


def test_two_decline_notes_have_one_introduction() -> None:
    introductions: tuple[tuple[Language, str], ...] = (
        ("en", "Notes from the organisers:"),
        ("fr", "Quelques mots des organisateurs"),
    )
    for language, introduction in introductions:
        decline = next(item for item in RENDERED if item.name == f"email-decline.{language}")
        for text in (decline.text, visible(decline.html)):
            assert text.count(introduction) == 1
            assert "Great story, but we have three like it." in text
            assert "Please bring it to the OSPO meetup!" in text
        single = rendering.email(
            "decline", language=language, **EMAIL_CONTEXT | {"application": application(), "call": CALL, "notes": ["x"]}
        )
        assert ("A note from the organisers:" if language == "en" else "Un mot des organisateurs") in single.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_acknowledgement_s_text_part_holds_the_story_its_html_part_shows(language: str) -> None:
    acknowledgement = next(item for item in RENDERED if item.name == f"email-acknowledge.{language}")
    assert STORY["summary"] in visible(acknowledgement.html)
    assert "> " + STORY["summary"] in acknowledgement.text  # quoted: it cannot pass for the email's own words


def test_every_page_has_a_description_and_only_the_emailed_pages_ask_not_to_be_indexed() -> None:
    emailed = (
        "status",
        "confirm",
        "withdrawn",
        "deleted",
        "review",
        "voted",
        "attendance",
        "answered",
        "overview",
        "organiser",
        "verify",
        "verified",
    )
    for item in RENDERED:
        if item.subject:
            continue
        head = item.html.split("</head>")[0]
        assert re.search(r'<meta name="description" content="[^"]{40,}">', head), item.name
        private = item.name.split(".")[0].split("-")[0] in emailed
        assert ('<meta name="robots" content="noindex">' in head) == private, item.name
    error = next(item.html for item in RENDERED if item.name == "error.en")
    assert '<meta name="description" content="A call for guest speakers: send your story' in error
