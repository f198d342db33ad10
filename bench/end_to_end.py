"""Submit → organiser email, on the local run: the whole path a person waits on.

    python -m bench.end_to_end [--runs 50]

Starts `python -m local.run` (what `make run` starts) on free loopback ports, then, one application at
a time: POST it to the form's endpoint over HTTP and time until the first organiser's email is in the
emulated SES. In between: the conditional PutItem, the table's stream, the event-source runner,
StartExecution, the state machine's acknowledgement task through SQS, the worker sending the
acknowledgement, the callback, and the organisers' task through SQS again.

SES's sent-message counter (GetSendQuota) is polled every 10 ms, because it is cheap; the outbox is
read once per application afterwards to check that the email went to an organiser about that story.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from bench.common import CALL_ID, CALL_OVERRIDES, save, say, story, summary
from local import process as local_process

POLL_SECONDS = 0.01


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def wait_until_settled(sent: Callable[[], int], quiet_seconds: float = 1.0, timeout: float = 30) -> int:
    """The counter once it has stopped rising for `quiet_seconds`."""
    deadline = time.monotonic() + timeout
    last, since = sent(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS * 10)
        now = sent()
        if now != last:
            last, since = now, time.monotonic()
        elif now and time.monotonic() - since >= quiet_seconds:
            return now
    raise TimeoutError("the emails of the first application did not settle")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args(argv).runs

    import boto3

    from chalicelib.call import load_call

    organisers = load_call("ow2con24-ospo-heroes.toml").organisers
    say(f"… submit → organiser email on the local run (n={runs})")
    run = local_process.start({"CALL_OVERRIDES": json.dumps(CALL_OVERRIDES)})
    urls = {"app": run.app, "outbox": run.outbox, "emulator": run.emulator}
    try:
        ses = boto3.client(
            "ses",
            endpoint_url=urls["emulator"],
            region_name="eu-west-3",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

        def sent() -> int:
            return int(ses.get_send_quota()["SentLast24Hours"])

        # A first application, untimed: it warms the local run, and it calibrates the counter, which moto
        # raises by more than one for each message SESv2 sends.
        post_json(f"{urls['app']}/{CALL_ID}/applications", story(0, "calibrate") | {"consent": True})
        per_application = wait_until_settled(sent)
        unit = per_application / (1 + len(organisers))

        samples: list[float] = []
        verified = 0
        for number in range(runs):
            before = sent()
            fields = story(number, "e2e") | {"consent": True}
            started = time.perf_counter()
            post_json(f"{urls['app']}/{CALL_ID}/applications", fields)
            deadline = started + 30
            # The acknowledgement is sent first; the next message is the first organiser's.
            while sent() < before + 2 * unit:
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"no organiser email within 30 s for application {number}")
                time.sleep(POLL_SECONDS)
            samples.append(time.perf_counter() - started)
            # Let every organiser's email land before the next application, then check them.
            while sent() < before + per_application and time.perf_counter() < deadline:
                time.sleep(POLL_SECONDS)
            with urllib.request.urlopen(f"{urls['outbox']}/messages.json", timeout=10) as response:
                outbox = json.loads(response.read())
            if any(fields["title"] in m["subject"] and set(m["recipients"]) & set(organisers) for m in outbox):
                verified += 1
    finally:
        run.stop()
    results = {"submit_to_organiser_email": summary(samples), "verified_in_outbox": verified}
    save("end_to_end", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
