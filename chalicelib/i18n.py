"""Languages: which one a person reads, the gettext catalogues that translate pages, emails and messages,
and dates and times written as each language writes them.

The catalogues are kept as .po files in chalicelib/locale/ and compiled to .mo by `make translations`
(Babel, a development tool); at run time the standard library's gettext reads the .mo files, and the
standard library's zoneinfo (with the tzdata package) knows the time zones.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Literal, TypeGuard, TypeVar, cast, get_args
from zoneinfo import ZoneInfo

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


def translate(language: Language, message: str, **values: object) -> str:
    """A message of the catalogue in `language`, its %(name)s filled in with `values` if there are any."""
    text = translations(language).gettext(message)
    return fill(text, values, language) if values else text


Text = TypeVar("Text", bound=str)
# Where a language drops a word's last vowel before a vowel: French "de" + "OW2con'24" is "d'OW2con'24".
ELISIONS: dict[Language, re.Pattern[str]] = {"fr": re.compile(r"\b([Dd]e|[Qq]ue|[Ll][ea]) ((?:<[^>]*>)*)%\((\w+)\)s")}
_LEADING_TAGS = re.compile(r"^(?:<[^>]*>|[\s\u00a0])+")


def fill(message: Text, values: Mapping[str, object], language: Language) -> Text:
    """A translated message with its %(name)s filled in, eliding where the language does before a value
    that starts with a vowel. The message keeps its type: a Markup template escapes what fills it."""
    pattern = ELISIONS.get(language)
    if pattern is not None:
        elided = pattern.sub(lambda m: _elide(m, values), message)
        message = type(message)(elided) if elided != message else message
    return cast(Text, message % values)


def _elide(match: re.Match[str], values: Mapping[str, object]) -> str:
    word, tags, name = match.group(1), match.group(2), match.group(3)
    value = _LEADING_TAGS.sub("", str(values.get(name, "")))
    first = unicodedata.normalize("NFD", value[:1])[:1].lower()
    return f"{word[:-1]}'{tags}%({name})s" if first in ("a", "e", "i", "o", "u") else match.group(0)


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
    """'Tuesday 11 June 2024', 'mardi 11 juin 2024', 'samedi 1er juin 2024': without Babel or the system's
    locales at run time."""
    words = translations(language)
    return words.gettext("%(weekday)s %(day)s %(month)s %(year)s") % {
        "weekday": words.gettext(WEEKDAYS[day.weekday()]),
        "day": words.pgettext("the first day of a month", "1") if day.day == 1 else day.day,
        "month": words.gettext(MONTHS[day.month - 1]),
        "year": day.year,
    }


def clock(at: time | datetime, language: Language) -> str:
    """'18:00', '18 h 00'."""
    return translations(language).gettext("%(hour)02d:%(minute)02d") % {"hour": at.hour, "minute": at.minute}


def zone_label(zone: str, language: Language) -> str:
    """'Paris time', 'heure de Paris': the city of the tz database's name; a zone without one, such as UTC, as is."""
    if "/" not in zone:
        return zone
    city = zone.rpartition("/")[2].replace("_", " ")
    return translate(language, N_("%(city)s time"), city=city)


def minutes(count: int, language: Language) -> str:
    """'1 minute', '5 minutes'."""
    return translations(language).ngettext("%(num)s minute", "%(num)s minutes", count) % {"num": count}


def as_datetime(at: datetime | str) -> datetime:
    """A stored moment (an ISO 8601 string, as history entries keep them) as an aware datetime; UTC if naive."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def moment(at: datetime | str, zone: str, language: Language) -> str:
    """A moment as people read it, in the call's time zone: 'Thursday 30 May 2024, 18:00 (Paris time)',
    'jeudi 30 mai 2024, 18 h 00 (heure de Paris)'. Pages, emails and deadlines all write time with it."""
    local = as_datetime(at).astimezone(ZoneInfo(zone))
    return translate(
        language,
        N_("%(date)s, %(time)s (%(zone)s)"),
        date=long_date(local.date(), language),
        time=clock(local, language),
        zone=zone_label(zone, language),
    )


def time_span(day: date, starts: time, ends: time, zone: str, language: Language) -> str:
    """A session's slot: 'Tuesday 11 June 2024, 16:40–17:40 (Paris time)',
    'mardi 11 juin 2024, de 16 h 40 à 17 h 40 (heure de Paris)'."""
    return translate(
        language,
        N_("%(date)s, %(starts)s–%(ends)s (%(zone)s)"),
        date=long_date(day, language),
        starts=clock(starts, language),
        ends=clock(ends, language),
        zone=zone_label(zone, language),
    )


def html_datetime(at: datetime | str, zone: str | None = None) -> str:
    """The value of a <time datetime>: a valid HTML global date and time, to the second, with its offset
    ('2024-05-30T18:00:00+02:00'); HTML allows at most three digits of a fraction, Python writes six."""
    local = as_datetime(at)
    return (local.astimezone(ZoneInfo(zone)) if zone else local).isoformat(timespec="seconds")
