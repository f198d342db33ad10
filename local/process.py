"""Starts `python -m local.run` (what `make run` starts) as a child process, for tests and bench scripts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local.emulator import free_port, port_is_free

PROJECT = Path(__file__).resolve().parent.parent
# Settings of the calling process that must not leak into the run: it makes its own.
PRIVATE = ("AWS_", "TABLE_", "STATE_", "CALL_", "LINK_", "CFP_", "PUBLIC_URL")


@dataclass
class LocalRun:
    app: str
    outbox: str
    emulator: str
    ports: dict[str, int]
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    _read_all: threading.Event = field(default_factory=threading.Event)

    def stop(self, grace_seconds: float = 30) -> int:
        """Ctrl-C, as a person would; returns the exit code, 0 when it stopped cleanly.

        A run that has not stopped after `grace_seconds` is killed with everything it started (its
        own process group), so that a teardown never leaves an emulator behind; the code is then
        the kill's, which callers that expect a clean stop check."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            self.output.append(f"(did not stop within {grace_seconds:.0f} s of Ctrl-C: killed)\n")
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        return self.process.returncode

    def ports_are_free(self) -> bool:
        return all(port_is_free(port) for port in self.ports.values())

    def printed(self, text: str, timeout: float) -> bool:
        """Wait until a line with `text` is printed (or the run ends); whether it was."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.output):
                return True
            if self._read_all.wait(0.05):
                return any(text in line for line in self.output)
        return False

    def read_output(self) -> None:
        """Keeps reading, so that a busy run never blocks on a full pipe."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
        self._read_all.set()


def start(environment: Mapping[str, str] | None = None) -> LocalRun:
    """Start a local run on free ports and wait until it prints that it is ready."""
    run = launch(environment)
    run.printed("Emulated AWS endpoint", timeout=120)
    if run.process.poll() is not None or not any("✓ ready" in line for line in run.output):
        run.process.kill()
        raise RuntimeError("the local run did not start:\n" + "".join(run.output))
    return run


def launch(environment: Mapping[str, str] | None = None) -> LocalRun:
    """Start a local run on free ports, without waiting for it."""
    ports = {"PORT": free_port(), "MOTO_PORT": free_port(), "OUTBOX_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE)}
    env |= {name: str(port) for name, port in ports.items()} | {"PYTHONPATH": str(PROJECT)} | dict(environment or {})
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "local.run"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, with the emulator it starts
    )
    run = LocalRun(
        app=f"http://127.0.0.1:{ports['PORT']}",
        outbox=f"http://127.0.0.1:{ports['OUTBOX_PORT']}",
        emulator=f"http://127.0.0.1:{ports['MOTO_PORT']}",
        ports=ports,
        process=process,
    )
    threading.Thread(target=run.read_output, name="local-run-output", daemon=True).start()
    return run
