"""Review and status links: signed, expiring, and useless when changed. No AWS needed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from chalicelib.links import LinkExpired, LinkInvalid, Links
from chalicelib.models import Outcome

LINKS = Links("a-secret", "https://cfp.example", timedelta(days=8))


def token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_review_link_says_which_application_organiser_and_decision() -> None:
    url = LINKS.review_url("app1", 1, Outcome.REJECT)
    assert url.startswith("https://cfp.example/review/")
    claim = LINKS.read_review(token(url))
    assert (claim.application_id, claim.organiser_index, claim.outcome) == ("app1", 1, Outcome.REJECT)


def test_a_changed_link_is_refused() -> None:
    good = token(LINKS.review_url("app1", 0, Outcome.APPROVE))
    payload, stamp, signature = good.split(".")
    forged = token(LINKS.review_url("app2", 0, Outcome.APPROVE)).split(".")[0]
    for bad in (f"{forged}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-2]}xx", "nonsense", ""):
        with pytest.raises(LinkInvalid):
            LINKS.read_review(bad)


def test_a_link_signed_with_another_secret_is_refused() -> None:
    other = Links("another-secret", "https://cfp.example", timedelta(days=8))
    with pytest.raises(LinkInvalid):
        LINKS.read_review(token(other.review_url("app1", 0, Outcome.APPROVE)))


def test_a_status_link_is_not_a_review_link() -> None:
    with pytest.raises(LinkInvalid):
        LINKS.read_review(token(LINKS.status_url("app1")))
    with pytest.raises(LinkInvalid):
        LINKS.read_status(token(LINKS.review_url("app1", 0, Outcome.APPROVE)))


def test_an_old_review_link_has_expired() -> None:
    short = Links("a-secret", "https://cfp.example", timedelta(seconds=0))
    url = short.review_url("app1", 0, Outcome.APPROVE)
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    with pytest.raises(LinkExpired):
        short.read_review(token(url))
