"""Cold start: a fresh Python process imports the app and serves its first request through the Lambda handler.

    python -m bench.cold_start [--runs 20] [--peers]

Each case is a median over fresh processes, run in turn (one of each, then again), so that a busy
moment of a shared machine falls on every case alike:
- `form_from_zip`: the first form GET from the deployment zip (`make package STAGE=dev`) as Lambda
  runs it: unpacked into a read-only directory, `python -B` (nothing written), the stage's
  environment from the template; the bytecode and compiled templates are the zip's own;
- `form_from_zip_without_bytecode`: the same zip with its __pycache__ folders removed, as it was
  before it shipped them: Python compiles every module it imports, every cold start;
- `form`: the first form GET from the source tree (bytecode cached by earlier runs, as on a laptop;
  the call's file is validated with pydantic and the templates compiled on the first request);
- `pretalx` (with --peers, `make bench PEERS=1`): pretalx's cold start to its submission form's
  first step (bench/peers.py);
- `submission_from_zip`: the first stored application from the read-only zip, a POST that writes to
  DynamoDB on the emulator (boto3 comes from the venv behind the zip, as Lambda's runtime has it).

Wall time runs from spawning the process to the response; peak RSS is the child's own maxrss.
Then `python -X importtime` shows where the zip's and the source tree's imports go.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import peers
from bench.common import (
    OFFLINE,
    PROJECT,
    emulated_stack,
    form_get_event,
    save,
    say,
    story,
    submission_event,
    summary,
    unpacked_read_only,
)
from deploy.package import functions_environment

CHILD = PROJECT / "bench" / "cold_child.py"
OUT = PROJECT / "out" / "dev"
ZIP = OUT / "deployment.zip"
# What the stage's template gives its functions, which a cold start from the zip runs with.
STAGE_VARIABLES = ("STAGE", "CALL_FILE", "CALL_OVERRIDES")
IMPORTTIME_RUNS = 5


def cold_run(
    event: dict[str, Any], environment: dict[str, str], path: Path, no_bytecode: bool = False, importtime: bool = False
) -> dict[str, Any]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "STATE_", "CALL_", "LINK_"))}
    env = base | environment | {"PYTHONPATH": str(path)}
    flags = [*(["-B"] if no_bytecode else []), *(["-X", "importtime"] if importtime else [])]
    spawned_at = time.time()
    result = subprocess.run(
        [sys.executable, *flags, str(CHILD)],
        input=json.dumps(event),
        env=env,
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cold start failed:\n{result.stderr}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    measured["wall_s"] = measured.pop("answered_at") - spawned_at
    if importtime:
        measured["importtime"] = result.stderr
    return measured


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "wall": summary([r["wall_s"] for r in runs]),
        "import": summary([r["import_s"] for r in runs]),
        "first_request": summary([r["first_request_s"] for r in runs]),
        "peak_rss": summary([r["max_rss_kib"] / 1024 for r in runs], "MiB"),
        "status": sorted({r["status"] for r in runs}),
        "heavy_modules_loaded": runs[-1]["loaded"],
        "modules_loaded": runs[-1]["modules"],
        "boto3_clients_built": sorted({r.get("boto3_clients_built", 0) for r in runs}),
    }


def import_breakdown(runs: list[dict[str, Any]], largest: int = 10) -> list[dict[str, Any]]:
    """`-X importtime`'s own time of each module, added up by top-level package: the median over the runs."""
    per_run: list[dict[str, int]] = []
    for run in runs:
        totals: dict[str, int] = defaultdict(int)
        for line in run["importtime"].splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, _, name = line.removeprefix("import time:").split("|")
            totals[name.strip().split(".")[0]] += int(own)
        per_run.append(totals)
    packages = {name for totals in per_run for name in totals}
    medians = {name: statistics.median(totals.get(name, 0) for totals in per_run) for name in packages}
    total = statistics.median(sum(totals.values()) for totals in per_run)
    ranked = sorted(medians.items(), key=lambda item: item[1], reverse=True)[:largest]
    return [{"package": name, "ms": us / 1000} for name, us in ranked] + [{"package": "(all)", "ms": total / 1000}]


def stage_environment(template: dict[str, Any]) -> dict[str, str]:
    """STAGE, CALL_FILE and CALL_OVERRIDES as the template sets them for its functions (the same for each)."""
    return {name: value for name in STAGE_VARIABLES if (value := functions_environment(template, name))}


def interleaved(cases: dict[str, Callable[[], dict[str, Any]]], runs: int) -> dict[str, list[dict[str, Any]]]:
    measured: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, run in cases.items():
            measured[name].append(run())
    return measured


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--peers", action="store_true", help="pretalx's cold start too, interleaved (bench/peers.py)")
    arguments = parser.parse_args(argv)
    runs = arguments.runs
    if arguments.peers:
        peers.prepare()
    if not ZIP.exists():
        subprocess.run([sys.executable, "-m", "deploy.package", "--stage", "dev", "--out", str(OUT)], check=True)
    zip_environment = stage_environment(json.loads((OUT / "sam.json").read_text()))
    deployed = OFFLINE | zip_environment
    results: dict[str, Any] = {"zip_stage_environment": zip_environment}

    say(f"… cold starts to the first form, interleaved ({runs} fresh processes each)")
    cold_run(form_get_event(), OFFLINE, PROJECT)  # writes the source tree's bytecode cache once, as a laptop has it
    with unpacked_read_only(ZIP) as root, unpacked_read_only(ZIP, without_bytecode=True) as bare:
        cases: dict[str, Callable[[], dict[str, Any]]] = {
            "form_from_zip": lambda: cold_run(form_get_event(), deployed, root, no_bytecode=True),
            "form_from_zip_without_bytecode": lambda: cold_run(form_get_event(), deployed, bare, no_bytecode=True),
            "form": lambda: cold_run(form_get_event(), OFFLINE, PROJECT),
        }
        if arguments.peers:
            cases["pretalx"] = peers.cold_run
        measured = interleaved(cases, runs)
        results |= {name: summarise(samples) for name, samples in measured.items()}

        say(f"… where the imports go: python -X importtime, {IMPORTTIME_RUNS} runs each")
        results["import_breakdown"] = {
            "form_from_zip": import_breakdown(
                [
                    cold_run(form_get_event(), deployed, root, no_bytecode=True, importtime=True)
                    for _ in range(IMPORTTIME_RUNS)
                ]
            ),
            "form": import_breakdown(
                [cold_run(form_get_event(), OFFLINE, PROJECT, importtime=True) for _ in range(IMPORTTIME_RUNS)]
            ),
        }

        say(f"… cold start from the zip, first stored submission against the emulator ({runs} fresh processes)")
        with emulated_stack("cold") as stack:
            environment = stack.environment | zip_environment
            results["submission_from_zip"] = summarise(
                [
                    # Each from its own address: the call's hourly limit per address stays out of the way.
                    cold_run(submission_event(story(n, "cold"), f"127.0.1.{n % 250 + 1}"), environment, root, True)
                    for n in range(runs)
                ]
            )
        stored = results["submission_from_zip"]["status"]
        if stored != [303]:  # a refusal (429, 422...) would time another path than a stored submission
            raise RuntimeError(f"the cold submissions were answered {stored}, not 303 each: nothing to time")
    save("cold_start", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
