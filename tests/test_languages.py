"""English and French: the reader's language, the applicant's stored language, and complete catalogues."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from chalicelib.i18n import from_accept_language
from tests.support import APPLICATIONS, DEFAULT_CALL, PROJECT, STORY, CfP

FORM = f"/{DEFAULT_CALL}/"

JSON = {"Content-Type": "application/json"}
FRENCH_CATALOGUE = PROJECT / "chalicelib" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"


def test_the_browser_s_preferred_language_is_chosen_among_ours() -> None:
    assert from_accept_language("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert from_accept_language("de-DE,de;q=0.9,en-GB;q=0.8,fr;q=0.7") == "en"
    assert from_accept_language("fr-CA;q=0.5, en;q=0.6") == "en"
    assert from_accept_language("fr;q=0, de") is None
    assert from_accept_language("") is None


def test_the_form_follows_accept_language_and_the_switch_remembers_a_choice(cfp: CfP) -> None:
    french = cfp.client.http.get(FORM, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    page = french.body.decode()
    assert '<html lang="fr">' in page
    assert "OSPO, vous pouvez être des héros\u202f!" in page
    assert "mardi 11 juin 2024, de 16\u00a0h\u00a040 à 17\u00a0h\u00a040 (heure de Paris)" in page
    assert f'href="../{DEFAULT_CALL}/?lang=en" lang="en" hreflang="en"' in page
    assert "Accept-Language" in french.headers["Vary"]

    switched = cfp.client.http.get(f"{FORM}?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in switched.body.decode()
    assert switched.headers["Set-Cookie"].startswith("lang=en; Path=/;")
    remembered = cfp.client.http.get(FORM, headers={"Accept-Language": "fr", "Cookie": "lang=en"})
    assert '<html lang="en">' in remembered.body.decode()


def test_a_french_applicant_reads_french_and_the_organisers_read_the_call_s_language(cfp: CfP) -> None:
    mistakes = cfp.submit(STORY | {"email": "ada@", "language": "fr"})
    assert "Le champ «\u00a0Adresse e-mail\u00a0» doit être une adresse e-mail" in mistakes.body.decode()

    thanks = cfp.follow(cfp.submit(STORY | {"language": "fr"}))
    assert thanks.status_code == 200
    assert "Merci, Ada Lovelace\u202f!" in thanks.body.decode()
    [application] = cfp.applications()
    assert application.language == "fr"

    acknowledgement = cfp.wait_for_email(STORY["email"], "Nous avons reçu votre candidature")
    assert "Bonjour Ada Lovelace," in acknowledgement.text
    assert '<html lang="fr">' in acknowledgement.html
    assert cfp.link(acknowledgement, "Suivez son avancement ici").startswith(
        "http://testserver/ow2con24-ospo-heroes/status/"
    )
    review = cfp.wait_for_email("moderator@ow2con.example", "New application to review")
    assert "Approve (opens a page; nothing happens until you confirm):" in review.text


def test_the_json_api_takes_a_language_and_answers_mistakes_in_it(cfp: CfP) -> None:
    body = {"name": "Ada", "email": "nope", "language": "fr"}
    response = cfp.client.http.post(APPLICATIONS, headers=JSON, body=json.dumps(body).encode())
    assert response.status_code == 422
    assert json.loads(response.body)["errors"]["email"].startswith("Le champ «\u00a0Adresse e-mail\u00a0»")

    accepted = STORY | {"consent": True, "language": "fr"}
    response = cfp.client.http.post(APPLICATIONS, headers=JSON, body=json.dumps(accepted).encode())
    assert response.status_code == 201
    assert cfp.applications()[0].language == "fr"


def test_pages_load_only_the_app_s_own_stylesheet_and_script(cfp: CfP) -> None:
    page = cfp.client.http.get(FORM)
    assert "default-src 'none'; style-src 'self'; script-src 'self'" in page.headers["Content-Security-Policy"]
    body = page.body.decode()
    assert '<link rel="stylesheet" href="../static/style.css">' in body
    assert '<script src="../static/form.js" defer></script>' in body
    assert "http" not in body.split("<body>")[0]  # nothing from elsewhere in <head>

    stylesheet = cfp.client.http.get("/static/style.css")
    assert stylesheet.status_code == 200
    assert stylesheet.headers["Content-Type"] == "text/css; charset=utf-8"
    assert cfp.client.http.get("/static/form.js").headers["Content-Type"].startswith("text/javascript")
    assert cfp.client.http.get("/static/missing.css").status_code == 404
    assert cfp.client.http.get("/static/..%2Fcall.py").status_code == 404


def _every_form(translation: object) -> bool:
    return all(translation) if isinstance(translation, tuple) else bool(translation)


def test_every_text_of_the_app_has_a_french_translation(tmp_path: Path) -> None:
    """The catalogue is current (nothing extracted from the sources is missing) and complete."""
    template = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "--quiet", "extract", "-F", "babel.cfg", "-o", str(template), "chalicelib"],
        cwd=PROJECT,
        check=True,
    )
    with template.open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    with FRENCH_CATALOGUE.open("rb") as handle:
        french = read_po(handle)

    assert french.plural_forms == "nplurals=2; plural=(n > 1);"
    # A plural is translated when each of its forms is.
    translated = {m.id for m in french if m.id and not m.fuzzy and _every_form(m.string)}
    assert extracted - translated == set(), "run `make messages`, then translate what is new in the .po"
    for message, errors in french.check():
        raise AssertionError(f"{message.id!r}: {errors}")
