"""The local outbox: every email the emulated SES accepted, readable and clickable in a browser."""

from __future__ import annotations

import json
import re
import sys
import threading
import urllib.request
from dataclasses import asdict, dataclass
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from botocore.exceptions import BotoCoreError, ClientError
from jinja2 import Environment, FileSystemLoader, select_autoescape

from local.moto_server import SES_MESSAGES_PATH

LINK = re.compile(r"https?://[^\s<>\"')]+")
TEMPLATES = Path(__file__).parent / "templates"
_pages = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
# The outbox wears the app's own stylesheet, and its one script.
ASSETS = {
    "/style.css": (Path(__file__).parent.parent / "chalicelib" / "static" / "style.css", "text/css; charset=utf-8"),
    "/outbox.js": (TEMPLATES / "outbox.js", "text/javascript; charset=utf-8"),
}


@dataclass(frozen=True)
class OutboxMessage:
    number: int
    id: str
    sender: str
    recipients: list[str]  # the addresses SES was given and found in the headers
    to: str  # the To header as a mail client shows it, names decoded
    subject: str
    text: str
    html: str
    links: list[tuple[str, str]]
    attachments: list[tuple[str, str, str]]  # file name, content type, text content
    # The From header as a mail client shows it: each call sends in its own name.
    sent_by: str = ""


class EmulatorBusy(Exception):
    """The emulator did not answer in time (it may be running many executions), or not at all."""


# An outbox poll waits this long for the emulator; a browser or a script then tries again.
EMULATOR_TIMEOUT_SECONDS = 5.0


def _accepted(emulator_endpoint: str, after: int, timeout: float) -> dict[str, Any]:
    """SES's raw messages after number `after`, from the emulator's own route (local/moto_server.py)."""
    url = f"{emulator_endpoint}{SES_MESSAGES_PATH}?after={after}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            page: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as exc:  # refused, timed out, cut off, or half an answer
        raise EmulatorBusy(f"{type(exc).__name__}: {exc}") from exc
    return page


def read_outbox(
    emulator_endpoint: str, after: int = 0, timeout: float = EMULATOR_TIMEOUT_SECONDS
) -> list[OutboxMessage]:
    """The messages in the order SES accepted them, those after number `after`; raises EmulatorBusy."""
    page = _accepted(emulator_endpoint, after, timeout)
    return [parse(number, raw) for number, raw in enumerate(page["messages"], start=after + 1)]


def accepted_count(emulator_endpoint: str, timeout: float = EMULATOR_TIMEOUT_SECONDS) -> int:
    """How many messages SES accepted so far: the route's total, without fetching any message (none is after
    the last possible number); raises EmulatorBusy."""
    return int(_accepted(emulator_endpoint, sys.maxsize, timeout)["total"])


class Outbox:
    """The outbox as its page reads it: each message parsed once, each poll fetching only the new ones."""

    def __init__(self, emulator_endpoint: str, timeout: float = EMULATOR_TIMEOUT_SECONDS) -> None:
        self._endpoint = emulator_endpoint
        self._timeout = timeout
        self._messages: list[OutboxMessage] = []
        self._first: str | None = None
        self._lock = threading.Lock()

    def messages(self) -> list[OutboxMessage]:
        """Every message so far; raises EmulatorBusy."""
        with self._lock:
            page = _accepted(self._endpoint, len(self._messages), self._timeout)
            if page["first"] != self._first or page["total"] < len(self._messages):
                # The emulator was reset: its messages are new ones, from number 1.
                self._messages, self._first = [], page["first"]
                page = _accepted(self._endpoint, 0, self._timeout)
            start = len(self._messages) + 1
            self._messages += [parse(number, raw) for number, raw in enumerate(page["messages"], start=start)]
            return list(self._messages)


def parse(number: int, raw: dict[str, Any]) -> OutboxMessage:
    mime: EmailMessage = message_from_string(raw["raw_data"], policy=policy.default)
    text_part = mime.get_body(preferencelist=("plain",))
    html_part = mime.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else ""
    return OutboxMessage(
        number=number,
        id=raw["id"],
        sender=raw["source"],
        recipients=list(dict.fromkeys(address for _, address in getaddresses(raw["destinations"]))),
        to=str(mime["To"] or ""),
        subject=str(mime["Subject"]),
        text=text,
        html=html,
        links=labelled_links(text),
        attachments=[
            (part.get_filename() or "", part.get_content_type(), str(part.get_content()))
            for part in mime.iter_attachments()
            if part.get_content_maintype() == "text"
        ],
        sent_by=str(mime["From"] or ""),
    )


def labelled_links(text: str) -> list[tuple[str, str]]:
    """Each link of the text part, named by the line above it ('Approve (opens a page…):' -> 'Approve')."""
    links: list[tuple[str, str]] = []
    previous = ""
    for line in text.splitlines():
        for url in LINK.findall(line):
            label = re.split(r"[(:]", previous, maxsplit=1)[0].strip() or "Link"
            links.append((label, url))
        if line.strip():
            previous = line.strip()
    return links


def dead_letters(queue_url: str) -> list[dict[str, str]]:
    """The messages in the dead-letter queue, peeked at without taking them."""
    from chalicelib import aws

    response = aws.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
    )
    return [
        {"id": m["MessageId"], "body": m["Body"], "received": m["Attributes"].get("ApproximateReceiveCount", "")}
        for m in response.get("Messages", [])
    ]


def _linkify(text: str) -> str:
    from markupsafe import Markup, escape

    escaped = str(escape(text))
    return Markup(LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))


_pages.filters["linkify"] = _linkify


def serve(
    host: str,
    port: int,
    emulator_endpoint: str,
    app_url: str,
    dead_letter_url: str,
    emulator_timeout: float = EMULATOR_TIMEOUT_SECONDS,
) -> ThreadingHTTPServer:
    """Start the outbox page in a background thread and return its server."""
    outbox = Outbox(emulator_endpoint, emulator_timeout)

    class OutboxPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            path = url.path
            if path in ASSETS:
                asset, content_type = ASSETS[path]
                self._send(200, content_type, asset.read_text(encoding="utf-8"))
                return
            try:
                messages = outbox.messages()
                letters = dead_letters(dead_letter_url) if path in ("", "/") else []
            except (EmulatorBusy, BotoCoreError, ClientError) as exc:
                self._busy(path, exc)
                return
            if path in ("", "/"):
                page = _pages.get_template("outbox.html").render(
                    messages=list(reversed(messages)), app_url=app_url, dead_letters=letters
                )
                self._send(200, "text/html; charset=utf-8", page)
            elif path == "/messages.json":
                # ?after=N: only the messages after number N, for a reader that has the others.
                after = parse_qs(url.query).get("after", ["0"])[0]
                newer = messages[int(after) :] if after.isdigit() else messages
                self._send(200, "application/json", json.dumps([asdict(m) for m in newer], indent=2))
            elif path.startswith("/messages/") and path.removeprefix("/messages/").isdigit():
                number = int(path.removeprefix("/messages/"))
                if not 1 <= number <= len(messages):
                    self._send(404, "text/plain; charset=utf-8", f"No message number {number}.")
                    return
                self._send(
                    200,
                    "text/html; charset=utf-8",
                    _pages.get_template("message.html").render(message=messages[number - 1], app_url=app_url),
                )
            else:
                self._send(404, "text/plain; charset=utf-8", "Not found. The outbox is at /.")

        def _busy(self, path: str, exc: Exception) -> None:
            """The emulator is slow or gone: say so, and when to try again, instead of hanging up."""
            title = "The emulated AWS is busy"
            detail = (
                f"moto did not answer within {emulator_timeout:g} s ({exc}): it may be "
                "running many executions at once. Reload in a few seconds; if it goes on, read .local/moto.log."
            )
            headers = {"Retry-After": "5"}
            if path.endswith(".json"):
                self._send(503, "application/json", json.dumps({"title": title, "detail": detail}), headers)
            else:
                page = _pages.get_template("busy.html").render(title=title, detail=detail, app_url=app_url)
                self._send(503, "text/html; charset=utf-8", page, headers)

        def _send(self, status: int, content_type: str, body: str, headers: dict[str, str] | None = None) -> None:
            payload = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the reader gave up waiting (a poll's timeout, a closed tab): nobody to answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer((host, port), OutboxPage)
    threading.Thread(target=server.serve_forever, name="outbox", daemon=True).start()
    return server
