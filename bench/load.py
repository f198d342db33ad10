"""Load: 1,000 applications from 16 concurrent clients to the local run on 127.0.0.1, then count.

    PYTHONPATH=. .venv/bin/python -m bench.load [--applications 1000] [--clients 16]

Starts its own local run (as `make run` does) with the rate limits lifted, sends the applications
in bounded loops, waits until the workflow has caught up, and checks the counts: every application
stored, one execution each, one email per organiser each, no duplicate email, no 5xx. Prints the
time and latency percentiles, and writes bench/results/load.json. The outbox is polled a little
at a time (?after=); a failed poll is counted and tried again, and the figures say how many failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.common import CALL_ID, CALL_OVERRIDES, save
from chalicelib import aws
from chalicelib.stores.table import APPLICATION
from local import process
from local.emulator import aws_environment
from local.moto_server import SES_MESSAGES_PATH

ORGANISER = "moderator@ow2con.example"


def application(number: int) -> dict[str, str]:
    return {
        "name": f"Load Tester {number}",
        "email": f"speaker{number}@example.org",
        "kind": ("good", "bad", "ugly")[number % 3],
        "title": f"OSPO story number {number}",
        "summary": f"Story {number}: how our OSPO learnt to count applications under load, in three minutes.",
        "consent": "on",
    }


class OutboxPoll:
    """Reads the outbox's messages.json a little at a time (?after=), and lives through a failed
    poll: a slow emulator or a dropped connection is counted and tried again, never fatal."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        self.url = url
        self.timeout = timeout
        self.messages: list[dict[str, Any]] = []
        self.polls = 0
        self.failures = 0
        self.last_failure = ""

    def once(self) -> bool:
        """Fetch what is new; False (and a line on the console) when this poll failed."""
        self.polls += 1
        try:
            response = requests.get(self.url, params={"after": len(self.messages)}, timeout=self.timeout)
            response.raise_for_status()
            newer = response.json()
            if not isinstance(newer, list):
                raise ValueError(f"expected a list of messages, got {type(newer).__name__}")
        except (requests.RequestException, ValueError) as exc:
            self.failures += 1
            self.last_failure = f"{type(exc).__name__}: {exc}"[:300]
            print(f"  outbox poll {self.polls} failed ({self.last_failure}); trying again")
            return False
        self.messages += newer
        return True


def emulator_reads(emulator: str, seen: int) -> dict[str, float | str]:
    """How long the outbox's read takes now, beside moto's whole-model dump it replaced."""
    urls = {
        "ses_route_new_only": f"{emulator}{SES_MESSAGES_PATH}?after={seen}",
        "ses_route_all": f"{emulator}{SES_MESSAGES_PATH}?after=0",
        "data_json_all_models": f"{emulator}/moto-api/data.json",
    }
    seconds: dict[str, float | str] = {}
    for name, url in urls.items():
        started = time.perf_counter()
        try:
            requests.get(url, timeout=300).raise_for_status()
        except requests.RequestException as exc:
            seconds[name] = f"failed after {time.perf_counter() - started:.1f} s: {type(exc).__name__}"
            continue
        seconds[name] = round(time.perf_counter() - started, 3)
    return seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--settle-seconds", type=float, default=900, help="how long to wait for the workflow")
    args = parser.parse_args()

    run = process.start({"CALL_OVERRIDES": json.dumps(CALL_OVERRIDES)})
    try:
        return measure(run, args.applications, args.clients, args.settle_seconds)
    finally:
        run.stop()


def measure(run: process.LocalRun, total: int, clients: int, settle_seconds: float) -> int:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    session_per_client = [requests.Session() for _ in range(clients)]

    def send(number: int) -> None:
        session = session_per_client[number % clients]
        started = time.perf_counter()
        # A form's POST answers 303 to its thank-you page: the application is stored by then; the page is
        # not fetched, as a browser would, so each request is the submission alone.
        response = session.post(
            f"{run.app}/{CALL_ID}/applications", data=application(number), timeout=60, allow_redirects=False
        )
        latencies.append(time.perf_counter() - started)
        statuses[response.status_code] += 1

    print(f"… sending {total} applications from {clients} clients to {run.app}")
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(total)))
    sending = time.perf_counter() - began
    print(f"  sent in {sending:.1f} s: {dict(statuses)}")

    print("… waiting for every organiser email")
    poll = OutboxPoll(f"{run.outbox}/messages.json")
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        poll.once()
        if sum(ORGANISER in m["recipients"] for m in poll.messages) >= total:
            break
        time.sleep(2)
    settled = time.perf_counter() - began
    outbox = poll.messages
    reads = emulator_reads(run.emulator, len(outbox))

    os.environ.update(aws_environment(run.emulator))
    dynamodb = aws.dynamodb()
    table = next(t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-applications"))
    stored = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table, FilterExpression="sk = :a", ExpressionAttributeValues={":a": {"S": APPLICATION}}
    ):
        stored += page["Count"]
    sfn = aws.stepfunctions()
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    executions = sum(
        len(p["executions"]) for p in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
    )
    organiser_emails = sum(ORGANISER in m["recipients"] for m in outbox)
    sent = Counter((tuple(m["recipients"]), m["subject"]) for m in outbox)
    duplicates = sum(n - 1 for n in sent.values() if n > 1)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)

    figures = {
        "applications": total,
        "clients": clients,
        "stored": stored,
        "executions": executions,
        "organiser_emails": organiser_emails,
        "emails_in_outbox": len(outbox),
        "duplicate_emails": duplicates,
        "outbox_polls": poll.polls,
        "outbox_polls_failed": poll.failures,
        "outbox_last_failure": poll.last_failure,
        "responses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": server_errors,
        "send_seconds": round(sending, 2),
        "until_last_organiser_email_seconds": round(settled, 2),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p90": round(percentile(latencies, 0.90) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1),
        },
        "requests_per_second": round(total / sending, 1),
        "emulator_read_seconds": reads,
    }
    save("load", figures)
    print(json.dumps(figures, indent=2))
    ok = (
        stored == executions == organiser_emails == total
        and duplicates == 0
        and server_errors == 0
        and statuses.get(303, 0) == total
    )
    print("✓ the counts match" if ok else "✗ the counts do not match")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
