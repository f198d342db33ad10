"""The French catalogue is typeset as French is: a no-break space (U+00A0) before ":" and inside « »; a narrow
no-break space (U+202F) before ";", "?" and "!"; never a plain space there, and no no-break space anywhere
else but in the units that take one (n° 2, 16 h 40). Fast: it reads chalicelib/locale/fr/LC_MESSAGES/messages.po.

A translator types them with the compose key, or copies them from an entry of the catalogue that has them."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pytest
from babel.messages.pofile import read_po

from tests.support import PROJECT

CATALOGUE = PROJECT / "chalicelib" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
NBSP, NNBSP = "\u00a0", "\u202f"
# The space each mark takes before it, and « after it. Inside « » the whole catalogue (and the pages' tests)
# sets U+00A0, as the Imprimerie nationale does; the narrower U+202F, which some prefer there, is refused,
# so that the catalogue stays one way.
BEFORE = {":": NBSP, ";": NNBSP, "?": NNBSP, "!": NNBSP, "»": NBSP}
AFTER = {"«": NBSP}
# Where these marks are not French punctuation: markup (href="mailto:…", style="color:#…;"), HTML entities,
# format placeholders, addresses, times written 16:40, and an HTTP header quoted as it is sent.
NOT_PROSE = re.compile(
    r"<[^>]*>"
    r"|&#?\w+;"
    r"|%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-z]"
    r"|\b(?:https?|mailto):[^\s<>\"]*"
    r"|\d:\d\d"
    r"|\b[A-Z][a-z]*(?:-[A-Z][a-z]*)+: [\w/+.-]+"
)
# The units that take a no-break space of their own: "n° 2", and a time, "16 h 40".
UNITS = re.compile(f"n°{NBSP}|{NBSP}h{NBSP}")


def name(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, 'line break').lower()}" if character else "nothing"


def mistakes(text: str) -> list[str]:
    """What is wrong with the spacing of one translation: each mistake, with the words around it."""
    prose = UNITS.sub("_", NOT_PROSE.sub(lambda match: "" if match.group().startswith("<") else "x", text))
    found = []
    for at, character in enumerate(prose):
        before, after = prose[at - 1] if at else "", prose[at + 1] if at + 1 < len(prose) else ""
        around = prose[max(0, at - 12) : at + 12]
        if character in BEFORE and before != BEFORE[character] and before not in "?!":
            found.append(f"{character!r} after {name(before)}, not {name(BEFORE[character])}: {around!r}")
        if character in AFTER and after != AFTER[character]:
            found.append(f"{character!r} before {name(after)}, not {name(AFTER[character])}: {around!r}")
        if character in (NBSP, NNBSP) and BEFORE.get(after) != character and AFTER.get(before) != character:
            found.append(f"{name(character)} where none belongs: {around!r}")
    return found


@cache
def translations() -> list[tuple[str, str]]:
    """(msgid, msgstr) of every translated entry, each plural form apart."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    pairs: list[tuple[str, str]] = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        pairs += [(ids[0], string) for string in strings if string]
    return pairs


def test_every_translation_is_spaced_as_french_is() -> None:
    wrong = [f"{msgid[:50]!r}: {mistake}" for msgid, msgstr in translations() for mistake in mistakes(msgstr)]
    assert not wrong, "French spacing in messages.po:\n" + "\n".join(wrong)


def test_the_catalogue_has_the_marks_this_test_reads() -> None:
    """Proof that the test above read something: the catalogue has each mark, spaced."""
    text = "\n".join(msgstr for _, msgstr in translations())
    for mark, space in BEFORE.items():
        assert f"{space}{mark}" in text, mark
    assert f"«{NBSP}" in text


@pytest.mark.parametrize(
    ("translation", "wrong"),
    [
        ("Votre candidature : reçue", "':' after U+0020 space, not U+00A0 no-break space"),
        ("Merci !", "'!' after U+0020 space, not U+202F narrow no-break space"),
        (f"Merci{NBSP}!", "'!' after U+00A0 no-break space, not U+202F narrow no-break space"),
        ("Vraiment?", "'?' after U+0074 latin small letter t, not U+202F narrow no-break space"),
        (f"Oui{NNBSP}; non", None),
        (f"«{NBSP}Titre »", "'»' after U+0020 space, not U+00A0 no-break space"),
        (f"« Titre{NBSP}»", "'«' before U+0020 space, not U+00A0 no-break space"),
        (f"«{NNBSP}Titre{NNBSP}»", "'«' before U+202F narrow no-break space, not U+00A0 no-break space"),
        (f"deux{NBSP}mots", "U+00A0 no-break space where none belongs"),
        (f"Quoi{NNBSP}?!", None),
        (f'«{NBSP}%(title)s{NBSP}»{NBSP}: <a href="mailto:%(to)s" style="color:#0b5cad;">%(to)s</a>', None),
        ("à 16:40, https://cfp.example/a?b=c, Content-Type: application/json", None),
        (f"de %(hour)d{NBSP}h{NBSP}%(minute)02d, n°{NBSP}%(place)s", None),
    ],
)
def test_the_check_finds_a_plain_space_where_french_sets_a_no_break_one_and_nothing_in_code(
    translation: str, wrong: str | None
) -> None:
    found = mistakes(translation)
    if wrong is None:
        assert found == []
    else:
        assert any(mistake.startswith(wrong) for mistake in found), found
