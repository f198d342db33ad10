"""Signed links: each says what it may do and of which call, expires, and is useless when changed. No AWS needed."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import itsdangerous
import pytest

from chalicelib.links import ApplicantClaim, LinkExpired, LinkInvalid, LinkLifetimes, Links
from chalicelib.vocabulary import AttendanceAnswer, Outcome
from tests.support import token_of

WEEK = LinkLifetimes(review=timedelta(days=8), attendance=timedelta(days=8), overview=timedelta(days=365))
LINKS = Links("a-secret", "https://cfp.example", WEEK)


def payload(url: str) -> dict[str, object]:
    """What anyone who sees a link can read in it: its payload is signed, not hidden."""
    encoded = token_of(url).split(".")[0]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return decoded


def test_a_review_link_says_which_call_application_organiser_and_decision() -> None:
    url = LINKS.review_links("call1", "app1", 1).reject_url
    assert url.startswith("https://cfp.example/call1/review/")
    claim = LINKS.read_review(token_of(url))
    assert (claim.call_id, claim.application_id, claim.organiser_index, claim.outcome) == (
        "call1",
        "app1",
        1,
        Outcome.REJECT,
    )


def test_attendance_status_and_overview_links_round_trip() -> None:
    attendance = LINKS.read_attendance(token_of(LINKS.attendance_url("call1", "app1", AttendanceAnswer.NO)))
    assert (attendance.call_id, attendance.application_id, attendance.answer) == ("call1", "app1", "no")
    assert LINKS.read_status(token_of(LINKS.status_url("call1", "app1"))) == ApplicantClaim("app1", "call1")
    overview = LINKS.overview_url("Programme@ow2con.example")
    assert overview.startswith("https://cfp.example/overview/")
    assert LINKS.read_overview(token_of(overview)).organiser == LINKS.organiser_key("programme@ow2con.example")


def test_an_overview_link_does_not_show_whose_it_is() -> None:
    """The overview link names its organiser by a keyed hash: the address cannot be read from it, nor the hash
    made again without the secret."""
    url = LINKS.overview_url("programme@ow2con.example")
    assert "programme" not in json.dumps(payload(url)) and "ow2con" not in json.dumps(payload(url))
    other = Links("another-secret", "https://cfp.example", WEEK)
    assert other.organiser_key("programme@ow2con.example") != LINKS.organiser_key("programme@ow2con.example")


def test_links_signed_by_the_one_call_versions_still_read() -> None:
    """Before calls had ids, links named no call ("c"), and the overview link its organiser's place: they still
    read, and belong to the call of their application (chalicelib.links.belonging) or to the default call."""
    old = {
        kind: itsdangerous.URLSafeTimedSerializer("a-secret", salt=f"cfp.{kind}-link")
        for kind in ("review", "status", "overview", "attendance")
    }
    review = LINKS.read_review(old["review"].dumps({"a": "app1", "o": 1, "d": "approve"}))
    assert (review.call_id, review.application_id, review.organiser_index) == (None, "app1", 1)
    assert LINKS.read_status(old["status"].dumps({"a": "app1"})) == ApplicantClaim("app1", None)
    assert LINKS.read_attendance(old["attendance"].dumps({"a": "app1", "d": "yes"})).call_id is None
    overview = LINKS.read_overview(old["overview"].dumps({"o": 2}))
    assert (overview.organiser, overview.organiser_index) == (None, 2)


def test_each_call_s_links_last_as_long_as_its_own_windows() -> None:
    short = LinkLifetimes(timedelta(0), timedelta(0), timedelta(0))
    links = Links("a-secret", "https://cfp.example", lambda call_id: short if call_id == "brief" else WEEK)
    brief, long = links.review_links("brief", "a", 0).approve_url, links.review_links("long", "a", 0).approve_url
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    with pytest.raises(LinkExpired):
        links.read_review(token_of(brief))
    assert links.read_review(token_of(long)).call_id == "long"


def test_a_changed_link_is_refused() -> None:
    good = token_of(LINKS.review_links("call1", "app1", 0).approve_url)
    signed, stamp, signature = good.split(".")
    forged = token_of(LINKS.review_links("call1", "app2", 0).approve_url).split(".")[0]
    other_call = token_of(LINKS.review_links("call2", "app1", 0).approve_url).split(".")[0]
    flipped = "B" if signature[0] == "A" else "A"
    for bad in (
        f"{forged}.{stamp}.{signature}",
        f"{other_call}.{stamp}.{signature}",
        # Its first character changed: the last one carries padding bits, and "xx" in place of the last two
        # read back as the same signature in about one link of 800.
        f"{signed}.{stamp}.{flipped}{signature[1:]}",
        "nonsense",
        "",
    ):
        with pytest.raises(LinkInvalid):
            LINKS.read_review(bad)


def test_a_link_signed_with_another_secret_is_refused() -> None:
    other = Links("another-secret", "https://cfp.example", WEEK)
    with pytest.raises(LinkInvalid):
        LINKS.read_review(token_of(other.review_links("call1", "app1", 0).approve_url))


def test_one_kind_of_link_cannot_be_used_as_another() -> None:
    status = token_of(LINKS.status_url("call1", "app1"))
    review = token_of(LINKS.review_links("call1", "app1", 0).approve_url)
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
    review = short.review_links("call1", "app1", 0).approve_url
    attendance = short.attendance_url("call1", "app1", AttendanceAnswer.YES)
    status = short.status_url("call1", "app1")
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    with pytest.raises(LinkExpired):
        short.read_review(token_of(review))
    with pytest.raises(LinkExpired):
        short.read_attendance(token_of(attendance))
    # A status link withdraws and deletes: it too ends, with the call's retention of personal data.
    with pytest.raises(LinkExpired):
        short.read_status(token_of(status))
