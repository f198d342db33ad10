"""In a real browser: people apply, organisers decide and a speaker confirms, in English and French.

Debian's chromium, driven by Playwright, against the local run (`python -m local.run`, as `make run`
starts it). axe-core checks every page on the way; screenshots go to out/browser/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect, sync_playwright

from tests.browser import DESKTOP, EMAIL_IN_A_CLIENT, PHONE, WIDE, check_page, launch, screenshot
from tests.support import DEFAULT_CALL, MODERATOR, PROGRAMME, STORY, LocalRun, running_locally

# The slow layer (tests/conftest.py): a local run and a browser.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_run() -> Iterator[LocalRun]:
    with running_locally() as run:
        yield run


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def new_page(browser: Browser, viewport: ViewportSize, locale: str = "en-GB", javascript: bool = True) -> Page:
    context: BrowserContext = browser.new_context(viewport=viewport, locale=locale, java_script_enabled=javascript)
    return context.new_page()


def french(text: str) -> re.Pattern[str]:
    """French text as typeset: the spaces around « », before : ; ? ! are no-break spaces."""
    return re.compile(r"\s".join(re.escape(part) for part in text.split(" ")))


def fill_story(page: Page, name: str, email: str, title: str, kind_label: str | None, consent: bool) -> None:
    """Type an application as a person would: by the fields' visible labels."""
    fields = page.get_by_role("group")  # the radio group has a legend; the other fields have labels
    assert fields.count() == 1
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#organisation").fill(STORY["organisation"])
    if kind_label:
        page.get_by_label(kind_label).check()
    page.locator("#title").fill(title)
    page.locator("#summary").fill(STORY["summary"])
    if consent:
        page.locator("#consent").check()


def test_an_applicant_fixes_the_mistakes_and_applies_in_english(browser: Browser, local_run: LocalRun) -> None:
    page = new_page(browser, DESKTOP)
    page.goto(f"{local_run.app}/")
    # The root page lists the calls; the applicant picks theirs.
    expect(page.get_by_role("heading", level=1)).to_have_text("Calls for participation")
    expect(page.get_by_role("heading", name="Open calls")).to_be_visible()
    check_page(page, "calls (en, desktop)")
    page.get_by_role("link", name="OSPO, you can be heroes!").click()
    expect(page).to_have_url(f"{local_run.app}/{DEFAULT_CALL}/")
    expect(page).to_have_title(re.compile("OSPO, you can be heroes!"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Language").get_by_role("link", name="Français")).to_be_visible()
    # Every field has a label and a hint that screen readers read with it.
    for label, hint in (
        ("Your name", "As it should appear in the programme."),
        ("Email", "We send your acknowledgement and the decision here. Never published."),
        ("Story title", "A few words, up to 120 characters."),
    ):
        expect(page.get_by_label(label, exact=True)).to_have_accessible_description(hint)
    expect(page.get_by_role("group", name="Kind of experience").get_by_role("radio")).to_have_count(3)
    check_page(page, "form (en, desktop)")
    screenshot(page, "form")

    fill_story(page, "Ada Lovelace", "ada.example.org", "Inner source in a bank", None, consent=False)
    expect(page.locator("#summary-counter")).to_have_text(re.compile(r"Characters left: \d+"))
    page.get_by_role("button", name="Send my application").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Please correct 3 fields")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_label("Email", exact=True)).to_have_value("ada.example.org")  # what they typed is kept
    expect(page.get_by_label("Email", exact=True)).to_have_accessible_description(
        re.compile("Error: Email must be an email address such as ada@example.org.")
    )
    check_page(page, "form with errors (en, desktop)")
    screenshot(page, "form-errors", full_page=False)
    summary.get_by_role("link", name=re.compile("^Email must be")).click()
    expect(page.get_by_label("Email", exact=True)).to_be_focused()

    page.get_by_label("Email", exact=True).fill("ada@example.org")
    page.get_by_label("The ugly: it got messy, here is how we coped").check()
    page.get_by_label("I agree that the organisers store my application").check()
    page.get_by_role("button", name="Send my application").click()

    expect(page.get_by_role("heading", name="Thank you, Ada Lovelace!")).to_be_visible()
    expect(page).to_have_url(re.compile("/thanks/"))  # the POST was answered with 303 See Other
    check_page(page, "thank-you (en)")
    page.reload()  # a GET: reloading sends nothing again
    expect(page.get_by_role("heading", name="Thank you, Ada Lovelace!")).to_be_visible()
    page.get_by_role("link", name="follow its status").click()
    expect(page.locator("#status")).to_have_text(re.compile("submitted|in review"))
    expect(page.locator(".timeline time").first).to_have_text(
        re.compile(r"^\w+day \d+ \w+ 20\d\d, \d\d:\d\d \(Paris time\)$")
    )
    check_page(page, "status (en)")
    acknowledgement = local_run.wait_for_email("ada@example.org", "We received your application")
    assert "Thank you for applying" in acknowledgement["text"]

    # Withdrawing asks first: the button leads to a page that says what will happen; only its button acts.
    page.get_by_role("link", name="Withdraw my application…").click()
    expect(page.get_by_role("heading", name="Withdraw your application?")).to_be_visible()
    check_page(page, "withdraw: the confirmation step (en)")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator("#status")).to_have_text(re.compile("submitted|in review"))
    page.get_by_role("link", name="Withdraw my application…").click()
    page.get_by_role("button", name="Yes, withdraw my application").click()
    expect(page.get_by_role("heading", name="Your application is withdrawn")).to_be_visible()
    check_page(page, "withdrawn (en)")


def test_un_candidat_corrige_ses_erreurs_et_postule_en_francais_sur_un_telephone(
    browser: Browser, local_run: LocalRun
) -> None:
    page = new_page(browser, PHONE, locale="fr-FR")  # the browser asks for French (Accept-Language)
    page.goto(f"{local_run.app}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Appels à participation")
    check_page(page, "calls (fr, 360 px)")
    page.get_by_role("link", name=french("OSPO, vous pouvez être des héros !")).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(french("OSPO, vous pouvez être des héros !"))
    expect(page.get_by_text(french("jeudi 11 juin 2099, de 16 h 40 à 17 h 40 (heure de Paris)"))).to_be_visible()
    check_page(page, "form (fr, 360 px)")
    screenshot(page, "form-fr-phone")

    fill_story(page, "Émile Zola", "emile@", "Le logiciel libre à la mairie", None, consent=False)
    page.get_by_role("button", name="Envoyer ma candidature").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Merci de corriger 3 champs")
    expect(summary).to_contain_text(french("Le champ « Adresse e-mail » doit être une adresse e-mail"))
    expect(summary).to_contain_text(french("Le champ « Type d'expérience » est obligatoire."))
    expect(summary).to_contain_text(french("La case « Consentement » doit être cochée :"))
    check_page(page, "form with errors (fr, 360 px)")
    screenshot(page, "form-errors-fr-phone", full_page=False)

    page.get_by_label("Adresse e-mail", exact=True).fill("emile@example.org")
    page.get_by_label(french("La bonne : ça a marché, voici pourquoi")).check()
    page.get_by_label("J'accepte que les organisateurs").check()
    page.get_by_role("button", name="Envoyer ma candidature").click()
    expect(page.get_by_role("heading", name=french("Merci, Émile Zola !"))).to_be_visible()
    check_page(page, "thank-you (fr, 360 px)")

    # The applicant's language is kept: their email is in French; the organisers' stay in English.
    acknowledgement = local_run.wait_for_email("emile@example.org", "Nous avons reçu votre candidature")
    assert french("Merci d'avoir proposé une intervention à « OSPO, vous pouvez être des héros ! »").search(
        acknowledgement["text"]
    )
    assert "jeudi 11 juin 2099" in acknowledgement["text"]
    local_run.wait_for_email(MODERATOR, "New application to review: “Le logiciel libre à la mairie”")

    page.get_by_role("link", name="suivre son avancement").click()
    expect(page.locator("#status")).to_have_text(re.compile("envoyée|en cours d'examen"))
    expect(page.get_by_role("heading", name=french("« Le logiciel libre à la mairie »"))).to_be_visible()
    check_page(page, "status (fr, 360 px)")
    # The switch changes the language, and the choice stays for the next page.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="What's next")).to_be_visible()
    page.goto(f"{local_run.app}/{DEFAULT_CALL}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_form_works_without_javascript(browser: Browser, local_run: LocalRun) -> None:
    page = new_page(browser, PHONE, javascript=False)
    page.goto(f"{local_run.app}/{DEFAULT_CALL}/")
    page.get_by_role("button", name="Send my application").click()
    expect(page.locator("#error-summary")).to_have_attribute("autofocus", "")
    expect(page.locator("#error-summary li")).to_have_count(6)
    fill_story(page, "Grace Hopper", "grace@example.org", "Our first upstream patch", "The good", consent=True)
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", name="Thank you, Grace Hopper!")).to_be_visible()


def test_back_from_the_thank_you_page_returns_to_the_form_without_sending_it_again(
    browser: Browser, local_run: LocalRun
) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{local_run.app}/{DEFAULT_CALL}/")
    fill_story(page, "Mary Shelley", "mary@example.org", "The monster we open-sourced", "The bad", consent=True)
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", name="Thank you, Mary Shelley!")).to_be_visible()
    sent = len(local_run.outbox())
    # The form's POST was answered with 303: Back leads to the form (a GET), Forward to the thank-you
    # page (a GET); the browser never offers to send the form again.
    page.go_back()
    expect(page.get_by_role("button", name="Send my application")).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("heading", name="Thank you, Mary Shelley!")).to_be_visible()
    local_run.wait_for_email("mary@example.org", "We received your application")
    assert sum("mary@example.org" in m["recipients"] for m in local_run.outbox()[sent:]) <= 1


def test_organisers_approve_from_the_outbox_and_the_speaker_confirms(browser: Browser, local_run: LocalRun) -> None:
    title = "The licence scanner that cried wolf"
    response = requests.post(
        f"{local_run.app}/{DEFAULT_CALL}/applications",
        data=STORY | {"title": title, "email": "linus@example.org"},
        timeout=10,
    )
    assert response.status_code == 200 and response.history[0].status_code == 303
    local_run.wait_for_email(PROGRAMME, title)
    request = local_run.wait_for_email(MODERATOR, title)

    outbox = new_page(browser, DESKTOP)
    outbox.goto(f"{local_run.outbox_url}/")
    expect(outbox.get_by_role("heading", name="Outbox")).to_be_visible()
    check_page(outbox, "outbox: list of emails")
    moderators_row = outbox.get_by_role("row").filter(has_text=MODERATOR).filter(has_text=title)
    moderators_row.get_by_role("link", name=request["subject"], exact=True).click()
    expect(outbox.get_by_role("heading", level=1)).to_have_text(request["subject"])
    email = outbox.frame_locator("iframe")
    expect(email.get_by_role("link", name="Approve")).to_be_visible()
    expect(outbox.locator("pre").first).to_contain_text("Approve (opens a page; nothing happens until you confirm):")
    check_page(outbox, "outbox: one email")
    screenshot(outbox, "outbox-email")

    # The email's own HTML, as a mail client would show it.
    html_part = new_page(browser, PHONE)
    html_part.set_content(outbox.locator("iframe").get_attribute("srcdoc") or "")
    check_page(html_part, "email: review request (HTML part)", EMAIL_IN_A_CLIENT)
    screenshot(html_part, "email-review-request-phone")

    # The moderator decides on a phone: Approve in the email opens the page, the button votes.
    phone = new_page(browser, PHONE)
    phone.goto(outbox.url)
    phone.frame_locator("iframe").get_by_role("link", name="Approve").click()
    expect(phone.get_by_role("heading", name="Approve this application?")).to_be_visible()
    expect(phone.get_by_text(f"You are voting as {MODERATOR}")).to_be_visible()
    check_page(phone, "review (approve, 360 px)")
    screenshot(phone, "review-phone")
    phone.get_by_role("button", name="Vote to approve").click()
    expect(phone.get_by_role("heading", name="Vote recorded")).to_be_visible()
    expect(phone.get_by_text("The decision waits for more votes.")).to_be_visible()
    check_page(phone, "voted (360 px)")

    # A second organiser, from the outbox's list of links: that makes the quorum.
    second = new_page(browser, DESKTOP)
    second.goto(f"{local_run.outbox_url}/")
    row = second.get_by_role("row").filter(has_text=PROGRAMME).filter(has_text=title)
    row.get_by_role("link", name=re.compile("^Approve")).click()
    second.get_by_role("button", name="Vote to approve").click()
    expect(second.get_by_text("That makes the quorum: the application is accepted")).to_be_visible()

    # The speaker answers from the "Action required" email: I'll be there.
    acceptance = local_run.wait_for_email("linus@example.org", "Action required")
    speaker = new_page(browser, PHONE)
    speaker.goto(f"{local_run.outbox_url}/messages/{next_number(local_run, acceptance)}")
    speaker.frame_locator("iframe").get_by_role("link", name="I'll be there").click()
    expect(speaker.get_by_role("heading", name="Will you be there?")).to_be_visible()
    check_page(speaker, "attendance (360 px)")
    speaker.get_by_role("button", name="Yes, I'll be there").click()
    expect(speaker.get_by_role("heading", name="You are confirmed. See you there!")).to_be_visible()
    check_page(speaker, "answered (360 px)")
    confirmation = local_run.wait_for_email("linus@example.org", "Confirmed: you speak at")
    assert confirmation["attachments"][0][0] == "invitation.ics"

    overview = new_page(browser, WIDE)
    overview.goto(dict(request["links"])["All applications of the call"])
    row = overview.get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text("confirmed")
    expect(overview.locator("ol.programme")).to_contain_text(title)
    check_page(overview, "overview (desktop)")
    screenshot(overview, "overview-desktop")
    # The programme committee organises both calls: its overview link lists them, each with its counts.
    programme = new_page(browser, PHONE)
    programme_request = local_run.wait_for_email(PROGRAMME, title)
    programme.goto(dict(programme_request["links"])["All applications of the call"].partition("?")[0])
    expect(programme.get_by_role("heading", level=1)).to_have_text("Your calls")
    expect(programme.locator("section.call-summary")).to_have_count(2)
    check_page(programme, "an organiser's calls (360 px)")
    # Filtered without JavaScript: the form's GET puts the choice in the address.
    overview.get_by_label("Status", exact=True).select_option("confirmed")
    overview.get_by_role("button", name="Show").click()
    expect(overview).to_have_url(re.compile(r"[?&]status=confirmed"))
    expect(overview.locator("table.applications tbody tr")).to_have_count(1)
    overview.set_viewport_size(PHONE)
    overview.get_by_role("link", name="Show every application").click()
    check_page(overview, "overview (360 px)")
    screenshot(overview, "overview-phone")
    # Each row leads to the reader's own review page: this one has voted, so no button.
    row = overview.locator("table.applications tbody tr").filter(has_text=title)
    row.get_by_role("link", name=re.compile("^See the review")).click()
    expect(overview.get_by_role("heading", name="You have already voted")).to_be_visible()

    error = new_page(browser, PHONE)
    error.goto(f"{local_run.app}/review/not-a-real-link")
    expect(error.get_by_role("heading", name="This review link cannot be used")).to_be_visible()
    check_page(error, "error page (360 px)")
    error.goto(f"{local_run.app}/no/such/page")
    expect(error.get_by_role("heading", name="Page not found")).to_be_visible()
    check_page(error, "404 page (360 px)")


def next_number(run: LocalRun, message: dict[str, object]) -> int:
    """The outbox's number of a message, as its list links to it."""
    return int(next(m["number"] for m in run.outbox() if m["id"] == message["id"]))


def approve_twice(run: LocalRun, title: str) -> None:
    """Two organisers press Approve in their emails: the quorum of the local stage."""
    for organiser in (MODERATOR, PROGRAMME):
        email = run.wait_for_email(organiser, title)
        approve = dict(email["links"])["Approve"]
        assert requests.post(approve, timeout=10).status_code == 200


def confirm(run: LocalRun, email: str) -> None:
    acceptance = run.wait_for_email(email, "Action required")
    yes = next(url for _, url in acceptance["links"] if "/attendance/" in url)  # the first: I'll be there
    assert "You are confirmed" in requests.post(yes, timeout=10).text


def test_a_confirmed_speaker_cancels_the_waitlist_gets_the_slot_and_the_other_is_reminded(browser: Browser) -> None:
    # The local stage's two slots; its session 90 s after the run starts, and the reminder halfway.
    with running_locally({"SESSION_IN_MINUTES": "1.5"}) as run:
        stories = {
            "ada@example.org": "The OSPO that found its budget",
            "grace@example.org": "The OSPO that shipped a policy",
            "linus@example.org": "The OSPO that waited its turn",
        }
        for email, title in stories.items():
            requests.post(f"{run.app}/applications", data=STORY | {"email": email, "title": title}, timeout=10)
            approve_twice(run, title)
        run.wait_for_email("linus@example.org", "You are on the waitlist")
        confirm(run, "ada@example.org")
        confirmation = run.wait_for_email("ada@example.org", "Confirmed: you speak at")

        # Ada can no longer come: from her confirmation email, to her page, through one confirmation step.
        speaker = new_page(browser, PHONE)
        speaker.goto(f"{run.outbox_url}/messages/{next_number(run, confirmation)}")
        speaker.frame_locator("iframe").get_by_role("link", name="I can no longer come").click()
        speaker.get_by_role("link", name="Cancel my talk…").click()
        expect(speaker.get_by_role("heading", name="Cancel your talk?")).to_be_visible()
        check_page(speaker, "cancel confirmation (360 px)")
        speaker.get_by_label("Your reason, for the organisers (optional)").fill("My flight was cancelled.")
        speaker.get_by_role("button", name="Yes, cancel my talk").click()
        expect(speaker.get_by_text("is cancelled: your slot goes to the next speaker on the waitlist")).to_be_visible()

        cancellation = run.wait_for_email("ada@example.org", "Cancelled: your story at")
        assert [name for name, _, _ in cancellation["attachments"]] == ["cancellation.ics"]
        told = run.wait_for_email(MODERATOR, "Cancelled: Ada Lovelace")
        assert "> My flight was cancelled." in told["text"]
        promoted = run.wait_for_email("linus@example.org", "Action required")
        assert "a slot freed up" in promoted["text"]
        run.wait_for_email(MODERATOR, "Promoted from the waitlist")

        # Grace confirms; before the session she is reminded of it, with the way to cancel.
        confirm(run, "grace@example.org")
        reminder = run.wait_for_email("grace@example.org", "Reminder: ", timeout=90)
        assert "February room" in reminder["text"] and "I can no longer come" in reminder["text"]
        page = new_page(browser, DESKTOP)
        page.goto(f"{run.outbox_url}/messages/{next_number(run, reminder)}")
        page.frame_locator("iframe").get_by_role("link", name="I can no longer come").click()
        expect(page.get_by_role("link", name="Cancel my talk…")).to_be_visible()
        # Once the session has started, her page no longer offers to cancel.
        deadline = time.monotonic() + 120
        while page.get_by_role("link", name="Cancel my talk…").count() and time.monotonic() < deadline:
            time.sleep(2)
            page.reload()
        expect(page.get_by_role("link", name="Cancel my talk…")).to_have_count(0)
        expect(page.locator("#status")).to_have_text("confirmed")
