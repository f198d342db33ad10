"""Signed links: each says what it may do, expires, and is useless when changed. No AWS needed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from chalicelib.links import LinkExpired, LinkInvalid, LinkLifetimes, Links
from chalicelib.models import Outcome

WEEK = LinkLifetimes(review=timedelta(days=8), attendance=timedelta(days=8), overview=timedelta(days=365))
LINKS = Links("a-secret", "https://cfp.example", WEEK)


def token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_review_link_says_which_application_organiser_and_decision() -> None:
    url = LINKS.review_url("app1", 1, Outcome.REJECT)
    assert url.startswith("https://cfp.example/review/")
    claim = LINKS.read_review(token(url))
    assert (claim.application_id, claim.organiser_index, claim.outcome) == ("app1", 1, Outcome.REJECT)


def test_attendance_status_and_overview_links_round_trip() -> None:
    attendance = LINKS.read_attendance(token(LINKS.attendance_url("app1", "no")))
    assert (attendance.application_id, attendance.answer) == ("app1", "no")
    assert LINKS.read_status(token(LINKS.status_url("app1"))) == "app1"
    assert LINKS.read_overview(token(LINKS.overview_url(2))).organiser_index == 2


def test_a_changed_link_is_refused() -> None:
    good = token(LINKS.review_url("app1", 0, Outcome.APPROVE))
    payload, stamp, signature = good.split(".")
    forged = token(LINKS.review_url("app2", 0, Outcome.APPROVE)).split(".")[0]
    for bad in (f"{forged}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-2]}xx", "nonsense", ""):
        with pytest.raises(LinkInvalid):
            LINKS.read_review(bad)


def test_a_link_signed_with_another_secret_is_refused() -> None:
    other = Links("another-secret", "https://cfp.example", WEEK)
    with pytest.raises(LinkInvalid):
        LINKS.read_review(token(other.review_url("app1", 0, Outcome.APPROVE)))


def test_one_kind_of_link_cannot_be_used_as_another() -> None:
    status = token(LINKS.status_url("app1"))
    review = token(LINKS.review_url("app1", 0, Outcome.APPROVE))
    with pytest.raises(LinkInvalid):
        LINKS.read_review(status)
    with pytest.raises(LinkInvalid):
        LINKS.read_status(review)
    with pytest.raises(LinkInvalid):
        LINKS.read_attendance(review)
    with pytest.raises(LinkInvalid):
        LINKS.read_overview(status)


def test_old_links_have_expired_status_links_too() -> None:
    zero = timedelta(0)
    short = Links("a-secret", "https://cfp.example", LinkLifetimes(zero, zero, zero, status=zero))
    review = short.review_url("app1", 0, Outcome.APPROVE)
    attendance = short.attendance_url("app1", "yes")
    status = short.status_url("app1")
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    with pytest.raises(LinkExpired):
        short.read_review(token(review))
    with pytest.raises(LinkExpired):
        short.read_attendance(token(attendance))
    # A status link withdraws and deletes: it too ends, with the call's retention of personal data.
    with pytest.raises(LinkExpired):
        short.read_status(token(status))
