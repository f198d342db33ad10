"""What the headers of a built email say, read back from its bytes: exactly the intended recipient
whatever the applicant's name, subjects that keep their words in both languages, and Auto-Submitted."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib import rendering
from chalicelib.call import load_call
from chalicelib.i18n import LANGUAGES, Language
from chalicelib.mailer import carries_address, display_name, mime_message
from chalicelib.models import Application, HistoryEvent
from chalicelib.rendering import Email
from chalicelib.vocabulary import ExperienceKind, Status
from tests.gallery import EMAIL_CONTEXT, email_templates
from tests.support import CfP

SENDER = "OW2con'24 CfP <cfp@ow2con.example>"
APPLICANT = "mj@example.org"
OSPO_NAME = 'María-José "MJ" O\'Neil, Head of OSPO, Example Organisation International'
CALL = load_call("ow2con24-ospo-heroes.toml")

# What a name can hold that an address header must not take for its own syntax.
tricky = st.sampled_from(
    [
        '"',
        "'",
        ",",
        "<",
        ">",
        "@",
        ";",
        ":",
        "\\",
        "(",
        ")",
        ".",
        "=?utf-8?q?x?=",
        " ",
        "   ",
        "eve@evil.example",
        "<eve@evil.example>",
        ", Eve <eve@evil.example>",
        '\\"',
        "\u2028",
        "\u2029",
        "\u202e",
        "\u2066",
        "\u200f",
        "\u061c",
        "é",
        "中文",
        "😀",
        "\r\n",
    ]
)
names = st.lists(
    st.one_of(tricky, st.text(max_size=20), st.from_regex(r"[A-Za-z]{1,200}", fullmatch=True)), max_size=40
).map("".join)


def headers(raw: bytes) -> EmailMessage:
    parsed: EmailMessage = message_from_bytes(raw, policy=policy.default)
    return parsed


def recipients(raw: bytes, header: str = "To") -> list[tuple[str, str]]:
    """The addresses as getaddresses reads them from the raw header, each name decoded as RFC 2047 says."""
    legacy = message_from_bytes(raw).get_all(header) or []
    return [(str(make_header(decode_header(name))), address) for name, address in getaddresses(legacy)]


@given(name=names)
@example(name=OSPO_NAME)
@example(name="Mallory, Head of OSPO, Example Organisation International Group eve@evil.example")
@example(name='Eve "<eve@evil.example>", Ada')
@example(name="x" * 5_000)
def test_every_built_message_is_addressed_to_exactly_the_recipient(name: str) -> None:
    raw = mime_message(SENDER, APPLICANT, Email("We received your application", "text", "<p>html</p>"), name)

    parsed = headers(raw)
    assert [a.addr_spec for a in parsed["To"].addresses] == [APPLICANT]
    assert [a.addr_spec for a in parsed["From"].addresses] == ["cfp@ow2con.example"]
    assert "Cc" not in parsed and "Bcc" not in parsed
    # The name shown is the applicant's, on one line, without line separators or direction marks;
    # only a name with nothing left to show goes as the bare address.
    [(shown, address)] = recipients(raw)
    assert (shown, address) == (display_name(name), APPLICANT)
    assert recipients(raw, "From") == [("OW2con'24 CfP", "cfp@ow2con.example")]
    assert all(len(line) <= 998 for line in raw.split(b"\n\n", 1)[0].split(b"\n"))


def test_the_names_of_the_issue_read_back_as_written() -> None:
    raw = mime_message(SENDER, APPLICANT, Email("Hello", "text", "<p>html</p>"), OSPO_NAME)
    assert recipients(raw) == [(OSPO_NAME, APPLICANT)]
    assert str(headers(raw)["To"]) == f'"{OSPO_NAME.replace(chr(34), chr(92) + chr(34))}" <{APPLICANT}>'

    crafted = mime_message(SENDER, APPLICANT, Email("Hello", "text", "<p>html</p>"), "Eve, <eve@evil.example>;")
    assert recipients(crafted) == [("Eve, <eve@evil.example>;", APPLICANT)]


def test_a_name_with_line_breaks_and_direction_marks_is_shown_on_one_line() -> None:
    raw = mime_message(SENDER, APPLICANT, Email("Hello", "text", "<p>html</p>"), "Ada\r\nBcc: all@example.org\u202e")
    assert recipients(raw) == [("Ada Bcc: all@example.org", APPLICANT)]
    assert "Bcc" not in headers(raw)


def application(name: str, title: str, organisation: str | None) -> Application:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    return Application(
        id="abc123",
        call_id=CALL.id,
        name=name,
        email=APPLICANT,
        organisation=organisation,
        kind=ExperienceKind.GOOD,
        title=title,
        summary="A story long enough to be told in three minutes, with a lesson at the end.",
        submitted_at=now,
        status=Status.ACCEPTED,
        history=[HistoryEvent(event="submitted", at=now.isoformat())],
    )


def rendered(template: str, language: Language, applicant: Application) -> Email:
    urls: dict[str, Any] = {
        name: f"https://cfp.example.org/{name}/token"
        for name in ("approve_url", "reject_url", "overview_url", "status_url", "verify_url", "yes_url", "no_url")
    }
    return rendering.email(template, language=language, application=applicant, call=CALL, **(EMAIL_CONTEXT | urls))


words = st.text(alphabet=st.sampled_from("aeiouéèàçœ«»“”‘’\"' -,:;!?ÉÀ中😀OSPO"), min_size=3, max_size=120)


@pytest.mark.parametrize("language", LANGUAGES)
@given(title=words.filter(lambda t: len(t.strip()) >= 3), name=words.filter(str.strip))
@example(title="Notre OSPO a réussi à convaincre la direction juridique de tout publier", name="María-José")
@example(title="“Open source first”: how the board learnt to say ‘yes’ — in 18 months", name=OSPO_NAME)
def test_every_subject_reads_back_word_for_word(language: Language, title: str, name: str) -> None:
    applicant = application(" ".join(name.split()), " ".join(title.split()), "Example Organisation International")
    for template in email_templates():
        email = rendered(template, language, applicant)
        raw = mime_message(SENDER, APPLICANT, email, applicant.name)
        parsed = headers(raw)
        assert str(parsed["Subject"]) == email.subject, (template, raw.split(b"\n\n")[0])
        legacy_subject = message_from_bytes(raw)["Subject"]
        assert str(make_header(decode_header(legacy_subject))) == email.subject, template
        # RFC 3834: robots (out-of-office replies) do not answer automatic emails.
        assert parsed["Auto-Submitted"] == "auto-generated", template


def test_the_subject_of_the_issue_keeps_the_space_between_its_words() -> None:
    """CPython's own folding glued "OSPO" to "a" here (gh-144156)."""
    subject = "Intervenant confirmé : María-José, « Notre OSPO a réussi à convaincre la direction juridique »"
    raw = mime_message(SENDER, APPLICANT, Email(subject, "text", "<p>html</p>"))
    assert str(headers(raw)["Subject"]) == subject


def test_the_check_after_building_sees_a_name_taken_for_more_recipients() -> None:
    """What CPython's folding made of such a name: the mailer's check refuses it (and then drops the name)."""
    folded = b"To: Mallory, Head of OSPO, Example Organisation International Group\n eve@evil.example <mj@ex.org>\n"
    assert not carries_address(folded, "To", "mj@ex.org", "Mallory, Head of OSPO, Example Organisation International")
    assert carries_address(b"To: mj@example.org\n\n", "To", APPLICANT, "")


SPEAKER = {
    "name": OSPO_NAME,
    "email": APPLICANT,
    "organisation": "Example Organisation International",
    "kind": "good",
    "title": "Notre OSPO a réussi à convaincre la direction juridique de tout publier",
    "summary": "Comment un OSPO a convaincu les juristes : trois réunions, une FAQ et beaucoup de café.",
    "consent": "on",
}


# On CPython 3.11.7 the email package folds this one into three "recipients" (the OSPO name, on the
# versions the issue names); either way each must reach its applicant alone.
CRAFTED = SPEAKER | {
    "name": "Mallory, Head of OSPO, Example Organisation International Group eve@evil.example",
    "email": "mallory@example.org",
    "title": "An OSPO story with a second recipient in its name",
}


def test_applicants_with_quotes_commas_and_addresses_in_their_names_are_acknowledged_and_reach_the_organisers(
    cfp: CfP,
) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    for applicant in (SPEAKER, CRAFTED):
        assert cfp.submit(applicant).status_code == 303
        acknowledgement = cfp.wait_for_email(applicant["email"], "We received your application")
        assert acknowledgement.recipients == [applicant["email"]]
        assert getaddresses([acknowledgement.to]) == [(applicant["name"], applicant["email"])]
        assert acknowledgement.subject == f"We received your application: “{applicant['title']}”"
        for organiser in ("moderator@ow2con.example", "programme@ow2con.example", "ospo-track@ow2con.example"):
            request = cfp.wait_for_email(organiser, f"New application to review: “{applicant['title']}”")
            assert request.recipients == [organiser]
            assert applicant["name"] in request.text
    assert {a.status for a in cfp.applications()} == {"in_review"}
    for message in cfp.outbox():
        assert [address for _, address in getaddresses([message.to])] == message.recipients
        assert len(message.recipients) == 1 and "evil" not in message.recipients[0]

    [stored] = [a for a in cfp.applications() if a.email == APPLICANT]
    cfp.vote("moderator@ow2con.example", "Approve", title=SPEAKER["title"])
    assert cfp.wait_for_email(APPLICANT, "Action required").recipients == [APPLICANT]
    cfp.post(cfp.attendance_link("yes", email=APPLICANT))
    told = cfp.wait_for_email("moderator@ow2con.example", "Speaker confirmed")
    assert told.subject == f"Speaker confirmed: {OSPO_NAME}, “{SPEAKER['title']}”"
    cfp.wait_for_execution(stored.id, "SUCCEEDED")
