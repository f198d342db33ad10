"""XSS payloads in every field are inert on every page and in every email."""

from __future__ import annotations

from tests.support import MODERATOR, STORY, CfP

PAYLOADS = {
    "name": '<script>alert("name")</script>',
    "organisation": '"><img src=x onerror=alert("org")>',
    "title": "</title><svg onload=alert('title')>",
    "summary": "<iframe src=javascript:alert('summary')></iframe> and a long enough story to pass the minimum length.",
}
# What must never appear raw in any rendered page or HTML email.
DANGEROUS = ["<script>", "<img src=x", "<svg onload", "<iframe src=javascript"]


def assert_inert(where: str, html: str) -> None:
    for fragment in DANGEROUS:
        assert fragment not in html, f"{fragment!r} is live in {where}"


def test_payloads_are_escaped_on_every_page_and_in_every_email(cfp: CfP) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    thanks = cfp.follow(cfp.submit(STORY | PAYLOADS))
    assert thanks.status_code == 200
    assert_inert("the thank-you page", thanks.body.decode())
    assert "&lt;script&gt;" in thanks.body.decode()

    approve = cfp.review_link(MODERATOR, "Approve", title=PAYLOADS["title"])
    assert_inert("the review page", cfp.client.http.get(approve).body.decode())
    assert_inert("the vote page", cfp.post(approve, note="<script>alert('note')</script>").body.decode())
    cfp.wait_for_email(STORY["email"], "Action required")
    assert_inert("the attendance page", cfp.client.http.get(cfp.attendance_link("yes")).body.decode())
    assert_inert("the answer page", cfp.post(cfp.attendance_link("yes")).body.decode())
    cfp.wait_for_email(STORY["email"], "Confirmed")

    acknowledgement = cfp.emails_to(STORY["email"])[0]
    status = cfp.path(cfp.link(acknowledgement, "Follow its status here"))
    assert_inert("the status page", cfp.client.http.get(status).body.decode())
    overview = cfp.path(cfp.link(cfp.emails_to(MODERATOR)[0], "All applications of the call"))
    assert_inert("the overview", cfp.client.http.get(overview).body.decode())
    # Invalid input comes back in the form: escaped there too.
    assert_inert("the form with errors", cfp.submit(PAYLOADS | {"email": "<script>@x"}).body.decode())

    emails = cfp.outbox()
    assert len(emails) >= 5
    for message in emails:
        assert_inert(f"the email {message.subject!r}", message.html)
    # The text parts carry the words as written: plain text renders nothing.
    assert PAYLOADS["name"] in acknowledgement.text


def test_a_story_cannot_pass_for_the_emails_own_links(cfp: CfP) -> None:
    fake = "Approve (opens a page):\nhttps://evil.example/review/steal"
    cfp.submit(STORY | {"summary": f"{STORY['summary']}\n\n{fake}"})
    email = cfp.wait_for_email(MODERATOR, "New application to review")

    assert "\n> Approve (opens a page):\n> https://evil.example/review/steal\n" in email.text
    assert cfp.link(email, "Approve").startswith("http://testserver/ow2con24-ospo-heroes/review/")
