"""Sends rendered emails through SES v2, as multipart MIME with a text and an HTML part."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

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


class EmailThrottled(Exception):
    """SES asked us to slow down or failed for a moment: the queue delivers the task again."""


class EmailRejected(Exception):
    """SES refused the message for good (unverified address, malformed recipient...)."""


class Mailer:
    def __init__(self, client: SESV2Client, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        # On AWS, SES reports bounces and complaints through this set (infra/resources.json).
        self._configuration_set = configuration_set

    def send(self, recipient: str, message: Email, recipient_name: str = "", tags: dict[str, str] | None = None) -> str:
        """`tags` travel with the message to SES's bounce and complaint notifications (ASCII letters,
        digits, _ and - only)."""
        try:
            raw = self._mime(recipient, message, recipient_name)
        except ValueError as exc:
            # An address or header the email package refuses (CR/LF, a malformed address): never
            # sendable, and the message names no address, since it reaches the logs.
            raise EmailRejected(f"malformed message: {type(exc).__name__}") from None
        try:
            request: SendEmailRequestTypeDef = {
                "FromEmailAddress": self._sender,
                "Destination": {"ToAddresses": [recipient]},
                "Content": {"Raw": {"Data": raw}},
                "EmailTags": [{"Name": name, "Value": value} for name, value in (tags or {}).items()],
            }
            if self._configuration_set:
                request["ConfigurationSetName"] = self._configuration_set
            response = self._client.send_email(**request)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _TRANSIENT_CODES:
                raise EmailThrottled(code) from exc
            # The code only: SES's message may name the address, and this goes to logs and to the workflow.
            raise EmailRejected(code or type(exc).__name__) from exc
        except BotoCoreError as exc:
            # No answer from SES (connection refused, timed out): most likely not sent, so try again.
            raise EmailThrottled(type(exc).__name__) from exc
        return response.get("MessageId", "")

    def _mime(self, recipient: str, message: Email, recipient_name: str) -> bytes:
        mime = EmailMessage()
        mime["From"] = self._sender
        # Address() refuses CR/LF, so no header can be injected through a name.
        mime["To"] = Address(display_name=recipient_name, addr_spec=recipient) if recipient_name else recipient
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False)
        mime["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2].rstrip(">") or None)
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
        return mime.as_bytes()  # folding the headers is where some malformed addresses are refused
