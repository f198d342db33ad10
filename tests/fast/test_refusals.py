"""What a person gets for each domain error a route raises (chalicelib/handlers/refusals.py): its status, and its
words as a page for a browser and as JSON for an API client; the pages that answer a second try; and the table
applied to every route of the app."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from chalice.app import Request, Response
from chalice.local import LambdaEventConverter, RouteMatcher
from chalice.test import Client
from markupsafe import escape

from app import app
from chalicelib import deps
from chalicelib.applications import (
    NOT_A_SMOKE_TEST,
    SMOKE_ADDRESS,
    SMOKE_FIELD,
    CallClosed,
    InvalidApplication,
    InvalidReason,
    LooksAutomated,
    RateLimited,
)
from chalicelib.attendance import ConfirmationClosed
from chalicelib.handlers.refusals import REFUSALS, refusal_of
from chalicelib.links import LinkExpired, LinkInvalid, LinkOfAnotherCall, LinkRevoked
from chalicelib.models import Answer, Vote
from chalicelib.overview import InvalidQuery, NotTheirCall
from chalicelib.review import InvalidNote
from chalicelib.settings import CALL_OVERRIDES, TABLE_NAME
from chalicelib.stores.applications import CannotWithdraw
from chalicelib.stores.callbacks import AlreadyAnswered, AnswerChanging, CallbackStore
from chalicelib.stores.table import ApplicationNotFound
from chalicelib.stores.votes import AlreadyVoted, ReviewOver, VoteContended
from chalicelib.vocabulary import AttendanceAnswer, Outcome, Status
from chalicelib.web import BadBody, BodyTooLarge
from tests.fast.conftest import NOW, Submit
from tests.support import DEFAULT_CALL, GRACE, LINUS, MODERATOR, OPEN_UNTIL, SECOND_CALL, STORY, token_of

PAGE = "text/html,application/xhtml+xml,*/*;q=0.8"
API = "application/json"
FORM = "application/x-www-form-urlencoded"
CALL = f"/{DEFAULT_CALL}"


def request(
    method: str, path: str, accept: str = API, body: str = "", content_type: str | None = None, language: str = "en"
) -> Request:
    """The request API Gateway would give the app for this address (its route found as the gateway finds it)."""
    headers = {"Accept": accept, "Accept-Language": language} | ({"Content-Type": content_type} if content_type else {})
    converter = LambdaEventConverter(RouteMatcher(list(app.routes)))
    return Request(converter.create_lambda_event(method, path, headers, body.encode()))


def refused(error: Exception, asked: Request) -> Response:
    """What the table answers when the route asked raises `error`."""
    answer = refusal_of(error)
    assert answer is not None, f"{type(error).__name__} has no refusal"
    return answer(asked, error)


@dataclass(frozen=True)
class Case:
    """A domain error raised at an address, and the status and words a person gets for it."""

    error: Callable[[], Exception]
    method: str
    path: str
    status: int
    title: str
    detail: str
    body: str = ""


LINK_EXPIRED = "This link has expired."
REVOKED = "This link has been revoked. The next email the call sends you about an application brings new links."
NOT_OURS = "This link is not valid: it may have been cut or changed."
TOO_LARGE = "The request body is over 100 bytes. Shorten the text and send it again."
STORY_FORM = json.dumps(STORY | {"consent": True})


def expired(method: str, path: str, status: int, title: str) -> Case:
    return Case(lambda: LinkExpired(LINK_EXPIRED), method, path, status, title, LINK_EXPIRED)


def gone(path: str, status: int, title: str, detail: str) -> Case:
    return Case(lambda: ApplicationNotFound("a1"), "GET", path, status, title, detail)


CASES = {
    # Links, by their kind: the address's part before the token.
    "thanks": expired("GET", f"{CALL}/thanks/t", 404, "This link cannot be used"),
    "status": expired("GET", f"{CALL}/status/t", 404, "Status link not recognised"),
    "withdraw": expired("POST", f"{CALL}/status/t/withdraw", 404, "Status link not recognised"),
    "verify": expired("POST", f"{CALL}/verify/t", 400, "This link cannot be used"),
    "review": expired("POST", f"{CALL}/review/t", 400, "This review link cannot be used"),
    "attendance": expired("GET", f"{CALL}/attendance/t", 400, "This link cannot be used"),
    "overview": expired("GET", "/overview/t", 400, "This overview link cannot be used"),
    "an old address": Case(
        lambda: LinkInvalid(NOT_OURS), "POST", "/status/t/delete", 404, "Status link not recognised", NOT_OURS
    ),
    "revoked review": Case(LinkRevoked, "GET", f"{CALL}/review/t", 403, "This review link cannot be used", REVOKED),
    "revoked overview": Case(LinkRevoked, "GET", "/overview/t", 403, "This overview link cannot be used", REVOKED),
    "gone, by status link": gone(
        f"{CALL}/status/t", 404, "Status link not recognised", "This application does not exist."
    ),
    "gone, at the thank-you page": gone(f"{CALL}/thanks/t", 404, "This link cannot be used", "No such application."),
    "gone, by an old review link": gone(
        "/review/t",
        400,
        "This review link cannot be used",
        "This review link points to an application that does not exist.",
    ),
    "another call's": Case(
        lambda: LinkOfAnotherCall(SECOND_CALL),
        "POST",
        f"{CALL}/review/t",
        404,
        "This link belongs to another call",
        "It was sent for “Open source in the public sector: tales from the field”: open it from the email it came "
        "in, at its own address.",
    ),
    # Bodies.
    "application too large": Case(
        lambda: BodyTooLarge(100), "POST", f"{CALL}/applications", 413, "The application is too large", TOO_LARGE
    ),
    "reason too long": Case(
        lambda: BodyTooLarge(100), "POST", f"{CALL}/status/t/withdraw", 413, "The reason is too long", TOO_LARGE
    ),
    "note too long": Case(
        lambda: BodyTooLarge(100), "POST", f"{CALL}/review/t", 413, "The note is too long", TOO_LARGE
    ),
    "unreadable": Case(
        lambda: BadBody("The request body must be UTF-8 text."),
        "POST",
        f"{CALL}/applications",
        400,
        "The request could not be read",
        "The request body must be UTF-8 text.",
    ),
    "note": Case(
        lambda: InvalidNote({"note": "The note must be at most 2000 characters."}),
        "POST",
        f"{CALL}/review/t",
        422,
        "The note cannot be sent as it is",
        "The note must be at most 2000 characters.",
    ),
    "reason": Case(
        lambda: InvalidReason({"reason": "The reason must be plain text."}),
        "POST",
        f"{CALL}/status/t/withdraw",
        422,
        "The reason cannot be sent as it is",
        "The reason must be plain text.",
    ),
    # The form.
    "automated": Case(
        LooksAutomated,
        "POST",
        f"{CALL}/applications",
        400,
        "This looks automated",
        "The field “Leave this empty” was filled in, which robots do. If you are a person, go back, empty that "
        "field and send the form again.",
        STORY_FORM,
    ),
    "closed": Case(
        lambda: CallClosed("2024-05-31T23:59:00+02:00"),
        "POST",
        f"{CALL}/applications",
        403,
        "The call is closed",
        "Applications closed on Sunday 2 June 2024, 23:59 (Paris time).",
        STORY_FORM,
    ),
    # The overview.
    "unknown filter": Case(
        lambda: InvalidQuery("status", ("accepted", "declined")),
        "GET",
        "/overview/t",
        400,
        "The overview cannot show that",
        "“status” must be one of: accepted, declined. Change it in the address, or use the form on the page.",
    ),
    "not their call": Case(
        lambda: NotTheirCall(SECOND_CALL, (DEFAULT_CALL,)),
        "GET",
        "/overview/t",
        403,
        "Not one of your calls",
        f"Your overview shows the calls you organise: {DEFAULT_CALL}.",
    ),
}


@pytest.fixture(autouse=True)
def default_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The calls as their files say (a flow test may have changed the environment's)."""
    monkeypatch.delenv(CALL_OVERRIDES, raising=False)
    deps.reset()
    yield
    deps.reset()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_api_client_gets_the_status_and_the_words_as_json(case: Case) -> None:
    asked = request(case.method, case.path, API, case.body, API if case.body else None)
    response = refused(case.error(), asked)
    assert response.status_code == case.status
    assert response.headers["Content-Type"] == "application/json"
    assert {k: v for k, v in json.loads(response.body).items() if k != "errors"} == {
        "title": case.title,
        "detail": case.detail,
    }


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_browser_gets_the_status_and_the_words_as_a_page(case: Case) -> None:
    body = urlencode(json.loads(case.body)) if case.body else ""
    response = refused(case.error(), request(case.method, case.path, PAGE, body, FORM if body else None))
    assert response.status_code == case.status
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = str(response.body)
    assert f"<h1>{escape(case.title)}</h1>" in page
    assert f"<p>{escape(case.detail)}</p>" in page
    assert "See the calls for participation</a>" in page


def test_the_words_are_in_the_reader_s_language() -> None:
    asked = request("GET", f"{CALL}/status/t", PAGE, language="fr")
    page = str(refused(LinkExpired("This link has expired."), asked).body)
    assert "<h1>Lien de suivi non reconnu</h1>" in page and "<p>Ce lien a expiré.</p>" in page


def test_a_field_refused_names_it_for_an_api_client() -> None:
    asked = request("POST", f"{CALL}/review/t", API, '{"note": 1}', API)
    answer = json.loads(refused(InvalidNote({"note": "The note must be text."}), asked).body)
    assert answer["errors"] == {"note": "The note must be text."}


def test_a_body_too_large_is_logged_only_for_an_application(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="cfp_events"):
        refused(BodyTooLarge(100), request("POST", f"{CALL}/review/t"))
        assert caplog.messages == []
        refused(BodyTooLarge(100), request("POST", f"{CALL}/applications"))
        refused(LooksAutomated(), request("POST", f"{CALL}/applications", API, STORY_FORM, API))
    assert [json.loads(m) for m in caplog.messages] == [
        {"event": "submission_refused", "reason": "too_large"},
        {"event": "submission_refused", "reason": "honeypot"},
    ]


# The form again, with what was typed ---------------------------------------------------------------------------

TYPED = STORY | {"title": "A title typed <by hand>", "language": "fr"}


@pytest.fixture
def open_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call open until 2099, as a stage's CALL_OVERRIDES may say: the form is there to send again."""
    monkeypatch.setenv(CALL_OVERRIDES, json.dumps({"*": {"deadline": OPEN_UNTIL}}))
    deps.reset()


@pytest.mark.parametrize("scope", ["address", "email"])
def test_too_many_is_a_429_with_retry_after_and_the_form_keeps_what_was_typed(
    scope: str, caplog: pytest.LogCaptureFixture, open_calls: None
) -> None:
    too_many = RateLimited(scope, 660)
    with caplog.at_level(logging.INFO, logger="cfp_events"):
        api = refused(too_many, request("POST", f"{CALL}/applications", API, json.dumps(TYPED), API))
        page = refused(too_many, request("POST", f"{CALL}/applications", PAGE, urlencode(TYPED), FORM))
    assert [json.loads(m)["reason"] for m in caplog.messages] == [f"rate_limited_{scope}"] * 2
    for response in (api, page):
        assert response.status_code == 429 and response.headers["Retry-After"] == "660"
    # In the language the form was shown in (its hidden field), for the API client and the browser alike.
    where = "depuis cette adresse" if scope == "address" else "pour cette adresse e-mail"
    assert json.loads(api.body) == {
        "title": "Merci de patienter un peu",
        "detail": f"Trop de candidatures {where}. Merci de réessayer dans 12 minutes.",
    }
    form = str(page.body)
    assert "Merci de patienter un peu" in form and '<form method="post"' in form
    assert 'value="A title typed &lt;by hand&gt;"' in form


def test_mistakes_are_a_422_with_each_field_named_and_the_form_keeps_what_was_typed(open_calls: None) -> None:
    mistakes = InvalidApplication({"email": "Email must be an address such as name@example.org."})
    api = refused(mistakes, request("POST", f"{CALL}/applications", API, json.dumps(TYPED), API))
    assert api.status_code == 422
    assert json.loads(api.body) == {"title": "Please correct the form", "errors": mistakes.errors}
    page = refused(mistakes, request("POST", f"{CALL}/applications", PAGE, urlencode(TYPED), FORM))
    assert page.status_code == 422
    form = str(page.body)
    assert "Email must be an address such as name@example.org." in form
    assert 'value="A title typed &lt;by hand&gt;"' in form and 'lang="fr"' in form


def test_a_forged_smoke_marker_is_a_mistake_of_its_field_through_the_route(
    app_on_the_table: None, open_calls: None
) -> None:
    """`make smoke`'s marker (chalicelib/applications.py) is checked by the form's service; the table answers its
    refusal as any mistake: a 422 naming the field for an API client, the form with the sentence for a browser."""
    forged = STORY | {"email": SMOKE_ADDRESS, "consent": True, SMOKE_FIELD: "not-a-marker"}
    with Client(app, stage_name="test") as client:
        api = client.http.post(
            f"{CALL}/applications", body=json.dumps(forged), headers={"Accept": API, "Content-Type": API}
        )
        page = client.http.post(
            f"{CALL}/applications", body=urlencode(forged), headers={"Accept": PAGE, "Content-Type": FORM}
        )
    assert api.status_code == 422
    assert json.loads(api.body) == {"title": "Please correct the form", "errors": {SMOKE_FIELD: NOT_A_SMOKE_TEST}}
    assert page.status_code == 422 and str(escape(NOT_A_SMOKE_TEST)) in page.body.decode()
    assert list(deps.applications().applications(DEFAULT_CALL)) == []


# The pages that answer a second try ----------------------------------------------------------------------------


@pytest.fixture
def app_on_the_table(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    """The app's services (chalicelib/deps.py) on the fast layer's table, in moto's mock_aws."""
    monkeypatch.setenv(TABLE_NAME, table)
    deps.reset()


def test_a_vote_that_did_not_count_gets_the_review_page_again_saying_why(
    app_on_the_table: None, submitted: Submit
) -> None:
    voted = Vote(organiser=MODERATOR, outcome=Outcome.APPROVE, at=NOW.isoformat())
    ada = submitted(status=Status.IN_REVIEW, votes=[voted])
    grace = submitted(GRACE, status=Status.ACCEPTED)
    linus = submitted(LINUS, status=Status.IN_REVIEW)
    for error, application, words in (
        (AlreadyVoted(voted), ada, "You have already voted"),
        (ReviewOver(grace), grace, "The review is over"),
        (VoteContended(linus.id), linus, "Approve this application?"),  # the button again, to try once more
    ):
        token = token_of(deps.links().review_links(DEFAULT_CALL, application.id, 0).approve_url)
        response = refused(error, request("POST", f"{CALL}/review/{token}", PAGE, "", FORM))
        assert response.status_code == 409, words
        page = str(response.body)
        assert f"<h2>{words}</h2>" in page and application.title in page, words


def test_an_answer_not_taken_gets_the_attendance_page_again_saying_why(
    app_on_the_table: None, submitted: Submit, callback_store: CallbackStore
) -> None:
    yes = Answer(answer=AttendanceAnswer.YES, at=NOW.isoformat())
    ada = submitted(status=Status.ACCEPTED)
    callback_store.claim_answer(ada.id, yes)
    grace = submitted(GRACE, status=Status.ACCEPTED)
    linus = submitted(LINUS, status=Status.DECLINED)
    for error, application, words in (
        (AlreadyAnswered(yes), ada, "You have already answered"),
        (AnswerChanging(grace.id), grace, "Will you be there?"),  # the button again, to try once more
        (ConfirmationClosed(linus.status), linus, "Nothing to confirm"),
    ):
        token = token_of(deps.links().attendance_url(DEFAULT_CALL, application.id, AttendanceAnswer.YES))
        response = refused(error, request("POST", f"{CALL}/attendance/{token}", PAGE, "", FORM))
        assert response.status_code == 409, words
        assert f"<h2>{words}</h2>" in str(response.body), words


def test_a_withdrawal_too_late_gets_the_status_page_saying_so(submitted: Submit) -> None:
    ada = submitted(status=Status.DECLINED)
    response = refused(CannotWithdraw(ada), request("POST", f"{CALL}/status/t/withdraw", PAGE, "", FORM))
    assert response.status_code == 409
    assert "This application can no longer be withdrawn: it is declined." in str(response.body)


# The table ------------------------------------------------------------------------------------------------------

# Every error answered in this module, beside CASES'.
ANSWERED_HERE = {
    RateLimited,
    InvalidApplication,
    AlreadyVoted,
    ReviewOver,
    VoteContended,
    AlreadyAnswered,
    AnswerChanging,
    ConfirmationClosed,
    CannotWithdraw,
}


def registered_as(kind: type) -> str:
    """The name under which the table answers errors of this class: its own, or its nearest base's."""
    names = (f"{base.__module__}.{base.__qualname__}" for base in kind.__mro__)
    return next(name for name in names if name in REFUSALS)


def test_every_error_the_table_names_exists_and_its_answer_is_tested_here() -> None:
    for name in REFUSALS:
        module, _, qualname = name.rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), qualname), Exception), name
    tested = {type(case.error()) for case in CASES.values()} | ANSWERED_HERE
    assert {registered_as(kind) for kind in tested} == set(REFUSALS)


def test_every_route_of_the_app_answers_through_the_table() -> None:
    for path, methods in app.routes.items():
        for method, route in methods.items():
            assert getattr(route.view_function, "__wrapped__", None) is not None, (method, path)
    with Client(app, stage_name="test") as client:
        refused_here = client.http.get(f"{CALL}/review/not-a-link", headers={"Accept": API})
    assert refused_here.status_code == 400
    assert json.loads(refused_here.body) == {
        "title": "This review link cannot be used",
        "detail": "This link is not valid: it may have been cut or changed.",
    }
