"""Cold start: a fresh Python process imports the app and serves its first request through the Lambda handler.

    python -m bench.cold_start [--runs 20]

Three cases, each a median over fresh processes:
- `form`: the first form GET, from the source tree (bytecode cached by earlier runs, as on a laptop);
- `form_from_zip`: the same from the unpacked deployment zip with no bytecode cache, as Lambda runs it
  (/var/task is read-only, so Python compiles every module it imports, every cold start);
- `form_from_zip_with_bytecode`: the same zip with every module compiled beforehand, which is what
  shipping .pyc files in the zip would give (measured here, not shipped: it costs zip size);
- `submission`: the first stored application, a POST that writes to DynamoDB on the emulator.

Wall time runs from spawning the process to the response; peak RSS is the child's own maxrss.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.common import OFFLINE, PROJECT, emulated_stack, form_get_event, save, say, story, submission_event, summary

CHILD = PROJECT / "bench" / "cold_child.py"
ZIP = PROJECT / "out" / "dev" / "deployment.zip"


def cold_run(
    event: dict[str, Any], environment: dict[str, str], path: Path, no_bytecode: bool = False
) -> dict[str, Any]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "STATE_", "CALL_", "LINK_"))}
    env = base | environment | {"PYTHONPATH": str(path)}
    command = [sys.executable, *(["-B"] if no_bytecode else []), str(CHILD)]
    spawned_at = time.time()
    result = subprocess.run(
        command, input=json.dumps(event), env=env, cwd=path, capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"cold start failed:\n{result.stderr}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    measured["wall_s"] = measured.pop("answered_at") - spawned_at
    return measured


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = {r["status"] for r in runs}
    return {
        "wall": summary([r["wall_s"] for r in runs]),
        "import": summary([r["import_s"] for r in runs]),
        "first_request": summary([r["first_request_s"] for r in runs]),
        "peak_rss": summary([r["max_rss_kib"] / 1024 for r in runs], "MiB"),
        "status": sorted(statuses),
        "heavy_modules_loaded": runs[-1]["loaded"],
        "modules_loaded": runs[-1]["modules"],
    }


def unpacked_zip(target: Path) -> Path:
    if not ZIP.exists():
        subprocess.run([sys.executable, "-m", "deploy.package", "--stage", "dev", "--out", str(ZIP.parent)], check=True)
    with zipfile.ZipFile(ZIP) as archive:
        archive.extractall(target)
    return target


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args(argv).runs

    results: dict[str, Any] = {}
    say(f"… cold start, first form GET ({runs} fresh processes)")
    cold_run(form_get_event(), OFFLINE, PROJECT)  # writes the bytecode cache once, as a laptop has it
    results["form"] = summarise([cold_run(form_get_event(), OFFLINE, PROJECT) for _ in range(runs)])

    say(f"… cold start from the deployment zip, no bytecode cache ({runs} fresh processes)")
    with tempfile.TemporaryDirectory(prefix="cfp-zip-") as unpacked:
        root = unpacked_zip(Path(unpacked))
        results["form_from_zip"] = summarise(
            [cold_run(form_get_event(), OFFLINE, root, no_bytecode=True) for _ in range(runs)]
        )
        compileall.compile_dir(root, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        results["form_from_zip_with_bytecode"] = summarise(
            [cold_run(form_get_event(), OFFLINE, root, no_bytecode=True) for _ in range(runs)]
        )

    say(f"… cold start, first stored submission against the emulator ({runs} fresh processes)")
    with emulated_stack("cold") as stack:
        results["submission"] = summarise(
            [cold_run(submission_event(story(n, "cold")), stack.environment, PROJECT) for n in range(runs)]
        )
    save("cold_start", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
