"""Bad input, thrown at the form and the JSON API: never a 5xx, nothing stored, every 4xx names the field."""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import aws
from chalicelib.mailer import EmailRejected, Mailer
from chalicelib.rendering import Email
from tests.support import APPLICATIONS, STORY, CfP

FIELDS = ["name", "email", "organisation", "kind", "title", "summary", "consent"]
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Lifts the hourly limits: these tests send hundreds of requests from one address.
UNLIMITED = {"submissions_per_address_per_hour": 1_000_000, "submissions_per_email_per_hour": 1_000_000}

nasty_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(["", " ", "\r\n", "Ada\r\nBcc: all@example.org", "a@b.c\r\nX-Injected: 1", "\x00", "\u202e"]),
    st.text(alphabet=string.printable, min_size=5_000, max_size=40_000),  # huge: some go over 32 KiB
)
json_values = st.one_of(
    nasty_text,
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
json_bodies = st.dictionaries(st.sampled_from([*FIELDS, "extra", "website", "__proto__"]), json_values, max_size=9)
form_bodies = st.dictionaries(st.sampled_from([*FIELDS, "extra", "website"]), nasty_text, max_size=9)


def check(cfp: CfP, response: Any, stored_before: int) -> None:
    """What must hold for any request: no 5xx; a 4xx says what is wrong and stores nothing."""
    assert response.status_code < 500, response.body[:500]
    if response.status_code >= 400:
        assert cfp.count_applications() == stored_before
        if response.status_code == 422:
            errors = (
                json.loads(response.body)["errors"] if response.headers["Content-Type"] == "application/json" else None
            )
            if errors is not None:
                assert errors and set(errors) <= {*FIELDS, "extra", "__proto__", "body"}
                assert all(isinstance(m, str) and m for m in errors.values())
            else:
                assert 'class="error"' in response.body.decode()
        else:
            assert response.status_code in {400, 413, 415}, response.status_code


@pytest.fixture
def api(cfp: CfP) -> CfP:
    """The app with the hourly limits lifted, configured once per test (not per example)."""
    return cfp.configure(**UNLIMITED)


@given(body=json_bodies)
def test_any_json_body(api: CfP, body: dict[str, Any]) -> None:
    cfp = api
    before = cfp.count_applications()
    response = cfp.client.http.post(APPLICATIONS, headers=JSON, body=json.dumps(body).encode())
    check(cfp, response, before)


@given(body=form_bodies)
def test_any_form_post(api: CfP, body: dict[str, str]) -> None:
    cfp = api
    before = cfp.count_applications()
    response = cfp.client.http.post(APPLICATIONS, headers=FORM, body=urlencode(body).encode())
    check(cfp, response, before)


@given(raw=st.binary(max_size=2_000))
def test_any_bytes_as_json(api: CfP, raw: bytes) -> None:
    cfp = api
    response = cfp.client.http.post(APPLICATIONS, headers=JSON, body=raw)
    check(cfp, response, 0)


def test_a_body_over_the_maximum_is_a_413_and_stores_nothing(cfp: CfP) -> None:
    response = cfp.client.http.post(
        APPLICATIONS, headers=JSON, body=json.dumps(STORY | {"summary": "x" * 40_000}).encode()
    )
    assert response.status_code == 413
    assert "over 32768 bytes" in json.loads(response.body)["detail"]
    assert cfp.applications() == []


def test_crlf_in_a_name_or_an_email_never_reaches_a_header(cfp: CfP) -> None:
    for field, value in (("name", "Ada\r\nBcc: all@example.org"), ("email", "ada@example.org\r\nBcc: all@example.org")):
        response = cfp.submit(STORY | {field: value})
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.body.decode()
    assert cfp.applications() == []
    # And below the form, the mailer refuses a line break in a subject or an address outright:
    # nothing reaches SES.
    mailer = Mailer(aws.sesv2(), "OW2con'24 CfP <cfp@ow2con.example>")
    with pytest.raises(EmailRejected):
        mailer.send("ada@example.org", Email("Hello\r\nBcc: all@example.org", "text", "<p>html</p>"))
    with pytest.raises(EmailRejected):
        mailer.send("ada@example.org\r\nBcc: all@example.org", Email("Hello", "text", "<p>html</p>"))
    assert cfp.outbox() == []
    # A name only decorates the address: its line break is dropped, and the email goes to the one recipient.
    mailer.send("ada@example.org", Email("Hello", "text", "<p>html</p>"), "Ada\r\nBcc: all@example.org")
    [sent] = cfp.outbox()
    assert (sent.recipients, sent.to) == (["ada@example.org"], '"Ada Bcc: all@example.org" <ada@example.org>')


@pytest.mark.parametrize(
    "address",
    [
        "ädä@example.org",
        "a[b]@example.org",
        "ada.@example.org",
        "ada..x@example.org",
        "a\\b@example.org",
        "rl\u200b@example.org",
        "ｒl@example.org",
        '"ada lovelace"@example.org',
    ],
)
def test_an_address_that_mail_cannot_carry_is_refused_at_the_form(cfp: CfP, address: str) -> None:
    """The email package refuses these when it builds the message; an applicant who gave one would hear nothing."""
    response = cfp.client.http.post(APPLICATIONS, headers=JSON, body=json.dumps(STORY | {"email": address}))
    assert response.status_code == 422
    assert list(json.loads(response.body)["errors"]) == ["email"]
    assert cfp.applications() == []


def test_the_mailer_names_no_address_when_it_refuses_one(cfp: CfP) -> None:
    mailer = Mailer(aws.sesv2(), "OW2con'24 CfP <cfp@ow2con.example>")
    with pytest.raises(EmailRejected) as refused:
        mailer.send("a[b]@example.org", Email("Hello", "text", "<p>html</p>"), "Ada")
    assert "example.org" not in str(refused.value)
    assert cfp.outbox() == []


def test_json_nested_too_deeply_for_the_parser_is_a_400(cfp: CfP) -> None:
    response = cfp.client.http.post(APPLICATIONS, headers=JSON, body="[" * 5000 + "]" * 5000)
    assert response.status_code == 400
    assert "flat JSON object" in json.loads(response.body)["detail"]
    assert cfp.applications() == []


def test_media_types_are_read_whatever_their_case(cfp: CfP) -> None:
    headers = {"Content-Type": "Application/JSON; Charset=UTF-8"}
    response = cfp.client.http.post(APPLICATIONS, headers=headers, body=json.dumps(STORY | {"consent": True}))
    assert response.status_code == 201, response.body
    assert response.headers["Content-Type"] == "application/json"


def test_a_body_in_another_charset_is_refused_with_what_to_send(cfp: CfP) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"}
    response = cfp.client.http.post(APPLICATIONS, headers=headers, body=urlencode(STORY).encode("latin-1"))
    assert response.status_code == 400
    assert "send it as UTF-8" in response.body.decode()
    assert cfp.applications() == []


def test_the_honeypot_stores_nothing_and_says_why(cfp: CfP) -> None:
    response = cfp.submit(STORY | {"website": "http://spam.example"})
    assert response.status_code == 400
    assert "Leave this empty" in response.body.decode()
    traps: list[object] = [0, False, [], "x"]  # what a script might put there through the JSON API
    for trap in traps:
        body = json.dumps(STORY | {"consent": True, "website": trap})
        assert cfp.client.http.post(APPLICATIONS, headers=JSON, body=body).status_code == 400
    assert cfp.applications() == []
    # What a person's browser sends: the field, empty.
    assert cfp.submit(STORY | {"website": ""}).status_code == 303


def test_rate_limits_per_address_and_per_email(cfp: CfP) -> None:
    cfp.configure(submissions_per_address_per_hour=3, submissions_per_email_per_hour=2)
    statuses = [cfp.submit(STORY | {"title": f"Story number {n}"}).status_code for n in range(3)]
    assert statuses == [303, 303, 429]  # the third from one email address
    other = cfp.submit(STORY | {"email": "grace@example.org", "title": "Typed with care"})
    assert other.status_code == 429  # the fourth from one client address
    page = other.body.decode()
    assert "Too many applications from this address. Please try again in" in page
    assert int(other.headers["Retry-After"]) <= 3600
    assert len(cfp.applications()) == 2
    # The form comes back with what was typed, to send again once the wait is over.
    assert 'value="grace@example.org"' in page and 'value="Typed with care"' in page
    assert STORY["summary"] in page and 'id="error-summary"' in page
    wait = int(other.headers["Retry-After"]) // 60 + 1
    assert f"in {wait} minute{'s' if wait > 1 else ''}." in page
    # An API client gets JSON, as before.
    body = json.dumps(STORY | {"consent": True, "title": "Sent by a script"})
    refused = cfp.client.http.post(APPLICATIONS, headers=JSON, body=body)
    assert refused.status_code == 429 and "Too many applications" in json.loads(refused.body)["detail"]


def test_plus_addressing_counts_as_the_same_mailbox(cfp: CfP) -> None:
    """eve+1@ and EVE+2@ are delivered to eve@: they share its hourly limit."""
    cfp.configure(submissions_per_address_per_hour=100, submissions_per_email_per_hour=2)
    addresses = ["eve@example.org", "eve+1@example.org", "EVE+2@Example.org"]
    statuses = [cfp.submit(STORY | {"email": a, "title": f"Story number {n}"}) for n, a in enumerate(addresses)]

    assert [s.status_code for s in statuses] == [303, 303, 429]  # 303: to the thank-you page
    assert "Too many applications for this email address" in statuses[2].body.decode()
    assert int(statuses[2].headers["Retry-After"]) <= 3600
    assert cfp.submit(STORY | {"email": "steve@example.org"}).status_code == 303  # another mailbox
    assert len(cfp.applications()) == 3


def test_an_ipv6_client_is_counted_by_its_64_and_an_ipv4_client_by_its_address(cfp: CfP) -> None:
    """One subscriber usually holds a whole IPv6 /64, and can pick any address in it."""
    cfp.configure(submissions_per_address_per_hour=2, submissions_per_email_per_hour=100)

    def apply(source_ip: str, number: int) -> Any:
        return cfp.submit_from(source_ip, STORY | {"email": f"speaker{number}@example.org"})

    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:abcd:1:2:3"]
    statuses = [apply(ip, n) for n, ip in enumerate(same_64)]
    assert [s.status_code for s in statuses] == [303, 303, 429]
    assert "Too many applications from this address" in statuses[2].body.decode()
    assert apply("2001:db8:1:3::1", 3).status_code == 303  # the next /64: someone else

    # IPv4 addresses are counted one by one, even next to each other.
    assert [apply(ip, n).status_code for n, ip in enumerate(["192.0.2.1", "192.0.2.1", "192.0.2.1"], 4)] == [
        303,
        303,
        429,
    ]
    assert apply("192.0.2.2", 7).status_code == 303
    assert len(cfp.applications()) == 6


@pytest.mark.parametrize("note", [None, 42, ["a list"], {"a": "dict"}, "x" * 2001, "bell\x07"])
def test_a_note_that_is_not_plain_text_is_refused_and_no_vote_is_taken(cfp: CfP, note: Any) -> None:
    cfp.submit()
    reject = cfp.review_link("moderator@ow2con.example", "Reject")

    response = cfp.client.http.post(reject, headers=JSON, body=json.dumps({"note": note}))

    assert response.status_code == 422
    assert list(json.loads(response.body)["errors"]) == ["note"]
    [application] = cfp.applications()
    assert (application.votes, application.rejections) == ([], 0)
