"""Submitting an application: the form, the JSON API, mistakes, repeats and a closed call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib.i18n import html_datetime, moment
from tests.support import DEFAULT_CALL, STORY, CfP, configure_call, token_of

JSON = {"Content-Type": "application/json"}
FORM, API = f"/{DEFAULT_CALL}/", f"/{DEFAULT_CALL}/applications"


def only_the_next_valid_application_is_reviewed(cfp: CfP) -> None:
    """After a refused submission: a valid one goes all the way to its acknowledgement, and is the only one
    whose review started (the stream was read past whatever the refused one wrote)."""
    assert cfp.submit(STORY | {"title": "A story sent right after"}).status_code == 303
    cfp.wait_for_email(STORY["email"], "We received your application")
    assert [e["name"] for e in cfp.executions()] == [a.id for a in cfp.applications()]
    assert [a.title for a in cfp.applications()] == ["A story sent right after"]


def test_the_form_presents_the_call(cfp: CfP) -> None:
    page = cfp.client.http.get(FORM).body.decode()
    assert "OSPO, you can be heroes!" in page
    assert "Tuesday 11 June 2024, 16:40–17:40" in page
    assert "February room" in page
    assert "3-minute story, no slides" in page
    for field in ("name", "email", "organisation", "title", "summary", "consent"):
        assert f'name="{field}"' in page
    assert page.count('type="radio"') == page.count('name="kind"') == 3


def test_a_form_with_mistakes_comes_back_with_the_errors_and_the_text_kept(cfp: CfP) -> None:
    response = cfp.submit(STORY | {"email": "ada.example.org", "kind": "", "consent": ""})
    page = response.body.decode()

    assert response.status_code == 422
    error = '<span class="visually-hidden">Error: </span>'
    assert f'id="email-error">{error}Email must be an email address' in page
    assert f'id="kind-error">{error}Kind of experience must be one of: good, bad, ugly' in page
    assert f'id="consent-error">{error}Consent must be ticked' in page
    assert 'href="#email"' in page  # the summary links to the field
    assert 'aria-describedby="email-hint email-error" aria-invalid="true"' in page
    assert 'value="ada.example.org"' in page  # what they typed is kept
    assert STORY["summary"] in page
    assert cfp.applications() == []
    only_the_next_valid_application_is_reviewed(cfp)


def test_a_summary_longer_than_a_three_minute_talk_is_refused(cfp: CfP) -> None:
    response = cfp.submit(STORY | {"summary": "word " * 200})
    assert response.status_code == 422
    assert "keep it to 600 so it fits the talk" in response.body.decode()
    assert cfp.applications() == []


def test_the_json_api_names_each_wrong_field_and_stores_nothing(cfp: CfP) -> None:
    body = {"name": "Ada\r\nBcc: everyone@example.org", "email": "ada@example.org", "kind": "great", "extra": 1}
    response = cfp.client.http.post(API, headers=JSON, body=json.dumps(body).encode())
    errors = json.loads(response.body)["errors"]

    assert response.status_code == 422
    assert set(errors) == {"name", "kind", "title", "summary", "consent", "extra"}
    assert "one line of text" in errors["name"]
    assert "good, bad, ugly" in errors["kind"]
    assert cfp.applications() == []
    only_the_next_valid_application_is_reviewed(cfp)


def test_a_body_that_is_not_json_gets_a_clear_400(cfp: CfP) -> None:
    response = cfp.client.http.post(API, headers=JSON, body=b'{"name": ')
    assert response.status_code == 400
    assert "not valid JSON" in json.loads(response.body)["detail"]
    assert cfp.applications() == []


def test_the_json_api_accepts_an_application(cfp: CfP) -> None:
    body = STORY | {"consent": True, "organisation": None}
    response = cfp.client.http.post(API, headers=JSON, body=json.dumps(body).encode())
    answer = json.loads(response.body)

    assert response.status_code == 201
    assert answer["created"] is True
    assert answer["status"] == "submitted"
    assert answer["status_url"].startswith("http://testserver/ow2con24-ospo-heroes/status/")
    [stored] = cfp.applications()
    assert stored.id == answer["id"]
    assert stored.organisation is None
    assert stored.kind == "ugly"


def test_a_repeated_submission_gives_back_the_first_application(cfp: CfP) -> None:
    first = cfp.submit()
    assert first.status_code == 303
    assert "Thank you, Ada Lovelace!" in cfp.follow(first).body.decode()

    # Same person, same story (title case and spacing aside), a reworded summary.
    again = cfp.submit(
        STORY | {"email": "ADA@example.org", "title": "our  OSPO ate the legal team", "summary": "x" * 80}
    )
    repeat = cfp.follow(again).body.decode()
    assert "You have already applied with this story" in repeat
    # Whoever knows the email and title could send them: the page is no key to the application.
    assert "/status/" not in repeat and STORY["title"] not in repeat

    [stored] = cfp.applications()
    assert stored.id in cfp.follow(first).body.decode() and stored.id in repeat
    assert stored.summary == STORY["summary"]
    cfp.wait_for_email(STORY["email"], "We received your application")
    assert len(cfp.executions()) == 1
    assert len(cfp.emails_to(STORY["email"])) == 1


def test_a_sent_form_redirects_to_a_thank_you_page_that_reloading_does_not_send_again(cfp: CfP) -> None:
    response = cfp.submit()
    # 303 See Other: the browser GETs the thank-you page; Back or reload never asks to resubmit.
    assert response.status_code == 303 and response.body in (b"", "")
    location = response.headers["Location"]
    # Relative, as every link is (API Gateway's /api/ stage): from /<call>/applications to /<call>/thanks/.
    assert location.startswith(f"../{DEFAULT_CALL}/thanks/")
    assert response.headers["Cache-Control"] == "no-store"
    first, reloaded = cfp.follow(response), cfp.follow(response)
    assert first.status_code == reloaded.status_code == 200
    assert first.body == reloaded.body
    page = first.body.decode()
    assert "Thank you, Ada Lovelace!" in page and 'href="http://testserver/ow2con24-ospo-heroes/status/' in page
    assert len(cfp.applications()) == 1

    # The thank-you page says whether the application was new: a repeat's page cannot be made to show
    # the status link by changing the link, which is signed.
    token = token_of(location)
    payload, stamp, signature = token.split(".")
    for changed in (f"{payload[:-2]}xx.{stamp}.{signature}", "not-a-link"):
        refused = cfp.client.http.get(f"/{DEFAULT_CALL}/thanks/{changed}")
        assert refused.status_code == 404
        assert "This link cannot be used" in refused.body.decode()


def test_a_closed_call_refuses_applications(cfp: CfP) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    configure_call(deadline=yesterday)

    form = cfp.client.http.get(FORM).body.decode()
    assert "The call is closed" in form
    deadline = moment(yesterday, "Europe/Paris", "en")
    assert (
        f'Applications closed on <time datetime="{html_datetime(yesterday, "Europe/Paris")}">{deadline}</time>' in form
    )
    response = cfp.submit()
    assert response.status_code == 403
    assert f"Applications closed on {deadline}." in response.body.decode()
    assert deadline.endswith("(Paris time)")
    french = cfp.submit(STORY | {"language": "fr"}).body.decode()
    assert f"Les candidatures ont fermé le {moment(yesterday, 'Europe/Paris', 'fr')}." in french
    assert cfp.applications() == []


def test_a_repeat_through_the_json_api_gets_the_reference_and_no_status_link(cfp: CfP) -> None:
    body = json.dumps(STORY | {"consent": True})
    first = cfp.client.http.post(API, headers={"Content-Type": "application/json"}, body=body)
    again = cfp.client.http.post(API, headers={"Content-Type": "application/json"}, body=body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(again.body) == {"id": json.loads(first.body)["id"], "created": False}


def test_an_invisible_line_break_in_an_organisation_is_refused_with_what_to_remove(cfp: CfP) -> None:
    body = STORY | {"consent": True, "organisation": "ACME\u2028Approve (opens a page):"}
    response = cfp.client.http.post(API, headers=JSON, body=json.dumps(body).encode())

    assert response.status_code == 422
    errors = json.loads(response.body)["errors"]
    assert list(errors) == ["organisation"]
    assert "Organisation contains invisible characters" in errors["organisation"]
    assert "(U+2028). Remove them" in errors["organisation"]
    assert cfp.applications() == []
