"""moto in server mode on loopback: start it, switch on Step Functions execution, reset it; where `make run`'s is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "eu-west-3"
# moto's server (with the outbox's route for SES's messages, local/moto_server.py), deaf to the terminal's
# Ctrl-C (which goes to the whole foreground process group): whoever started it stops it (Emulator.stop),
# once what still talks to it has stopped. SIGINT blocked before the server starts, in every thread it
# will start, never reaches it; SIGTERM (Emulator.stop) and SIGKILL still end it.
IGNORING_CTRL_C = (
    "import signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}); "
    "from local.moto_server import main; main(sys.argv[1:])"
)
PROJECT = Path(__file__).resolve().parent.parent


class EmulatorError(RuntimeError):
    pass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def aws_environment(endpoint: str) -> dict[str, str]:
    """What boto3 needs to talk to the emulator, with credentials that can reach nothing real."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }


@dataclass
class Emulator:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path: str | None = None) -> Emulator:
        if not port_is_free(self.port):
            raise EmulatorError(
                f"port {self.port} is already in use; stop what uses it or choose another with MOTO_PORT=..."
            )
        # The Step Functions interpreter calls SQS and DynamoDB at localhost:$MOTO_PORT.
        env = os.environ | {"MOTO_PORT": str(self.port)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
        # Kept open for the life of the child process, which writes to it.
        output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-c", IGNORING_CTRL_C, "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()
        self.configure()
        return self

    def _wait_until_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EmulatorError(f"the emulator exited with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise EmulatorError(f"the emulator did not answer on {self.endpoint} within {seconds:.0f} s")

    def _post(self, path: str, body: object) -> bytes:
        request = urllib.request.Request(
            f"{self.endpoint}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())

    def configure(self) -> None:
        self._post("/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})

    def reset(self) -> None:
        """Forget every resource and message; the configuration is set again."""
        self._post("/moto-api/reset", {})
        self.configure()

    def stop(self) -> None:
        stop_server(self.process)


def stop_server(process: subprocess.Popen[Any] | None) -> None:
    """End a server this process started: SIGTERM, and SIGKILL if it is still there 10 s later."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_port() -> int:
    """The port of `make run`'s emulator: MOTO_PORT, 5000 by default."""
    return int(os.environ.get("MOTO_PORT", "5000"))


def run_endpoint() -> str:
    """Where `make run`'s emulator answers, for the commands that reach it (make bounce, make revoke-overview)."""
    return Emulator(run_port()).endpoint
