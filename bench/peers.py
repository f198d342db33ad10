"""pretalx 2025.2.2, measured in the same run as this project: `make bench PEERS=1`.

A ratio against a figure taken on another day and machine is not a ratio, so pretalx is installed
from PyPI into its own venv under bench/peers/ (ignored by git) and set up with its stock settings
through a pretalx.cfg (SQLite, DEBUG off): migrated, its static files collected, and one event with
an open CfP. bench/pretalx_child.py then measures, in pretalx's venv:
- its cold start to the first CfP page: a fresh process, `django.setup()`, then one in-process GET
  (Django's test client) of the submission form's first step, following /submit/'s redirect;
- its warm GET of that step, in one process after 20 warm-up GETs.
bench/cold_start.py interleaves the cold starts with this project's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import PROJECT, say
from local import process

VERSION = "2025.2.2"
PEERS = PROJECT / "bench" / "peers"
VENV = PEERS / f"pretalx-{VERSION}"
DATA = PEERS / f"pretalx-{VERSION}-data"
CONFIG = DATA / "pretalx.cfg"
CHILD = PROJECT / "bench" / "pretalx_child.py"


def python() -> Path:
    return VENV / "bin" / "python"


def environment() -> dict[str, str]:
    # This project's settings, and its venv's: pretalx runs in a venv of its own.
    private = (*process.PRIVATE, "PYTHON", "VIRTUAL_ENV")
    base = {k: v for k, v in os.environ.items() if not k.startswith(private)}
    return base | {"PRETALX_CONFIG_FILE": str(CONFIG), "DJANGO_SETTINGS_MODULE": "pretalx.settings"}


def _run(command: list[str], what: str) -> str:
    result = subprocess.run(command, env=environment(), cwd=DATA, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def prepare() -> None:
    """Install pretalx and set up its event, once; later runs find them in bench/peers/."""
    installed = VENV / f".installed-{VERSION}"
    if not installed.exists():
        say(f"… installing pretalx {VERSION} into {VENV.relative_to(PROJECT)} (a few minutes, once)")
        # The venv is made from the interpreter under this project's venv: the same Python.
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"pretalx=={VERSION}"],
            check=True,
        )
        installed.touch()
    ready = DATA / ".ready"
    if not ready.exists():
        say("… setting pretalx up: SQLite, DEBUG off, its static files, one event with an open CfP")
        DATA.mkdir(parents=True, exist_ok=True)
        CONFIG.write_text(
            "# pretalx's stock settings, but for where its files go (bench/peers.py writes this).\n"
            f"[filesystem]\ndata = {DATA / 'data'}\nstatic = {DATA / 'static'}\n\n"
            "[site]\ndebug = False\nurl = http://localhost\n\n"
            "[database]\nbackend = sqlite3\n"
        )
        _run([str(python()), "-m", "pretalx", "migrate", "--noinput"], "pretalx migrate")
        _run([str(python()), "-m", "pretalx", "collectstatic", "--noinput"], "pretalx collectstatic")
        _run([str(python()), str(CHILD), "setup"], "setting up pretalx's event")
        ready.touch()


def _child(*arguments: str) -> dict[str, Any]:
    reported: dict[str, Any] = json.loads(_run([str(python()), str(CHILD), *arguments], "pretalx").splitlines()[-1])
    return reported


def cold_run() -> dict[str, Any]:
    """One cold start to the submission form's first step, timed from spawning the process."""
    spawned_at = time.time()
    measured = _child("cold")
    measured["wall_s"] = measured.pop("answered_at") - spawned_at
    if measured["status"] != 200:
        raise RuntimeError(f"pretalx answered {measured['status']} for its submission form")
    measured["loaded"] = []
    return measured


def warm(gets: int) -> dict[str, Any]:
    return _child("warm", str(gets))
