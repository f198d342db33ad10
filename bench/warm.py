"""Warm requests through the Lambda handler, in one process: the form GET, and a stored submission.

    python -m bench.warm [--gets 2000] [--posts 200] [--peers]

The process is pinned to one core. With --peers, pretalx's warm GET of its submission form's first
step is measured between blocks of ours, on the same core (bench/peers.py). A submission's time is
split into the app's own time and the time spent waiting on the emulator (every botocore HTTP send,
timed): moto on loopback answers a PutItem in milliseconds, where DynamoDB in the same region takes a
few.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import peers
from bench.common import (
    OFFLINE,
    LambdaContext,
    emulated_stack,
    form_get_event,
    save,
    say,
    story,
    submission_event,
    summary,
)

# pretalx's warm GETs per block: each block is a fresh process, its session as a visitor's would be.
PEER_GETS = 100


class SendTimer:
    """Adds up the time botocore spends sending requests and waiting for their answers."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def install(self) -> None:
        from botocore.endpoint import Endpoint

        original: Callable[..., Any] = Endpoint._send
        timer = self

        def timed_send(endpoint: Any, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(endpoint, request)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.calls += 1

        Endpoint._send = timed_send  # type: ignore[method-assign]


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"core {core}"
    return "not pinned"


def form_gets(app: Any, n: int, peer: Callable[[], dict[str, Any]] | None = None) -> dict[str, Any]:
    """`n` GETs in chunks of 200; with `peer`, pretalx's warm GETs run between every two chunks, on the same core."""
    event, context = form_get_event(), LambdaContext()
    for _ in range(50):  # the first requests compile the template and build the call
        assert app(event, context)["statusCode"] == 200
    samples: list[float] = []
    # Throughput per chunk of 200, so that one stall of a shared machine shows as one slow chunk.
    rates: list[float] = []
    theirs: list[float] = []
    for chunk in range(max(1, n // 200)):
        if peer and chunk % 2 == 0:
            theirs += peer()["samples"]
        started = time.perf_counter()
        for _ in range(200):
            begun = time.perf_counter()
            response = app(event, context)
            samples.append(time.perf_counter() - begun)
            assert response["statusCode"] == 200
        rates.append(200 / (time.perf_counter() - started))
    measured = {
        "latency": summary(samples),
        "per_second": statistics.median(rates),
        "per_second_runs": summary(rates, "requests/s"),
        "body_bytes": len(response["body"]),
    }
    if theirs:
        measured["pretalx_latency"] = summary(theirs)
    return measured


def submissions(app: Any, n: int) -> dict[str, Any]:
    timer = SendTimer()
    timer.install()
    context = LambdaContext()
    for number in range(5):  # the first build the boto3 client and the models
        assert app(submission_event(story(number, "warmup")), context)["statusCode"] == 303
    totals: list[float] = []
    in_app: list[float] = []
    in_emulator: list[float] = []
    calls: list[int] = []
    for number in range(n):
        event = submission_event(story(number, "warm"))
        timer.seconds, timer.calls = 0.0, 0
        begun = time.perf_counter()
        response = app(event, context)
        total = time.perf_counter() - begun
        assert response["statusCode"] == 303, response  # the form's POST redirects to its thank-you page
        totals.append(total)
        in_emulator.append(timer.seconds)
        in_app.append(total - timer.seconds)
        calls.append(timer.calls)
    return {
        "latency": summary(totals),
        "app_time": summary(in_app),
        "emulator_time": summary(in_emulator),
        "aws_calls_per_submission": summary(calls, "calls"),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--peers", action="store_true", help="pretalx's warm GETs too, interleaved (bench/peers.py)")
    arguments = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with emulated_stack("warm") as stack:
        # Pinned once the emulator runs, so that moto keeps the other core, as DynamoDB would be elsewhere.
        results["pinned"] = pinned = pin_to_one_core()
        os.environ.update(stack.environment)
        from app import app

        say(f"… warm form GET through the handler (n={arguments.gets}, {pinned})")
        if arguments.peers:
            say(f"  with pretalx's warm GET of its first step between every 400 (n={PEER_GETS} each time)")
        peer = (lambda: peers.warm(PEER_GETS)) if arguments.peers else None
        results["form_get"] = form_gets(app, arguments.gets, peer)
        say(f"… warm submission POST with its DynamoDB write on the emulator (n={arguments.posts})")
        results["submission"] = submissions(app, arguments.posts)
    os.environ.update(OFFLINE)
    save("warm", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
