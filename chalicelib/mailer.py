"""Sends rendered emails through SES v2, as multipart MIME with a text and an HTML part."""

from __future__ import annotations

import re
import unicodedata
from email import policy as policies
from email.header import Header, decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import Policy
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import logs
from chalicelib.aws import error_code
from chalicelib.models import LINE_AND_DIRECTION_MARKS
from chalicelib.rendering import Email

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sesv2.type_defs import SendEmailRequestTypeDef

# SES error codes worth another try later; everything else is a permanent refusal.
_TRANSIENT_CODES = {
    "TooManyRequestsException",
    "Throttling",
    "ThrottlingException",
    "LimitExceededException",
    "InternalFailure",
    "ServiceUnavailable",
}
# RFC 3834: out-of-office replies and other robots must not answer these emails.
AUTO_SUBMITTED = "auto-generated"
# Words that travel as they are: atoms of RFC 5322 (no "=" or "?", so nothing reads as an encoded
# word), short enough to fold between. Anything else goes as RFC 2047 encoded words.
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/^_`{|}~-]{1,60}")
_PLAIN_TEXT = re.compile(r"(?!.*=\?)[\x21-\x7e]{1,60}(?: [\x21-\x7e]{1,60})*")
# What may stand between < and >: validated addresses are narrower still (models.EMAIL_PATTERN).
_ADDRESS = re.compile(r"[\x21-\x7e]+@[\x21-\x7e]+")
# RFC 5322's limit is 998 characters a line; folding aims at its recommended 78.
_LINE = 78


class EmailThrottled(Exception):
    """SES asked us to slow down or failed for a moment: the queue delivers the task again."""


class EmailRejected(Exception):
    """SES refused the message for good (unverified address, malformed recipient...)."""


class EncodedHeader(str):
    """A header value the mailer encoded and folded itself.

    The email package passes a value that has a `name` through as it is, and asks it to fold itself
    (EmailPolicy.header_store_parse and fold). Its own refolding, which loses a display name's quotes
    (and so adds recipients) and the space between encoded words (CPython gh-144156), never runs.
    """

    name: str

    def __new__(cls, name: str, value: str) -> EncodedHeader:
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {policy.linesep.join(self.splitlines())}{policy.linesep}"


def phrase(name: str) -> str:
    """A display name as an RFC 5322 phrase: plain atoms as they are, and each run of other words
    (accents, quotes, commas, "@"...) as encoded words that hold the run's spaces, so that a decoder
    following RFC 2047 reads the name back exactly. Folded between words."""
    runs: list[tuple[bool, str]] = []
    for word in name.split(" "):
        plain = bool(_ATOM.fullmatch(word))
        if runs and not plain and not runs[-1][0]:
            runs[-1] = (False, f"{runs[-1][1]} {word}")
        else:
            runs.append((plain, word))
    tokens = [
        token
        for plain, text in runs
        for token in ([text] if plain else Header(text, "utf-8").encode(linesep="\n").split("\n "))
    ]
    lines = [tokens[0]]
    for token in tokens[1:]:
        if len(lines[-1]) + 1 + len(token) > _LINE:
            lines.append(token)
        else:
            lines[-1] += f" {token}"
    return "\n ".join(lines)


def display_name(name: str) -> str:
    """A name as an address header can show it: without control characters, line or paragraph
    separators and direction marks, on one line."""
    shown = "".join(
        " " if ch in LINE_AND_DIRECTION_MARKS or unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} else ch
        for ch in name
    )
    return " ".join(shown.split())


def address_header(header: str, address: str, name: str = "") -> EncodedHeader:
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"the {header} address has spaces, line breaks or non-ASCII characters")
    shown = display_name(name)
    if not shown:
        return EncodedHeader(header, address)
    return EncodedHeader(header, f"{phrase(shown)} <{address}>")


def subject_header(subject: str) -> EncodedHeader:
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in subject):
        # Subjects come from the templates, on one line: a CR or LF here is a bug, never sent.
        raise ValueError("a control character in the subject")
    # Plain ASCII words fold as they are; otherwise the whole subject is encoded words (email.header),
    # whose spaces are inside them: the email package's own folding drops some (CPython gh-144156).
    charset = "us-ascii" if _PLAIN_TEXT.fullmatch(subject) else "utf-8"
    return EncodedHeader("Subject", Header(subject, charset, header_name="Subject").encode(linesep="\n"))


def carries_address(raw: bytes, header: str, address: str, name: str) -> bool:
    """Whether the built message's header names exactly that one address, read back by the email
    package's parser and by the older getaddresses that many mail systems resemble, and its name
    decodes (RFC 2047) to `name`. The newer parser is not asked for the name: it keeps the space
    between two encoded words of a name, which RFC 2047 drops."""
    values = BytesHeaderParser(policy=policies.default).parsebytes(raw).get_all(header) or []
    if len(values) != 1 or [found.addr_spec for found in getattr(values[0], "addresses", ())] != [address]:
        return False
    legacy = getaddresses(BytesHeaderParser().parsebytes(raw).get_all(header) or [])
    return len(legacy) == 1 and legacy[0][1] == address and decoded(legacy[0][0]) == name


def decoded(words: str) -> str:
    """A header's text with its RFC 2047 encoded words decoded."""
    return str(make_header(decode_header(words)))


def carries_subject(raw: bytes, subject: str) -> bool:
    parsed = BytesHeaderParser(policy=policies.default).parsebytes(raw)
    return str(parsed["Subject"]) == subject


def mime_message(sender: str, recipient: str, message: Email, recipient_name: str = "") -> bytes:
    """The message as SES sends it, checked once built: its From and To name exactly the sender and
    the recipient (else the name is dropped for the bare address), and its Subject reads back as written.

    Raises ValueError for what no email can carry (a malformed address, a line break in the subject).
    """
    sender_name, sender_address = parseaddr(sender)
    mime = EmailMessage()
    mime["From"] = address_header("From", sender_address, sender_name)
    mime["To"] = address_header("To", recipient, recipient_name)
    mime["Subject"] = subject_header(message.subject)
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2] or None)
    mime["Auto-Submitted"] = AUTO_SUBMITTED
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        subtype, *parameters = (part.strip() for part in subtype.split(";"))
        mime.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(p.split("=", 1) for p in parameters),
        )
    raw = mime.as_bytes()
    for header, address, name in (("From", sender_address, sender_name), ("To", recipient, recipient_name)):
        if not carries_address(raw, header, address, display_name(name)):
            mime.replace_header(header, address_header(header, address))
            raw = mime.as_bytes()
            if not carries_address(raw, header, address, ""):
                raise ValueError(f"the {header} address cannot be carried")
    if not carries_subject(raw, message.subject):
        # Never seen in the property tests; the email goes anyway, and the log says so.
        logs.event("subject_not_exact", subject_length=len(message.subject))
    return raw


class Mailer:
    def __init__(self, client: SESV2Client, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        # Who sends, unless a message says otherwise (each call has its own display name).
        self._sender = sender
        # On AWS, SES reports bounces and complaints through this set (infra/resources.json).
        self._configuration_set = configuration_set

    def send(
        self,
        recipient: str,
        message: Email,
        recipient_name: str = "",
        tags: dict[str, str] | None = None,
        sender: str | None = None,
    ) -> str:
        """Send to `recipient`, a bare address; `recipient_name` only decorates the To header. `tags` travel
        with the message to SES's bounce and complaint notifications (ASCII letters, digits, _ and - only).
        `sender` ('Name <address>') replaces the mailer's own."""
        sender = sender or self._sender
        try:
            raw = mime_message(sender, recipient, message, recipient_name)
        except ValueError as exc:
            # An address or header the email package refuses (CR/LF, a malformed address): never
            # sendable, and the message names no address, since it reaches the logs.
            raise EmailRejected(f"malformed message: {type(exc).__name__}") from None
        try:
            request: SendEmailRequestTypeDef = {
                # Bare addresses: the names are in the message's own headers, encoded and checked.
                "FromEmailAddress": parseaddr(sender)[1],
                "Destination": {"ToAddresses": [recipient]},
                "Content": {"Raw": {"Data": raw}},
                "EmailTags": [{"Name": name, "Value": value} for name, value in (tags or {}).items()],
            }
            if self._configuration_set:
                request["ConfigurationSetName"] = self._configuration_set
            response = self._client.send_email(**request)
        except ClientError as exc:
            code = error_code(exc)
            if code in _TRANSIENT_CODES:
                raise EmailThrottled(code) from exc
            # The code only: SES's message may name the address, and this goes to logs and to the workflow.
            raise EmailRejected(code or type(exc).__name__) from exc
        except BotoCoreError as exc:
            # No answer from SES (connection refused, timed out): most likely not sent, so try again.
            raise EmailThrottled(type(exc).__name__) from exc
        return response.get("MessageId", "")
