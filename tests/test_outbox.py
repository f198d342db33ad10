"""The local outbox at any volume: SES's messages only, fetched a little at a time; a clear 503 when
the emulator is slow; no traceback when a reader hangs up; a load script that outlives a failed poll."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from bench.load import OutboxPoll
from chalicelib import aws
from chalicelib.mailer import Mailer
from chalicelib.rendering import Email
from local.emulator import free_port
from local.outbox import EmulatorBusy, Outbox, accepted_count, read_outbox, serve
from tests.support import CfP

# The slow layer (tests/conftest.py): servers of its own that answer late or hang up.
pytestmark = pytest.mark.slow

SENDER = "OW2con'24 CfP <cfp@ow2con.example>"


def send(count: int, start: int = 0) -> None:
    mailer = Mailer(aws.sesv2(), SENDER)
    for number in range(start, start + count):
        mailer.send(f"speaker{number}@example.org", Email(f"Message {number}", "text", "<p>html</p>"))


def test_the_outbox_reads_only_what_is_new_and_starts_again_after_a_reset(cfp: CfP) -> None:
    send(3)
    endpoint = cfp.emulator.endpoint
    assert [(m.number, m.subject) for m in read_outbox(endpoint)] == [
        (1, "Message 0"),
        (2, "Message 1"),
        (3, "Message 2"),
    ]
    assert [(m.number, m.recipients) for m in read_outbox(endpoint, after=2)] == [(3, ["speaker2@example.org"])]
    assert read_outbox(endpoint, after=3) == []
    assert accepted_count(endpoint) == 3

    outbox = Outbox(endpoint)
    assert len(outbox.messages()) == 3
    send(2, start=3)
    assert [m.number for m in outbox.messages()] == [1, 2, 3, 4, 5]

    # A reset empties SES; the outbox must not keep the old messages in front of the new ones.
    cfp = cfp.with_call()
    send(1, start=10)
    assert [(m.number, m.subject) for m in outbox.messages()] == [(1, "Message 10")]


@pytest.fixture
def silent_emulator() -> Iterator[str]:
    """An endpoint that takes connections and never answers: moto busy with a thousand executions."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture
def outbox_on_a_silent_emulator(silent_emulator: str) -> Iterator[str]:
    port = free_port()
    server = serve("127.0.0.1", port, silent_emulator, "http://127.0.0.1:1", "http://127.0.0.1:1/q", 0.5)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_a_slow_emulator_gets_a_clear_503_not_a_hang_up(silent_emulator: str, outbox_on_a_silent_emulator: str) -> None:
    with pytest.raises(EmulatorBusy, match="timed out"):
        read_outbox(silent_emulator, timeout=0.2)

    answer = requests.get(f"{outbox_on_a_silent_emulator}/messages.json", timeout=10)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    body = answer.json()
    assert body["title"] == "The emulated AWS is busy"
    assert "did not answer within 0.5 s" in body["detail"]

    page = requests.get(f"{outbox_on_a_silent_emulator}/", timeout=10)
    assert page.status_code == 503
    assert "<h1>The emulated AWS is busy</h1>" in page.text


def test_a_reader_that_hangs_up_leaves_no_traceback(
    outbox_on_a_silent_emulator: str, capfd: pytest.CaptureFixture[str]
) -> None:
    host, port = outbox_on_a_silent_emulator.removeprefix("http://").split(":")
    reader = socket.create_connection((host, int(port)))
    reader.sendall(b"GET /messages.json HTTP/1.1\r\nHost: outbox\r\n\r\n")
    # Gone before the answer, with a reset rather than a polite close: the answer finds no reader.
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    reader.close()
    time.sleep(1.5)  # the emulator's 0.5 s, then the 503 written to nobody

    assert "Traceback" not in capfd.readouterr().err


REVIEWS = [{"recipients": ["moderator@ow2con.example"], "subject": f"Review {n}"} for n in range(3)]


class FlakyOutbox(BaseHTTPRequestHandler):
    """messages.json that fails its first two polls, then answers with what is after ?after=."""

    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_response(503)
            self.end_headers()
            return
        if type(self).calls == 2:
            self.connection.close()  # cut off without an answer
            return
        after = int(self.path.split("after=")[1])
        body = json.dumps(REVIEWS[after:]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_the_load_script_counts_a_failed_poll_and_tries_again() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyOutbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        poll = OutboxPoll(f"http://127.0.0.1:{server.server_address[1]}/messages.json", timeout=5)
        assert [poll.once(), poll.once(), poll.once(), poll.once()] == [False, False, True, True]
    finally:
        server.shutdown()
    assert (poll.polls, poll.failures) == (4, 2)
    assert "ConnectionError" in poll.last_failure or "ChunkedEncodingError" in poll.last_failure
    assert [m["subject"] for m in poll.messages] == ["Review 0", "Review 1", "Review 2"]
