"""The local outbox: every email the emulated SES accepted, readable and clickable in a browser."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from dataclasses import asdict, dataclass
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, select_autoescape

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


def read_outbox(emulator_endpoint: str) -> list[OutboxMessage]:
    """The messages in the order SES accepted them, parsed from moto's model data."""
    with urllib.request.urlopen(f"{emulator_endpoint}/moto-api/data.json", timeout=10) as response:
        data = json.loads(response.read())
    raw_messages = data.get("ses", {}).get("RawMessage", [])
    return [parse(number, raw) for number, raw in enumerate(raw_messages, start=1)]


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


def serve(host: str, port: int, emulator_endpoint: str, app_url: str, dead_letter_url: str) -> ThreadingHTTPServer:
    """Start the outbox page in a background thread and return its server."""

    class OutboxPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path in ASSETS:
                asset, content_type = ASSETS[path]
                self._send(200, content_type, asset.read_text(encoding="utf-8"))
                return
            messages = read_outbox(emulator_endpoint)
            if path in ("", "/"):
                page = _pages.get_template("outbox.html").render(
                    messages=list(reversed(messages)), app_url=app_url, dead_letters=dead_letters(dead_letter_url)
                )
                self._send(200, "text/html; charset=utf-8", page)
            elif path == "/messages.json":
                self._send(200, "application/json", json.dumps([asdict(m) for m in messages], indent=2))
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

        def _send(self, status: int, content_type: str, body: str) -> None:
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer((host, port), OutboxPage)
    threading.Thread(target=server.serve_forever, name="outbox", daemon=True).start()
    return server
