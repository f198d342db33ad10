"""moto's server, as `python -m moto.server` runs it, with one local-only route for the outbox.

moto's /moto-api/data.json dumps every model of every service, every execution included: past a
few hundred applications it takes longer than an outbox poll can wait. The route below answers
with SES's accepted messages only, from a given number on, so a reader fetches only what is new.

    python -m local.moto_server -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

# The outbox reads this path (local/outbox.py); nothing on AWS answers it.
SES_MESSAGES_PATH = "/_local/ses/raw-messages"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def ses_messages(after: int) -> dict[str, Any]:
    """The raw messages SES accepted, numbered from 1, those after `after`; `first` is the id of
    message 1, which changes when the emulator is reset, so a reader knows to start again."""
    from moto.core.model_instances import model_data

    model = model_data.get("ses", {}).get("RawMessage")
    accepted = list(getattr(model, "instances_tracked", []))  # a copy: SES appends while we read
    return {
        "total": len(accepted),
        "first": accepted[0].id if accepted else None,
        "messages": [
            {"id": m.id, "source": m.source, "destinations": m.destinations, "raw_data": m.raw_data}
            for m in accepted[max(after, 0) :]
        ],
    }


class WithSesMessages:
    """moto's WSGI application, with SES_MESSAGES_PATH answered before it."""

    def __init__(self, moto: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self._moto = moto

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != SES_MESSAGES_PATH:
            return self._moto(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        after = query.get("after", ["0"])[0]
        if not after.isdigit():
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"after must be a message number (0 for all)"]
        body = json.dumps(ses_messages(int(after))).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def main(argv: list[str] | None = None) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    args = parser.parse_args(argv)
    # Its Step Functions interpreter calls the other services at localhost:$MOTO_PORT.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    # Stopped by whoever started it (local/emulator.py blocks Ctrl-C's SIGINT for it).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    moto = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, WithSesMessages(moto), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
