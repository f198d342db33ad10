"""The addresses of the one-call versions lead to their call's (chalicelib/handlers/old_addresses.py): a GET by a
301, a POST by a 308 that the browser sends again with its body; the call read from the link, or, in a link
signed before calls had ids, from its application; a link that is not ours refused there, before its body."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import itsdangerous
import pytest
from chalice.test import Client

from app import app
from chalicelib import deps
from chalicelib.settings import CALL_OVERRIDES, LINK_SECRET, TABLE_NAME
from chalicelib.vocabulary import AttendanceAnswer
from tests.fast.conftest import Submit
from tests.support import DEFAULT_CALL, SECOND_CALL, token_of

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
API = {"Accept": "application/json", "Content-Type": "application/json"}


def signed_as_one_call_versions_did(kind: str, payload: dict[str, object]) -> str:
    """A link as the one-call versions signed it: the same secret and salt, a payload that names no call."""
    return itsdangerous.URLSafeTimedSerializer(os.environ[LINK_SECRET], salt=f"cfp.{kind}-link").dumps(payload)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, table: str) -> Iterator[Client]:
    """The app, its services (chalicelib/deps.py) on the fast layer's table in moto's mock_aws."""
    monkeypatch.setenv(TABLE_NAME, table)
    monkeypatch.delenv(CALL_OVERRIDES, raising=False)
    deps.reset()
    with Client(app, stage_name="test") as test:
        yield test
    deps.reset()


def test_a_link_signed_before_calls_had_ids_leads_to_its_application_s_call(client: Client, submitted: Submit) -> None:
    bea = submitted(call=deps.call(SECOND_CALL))
    status = signed_as_one_call_versions_did("status", {"a": bea.id})
    moved = client.http.get(f"/status/{status}/withdraw?lang=fr&lang=en")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"../../{SECOND_CALL}/status/{status}/withdraw?lang=fr&lang=en"
    thanks = signed_as_one_call_versions_did("thanks", {"a": bea.id, "n": True})
    assert client.http.get(f"/thanks/{thanks}").headers["Location"] == f"../{SECOND_CALL}/thanks/{thanks}"


def test_a_post_is_sent_again_to_the_call_s_address_with_its_body(client: Client) -> None:
    links = deps.links()
    tokens = {
        "review": token_of(links.review_links(SECOND_CALL, "a1", 0).reject_url),
        "attendance": token_of(links.attendance_url(SECOND_CALL, "a1", AttendanceAnswer.NO)),
        "verify": token_of(links.verification_url(SECOND_CALL, "a1")),
        "status": token_of(links.status_url(SECOND_CALL, "a1")),
    }
    for path, up in (
        (f"/review/{tokens['review']}", "../"),
        (f"/attendance/{tokens['attendance']}", "../"),
        (f"/verify/{tokens['verify']}", "../"),
        (f"/status/{tokens['status']}/withdraw", "../../"),
        (f"/status/{tokens['status']}/delete", "../../"),
    ):
        moved = client.http.post(path, headers=FORM, body="note=a+note")
        assert (moved.status_code, moved.headers["Location"]) == (308, f"{up}{SECOND_CALL}{path}"), path


def test_the_one_call_s_form_and_api_are_the_default_call_s(client: Client) -> None:
    posted = client.http.post("/applications?lang=fr", headers=API, body=json.dumps({"name": "Ada"}))
    assert (posted.status_code, posted.headers["Location"]) == (308, f"./{DEFAULT_CALL}/applications?lang=fr")
    described = client.http.get("/openapi.json")
    assert (described.status_code, described.headers["Location"]) == (301, f"./{DEFAULT_CALL}/openapi.json")


FORGED = "eyJhIjoiYWRhIiwibyI6MCwiZCI6ImFwcHJvdmUifQ.abcdef.ghijklmnop"


def test_a_link_that_is_not_ours_is_refused_there_before_its_body_is_read(client: Client) -> None:
    """A body over the limit would be a 413 if it were read; a redirect would send it on."""
    for address, status, title in (
        (f"/review/{FORGED}", 400, "This review link cannot be used"),
        (f"/attendance/{FORGED}", 400, "This link cannot be used"),
        (f"/verify/{FORGED}", 400, "This link cannot be used"),
        (f"/status/{FORGED}/withdraw", 404, "Status link not recognised"),
    ):
        refused = client.http.post(address, headers=API, body='{"note": "' + "x" * 40_000 + '"}')
        assert refused.status_code == status and "Location" not in refused.headers, address
        assert json.loads(refused.body) == {
            "title": title,
            "detail": "This link is not valid: it may have been cut or changed.",
        }, address


def test_a_link_of_another_kind_or_of_an_application_gone_is_refused_in_the_words_of_its_address(
    client: Client,
) -> None:
    status = token_of(deps.links().status_url(DEFAULT_CALL, "a1"))
    as_review = client.http.get(f"/review/{status}", headers=API)
    assert as_review.status_code == 400 and json.loads(as_review.body)["title"] == "This review link cannot be used"
    gone = signed_as_one_call_versions_did("review", {"a": "gone", "o": 0, "d": "approve"})
    refused = client.http.get(f"/review/{gone}", headers=API)
    assert refused.status_code == 400
    assert json.loads(refused.body) == {
        "title": "This review link cannot be used",
        "detail": "This review link points to an application that does not exist.",
    }
