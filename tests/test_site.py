"""What the site answers beyond its forms: robots.txt and the icon, Chalice's own refusals (405, 415) as pages
for a browser and JSON for an API client, and an applicant's pages in the language they applied in."""

from __future__ import annotations

import json

from chalice.test import Client

from tests.support import STORY, CfP

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
API = {"Accept": "application/json"}


def client() -> Client:
    from app import app

    return Client(app, stage_name="test")


def test_robots_txt_and_the_icon_are_served_by_the_app() -> None:
    with client() as test:
        robots = test.http.get("/robots.txt")
        assert robots.status_code == 200
        assert robots.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "User-agent: *\nDisallow:\n" in robots.body.decode()
        for path in ("/favicon.ico", "/static/favicon.svg"):
            icon = test.http.get(path)
            assert icon.status_code == 200, path
            assert icon.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
            assert icon.body.decode().startswith("<svg")


def test_a_method_a_route_does_not_take_is_a_page_for_a_browser_and_json_for_an_api() -> None:
    with client() as test:
        page = test.http.request("DELETE", "/", headers=BROWSER)
        assert page.status_code == 405
        assert page.headers["Allow"] == "GET"
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        body = page.body.decode()
        assert "<h1>This address does not take that request</h1>" in body
        assert "It answers GET, not DELETE" in body

        api = test.http.request("PUT", "/applications", headers=API)
        assert api.status_code == 405 and api.headers["Allow"] == "POST"
        assert json.loads(api.body) == {
            "title": "This address does not take that request",
            "detail": "It answers POST, not PUT: open it with its link, or use the buttons on its page.",
        }
        french = test.http.request("DELETE", "/", headers=BROWSER | {"Accept-Language": "fr"})
        assert "<h1>Cette adresse n&#39;accepte pas cette requête</h1>" in french.body.decode()


def test_a_body_type_a_route_does_not_take_is_a_page_for_a_browser_and_json_for_an_api() -> None:
    with client() as test:
        page = test.http.post("/applications", headers=BROWSER | {"Content-Type": "text/plain"}, body="hello")
        assert page.status_code == 415
        assert "This address takes a form or JSON, not text/plain" in page.body.decode()
        assert "<h1>The request could not be read</h1>" in page.body.decode()

        api = test.http.post("/applications", headers=API | {"Content-Type": "application/xml"}, body="<a/>")
        assert api.status_code == 415
        assert "not application/xml" in json.loads(api.body)["detail"]


def test_a_status_link_opens_in_the_applicant_s_language_unless_they_chose_another(cfp: CfP) -> None:
    cfp.submit(STORY | {"language": "fr"})
    acknowledgement = cfp.wait_for_email(STORY["email"], "Nous avons reçu votre candidature")
    status = cfp.path(cfp.link(acknowledgement, "Suivez son avancement ici"))

    # Whatever the browser prefers, the status link opens as the applicant applied: in French.
    for headers in ({}, {"Accept-Language": "en-GB,en;q=0.9"}):
        assert '<html lang="fr">' in cfp.client.http.get(status, headers=headers).body.decode()
    # Unless the reader chose another language with the switch, which a cookie remembers.
    switched = cfp.client.http.get(f"{status}?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in switched.body.decode()
    assert switched.headers["Set-Cookie"].startswith("lang=en;")
    remembered = cfp.client.http.get(status, headers={"Cookie": "lang=en"})
    assert '<html lang="en">' in remembered.body.decode()
    # The steps behind its buttons follow it.
    assert '<html lang="fr">' in cfp.client.http.get(f"{status}/withdraw").body.decode()
