"""Languages: which one a person reads, and the gettext catalogues that translate pages, emails and messages.

The catalogues are kept as .po files in chalicelib/locale/ and compiled to .mo by `make translations`
(Babel, a development tool); at run time the standard library's gettext reads the .mo files.
"""

from __future__ import annotations

import gettext
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, TypeGuard, get_args

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
# The language the source text is written in: it needs no catalogue.
SOURCE_LANGUAGE: Language = "en"
# Each language's name, written in that language, for the switch on every page.
NAMES: dict[Language, str] = {"en": "English", "fr": "Français"}

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


class MissingCatalogue(RuntimeError):
    """A language's compiled catalogue is not there: the build did not run `make translations`."""


def is_language(value: object) -> TypeGuard[Language]:
    return value in LANGUAGES


def N_(message: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


def catalogue(language: Language) -> Path:
    """The compiled catalogue of a language."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def translations(language: Language) -> gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = catalogue(language)
    if not path.exists():
        raise MissingCatalogue(f"{path} is missing: `make translations` compiles it from its .po file")
    with path.open("rb") as compiled:
        return gettext.GNUTranslations(compiled)


def translate(language: Language, message: str) -> str:
    return translations(language).gettext(message)


def from_accept_language(header: str) -> Language | None:
    """The language the browser prefers most among ours, from an Accept-Language header."""
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if is_language(primary) and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def long_date(day: date, language: Language) -> str:
    """'Tuesday 11 June 2024', 'mardi 11 juin 2024': without Babel or the system's locales at run time."""
    words = translations(language)
    return words.gettext("%(weekday)s %(day)s %(month)s %(year)s") % {
        "weekday": words.gettext(WEEKDAYS[day.weekday()]),
        "day": day.day,
        "month": words.gettext(MONTHS[day.month - 1]),
        "year": day.year,
    }
