"""Dates and times as people read them: absolute, in the call's time zone, written as each language writes
them; and as HTML's <time datetime> takes them. No AWS needed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest

from chalicelib.call import load_call
from chalicelib.i18n import fill, html_datetime, long_date, moment, time_span, zone_label
from chalicelib.rendering import environment

# What a workflow step writes: Python's isoformat, with microseconds.
STORED = "2024-05-30T16:00:12.345678+00:00"
# A valid HTML global date and time string: at most three digits of a fraction (here none), and an offset.
HTML_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)$")


def test_a_moment_is_written_in_the_call_s_time_zone_and_the_reader_s_language() -> None:
    assert moment(STORED, "Europe/Paris", "en") == "Thursday 30 May 2024, 18:00 (Paris time)"
    assert moment(STORED, "Europe/Paris", "fr") == "jeudi 30 mai 2024, 18\u00a0h\u00a000 (heure de Paris)"
    # The same moment elsewhere, with the zone's own rules (and its winter offset in January).
    assert moment(STORED, "America/New_York", "en") == "Thursday 30 May 2024, 12:00 (New York time)"
    assert (
        moment("2025-01-15T08:05:00Z", "Europe/Paris", "fr")
        == "mercredi 15 janvier 2025, 9\u00a0h\u00a005 (heure de Paris)"
    )
    assert moment(datetime(2024, 6, 1, 7, 30, tzinfo=UTC), "UTC", "en") == "Saturday 1 June 2024, 07:30 (UTC)"
    # A stored moment without an offset is UTC, as the app writes them.
    assert moment("2024-05-30T16:00:00", "Europe/Paris", "en") == "Thursday 30 May 2024, 18:00 (Paris time)"


def test_french_writes_the_first_of_the_month_1er_and_elides_before_a_vowel() -> None:
    assert long_date(date(2024, 6, 1), "fr") == "samedi 1er juin 2024"
    assert long_date(date(2024, 6, 1), "en") == "Saturday 1 June 2024"
    assert zone_label("America/Argentina/Buenos_Aires", "fr") == "heure de Buenos Aires"
    assert zone_label("Europe/Amsterdam", "fr") == "heure d'Amsterdam"
    assert fill("L'équipe de %(conference)s", {"conference": "OW2con'24"}, "fr") == "L'équipe d'OW2con'24"
    assert fill("L'équipe de %(conference)s", {"conference": "FOSDEM"}, "fr") == "L'équipe de FOSDEM"
    assert fill("Une candidature de <b>%(name)s</b>", {"name": "Émile"}, "fr") == "Une candidature d'<b>Émile</b>"
    assert fill("from %(name)s", {"name": "Ada"}, "en") == "from Ada"  # English elides nothing


def test_the_session_s_slot_names_its_time_zone() -> None:
    paris = (date(2024, 6, 11), time(16, 40), time(17, 40), "Europe/Paris")
    assert time_span(*paris, "en") == "Tuesday 11 June 2024, 16:40–17:40 (Paris time)"
    assert time_span(*paris, "fr") == "mardi 11 juin 2024, de 16\u00a0h\u00a040 à 17\u00a0h\u00a040 (heure de Paris)"
    call = load_call("ow2con24-ospo-heroes.toml")
    assert call.when == time_span(*paris, "en")
    assert call.in_language("fr").when == time_span(*paris, "fr")


@pytest.mark.parametrize("at", [STORED, "2024-05-30T16:00:12.1Z", datetime(2024, 5, 30, 16, 0, 12, 999999, UTC)])
def test_a_time_element_s_datetime_is_valid_html(at: str | datetime) -> None:
    value = html_datetime(at, "Europe/Paris")
    assert HTML_DATETIME.match(value), value
    assert value == "2024-05-30T18:00:12+02:00"


def test_pages_and_emails_write_a_moment_for_people_and_for_machines_in_one_time_element() -> None:
    template = environment("fr").from_string('{% from "_words.html" import moment %}{{ moment(at, "Europe/Paris") }}')
    assert template.render(at=STORED) == (
        '<time datetime="2024-05-30T18:00:12+02:00">jeudi 30 mai 2024, 18\u00a0h\u00a000 (heure de Paris)</time>'
    )
