"""Shared by the benchmarks: API Gateway events, statistics, the emulated stack, and the results file.

Only the standard library is imported at module level, so a cold-start child that imports this
pays nothing for it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from local.sample import STORY

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
OPEN_UNTIL = "2099-12-31T23:59:00+01:00"
# The call as the benchmarks run it: open, and without the hourly limits (every request is from 127.0.0.1).
CALL_OVERRIDES = {
    "deadline": OPEN_UNTIL,
    "submissions_per_address_per_hour": 10**9,
    "submissions_per_email_per_hour": 10**9,
}

# Fake credentials and no endpoint at all: the form GET must not need AWS, and nothing reaches it.
OFFLINE = {
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
    "STAGE": "bench",
    "LINK_SECRET": "bench-secret-not-for-production",
    "PUBLIC_URL": "http://127.0.0.1:8000",
    "TABLE_NAME": "unset",
    "STATE_MACHINE_ARN": "arn:aws:states:eu-west-3:123456789012:stateMachine:unset",
    "CALL_OVERRIDES": json.dumps(CALL_OVERRIDES),
}


def story(number: int, tag: str = "") -> dict[str, str]:
    """A valid application whose title (and so its id) differs per run: each one is a new write. Each from a
    mailbox of its own: `ada+tag@` would count as `ada@` against the per-email rate limit."""
    return STORY | {"title": f"{STORY['title']} ({tag}{number})", "email": f"ada.{tag}{number}@example.org"}


def api_event(
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    resource: str | None = None,
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) event, as Lambda hands it to Chalice: `path` as requested,
    routed to `resource` (the path itself by default) with its `parameters`."""
    headers = {"Host": "abc123.execute-api.eu-west-3.amazonaws.com", "Accept": "text/html"} | (headers or {})
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "bench",
            "identity": {"sourceIp": source_ip},
        },
        "body": body,
        "isBase64Encoded": False,
    }


# The call whose form the benchmarks serve and submit to: the default one, at /<its id>/.
CALL_ID = "ow2con24-ospo-heroes"


def form_get_event() -> dict[str, Any]:
    return api_event("GET", f"/{CALL_ID}/", resource="/{call_id}", parameters={"call_id": CALL_ID})


def submission_event(fields: dict[str, str], source_ip: str = "127.0.0.1") -> dict[str, Any]:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    path, parameters = f"/{CALL_ID}/applications", {"call_id": CALL_ID}
    return api_event("POST", path, urlencode(fields), form, source_ip, "/{call_id}/applications", parameters)


@dataclass
class LambdaContext:
    function_name: str = "cfp-bench-api_handler"
    aws_request_id: str = "bench"
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def summary(samples: Sequence[float], unit: str = "s") -> dict[str, Any]:
    """Median, min and max of repeated runs (and how many)."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "unit": unit,
    }


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cores": os.cpu_count(),
        "cpu": cpu,
    }


def save(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine()} | result, indent=2, default=str) + "\n")
    return path


@contextmanager
def unpacked_read_only(zip_path: Path, without_bytecode: bool = False) -> Iterator[Path]:
    """The deployment zip unpacked as Lambda has it in /var/task: read-only (writable again on the way out, so
    that it can be removed); `without_bytecode`: its __pycache__ folders removed."""
    with tempfile.TemporaryDirectory(prefix="cfp-task-") as unpacked:
        root = Path(unpacked) / "task"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root)
        if without_bytecode:
            for cache in list(root.rglob("__pycache__")):
                shutil.rmtree(cache)
        for path in (root, *root.rglob("*")):
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield root
        finally:
            for path in (root, *root.rglob("*")):
                path.chmod(0o755 if path.is_dir() else 0o644)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class EmulatedStack:
    endpoint: str
    environment: dict[str, str]
    table_name: str
    stream_arn: str
    queue_url: str
    state_machine_arn: str


@contextmanager
def emulated_stack(stage: str = "bench", **call_overrides: Any) -> Iterator[EmulatedStack]:
    """moto on a free loopback port with the stack created from infra/, and this process pointed at it."""
    from local import stack
    from local.emulator import Emulator, aws_environment, free_port

    os.environ.update(OFFLINE)
    emulator = Emulator(free_port()).start()
    try:
        os.environ.update(aws_environment(emulator.endpoint))
        os.environ["CALL_OVERRIDES"] = json.dumps(CALL_OVERRIDES | call_overrides)
        from chalicelib import deps

        deps.reset()
        resources = stack.create(stage, deps.calls())
        os.environ.update(resources.environment())
        deps.reset()
        environment = OFFLINE | aws_environment(emulator.endpoint) | resources.environment()
        environment["CALL_OVERRIDES"] = os.environ["CALL_OVERRIDES"]
        yield EmulatedStack(
            emulator.endpoint,
            environment,
            resources.table_name,
            resources.table_stream_arn,
            resources.task_queue_url,
            resources.state_machine_arn,
        )
    finally:
        emulator.stop()
