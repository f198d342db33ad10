"""A second Step Functions for the tests: tests/interpreter.mjs, executions run by npm's aws-local-stepfunctions.

The app and the tests reach it as they reach AWS, through boto3: AWS_ENDPOINT_URL_SFN sends the Step Functions
client there while every other client stays on the emulator (AWS_ENDPOINT_URL), where its task states send their
messages and write the table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from local.emulator import stop_server

SERVER = Path(__file__).resolve().parent / "interpreter.mjs"
PACKAGE = SERVER.parent.parent / "node_modules" / "aws-local-stepfunctions"
# botocore's service-specific endpoint, which outranks AWS_ENDPOINT_URL.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_SFN"


class InterpreterError(RuntimeError):
    pass


@dataclass
class SecondInterpreter:
    port: int
    process: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log: IO[str]) -> SecondInterpreter:
        """Start it beside the emulator that os.environ points at; its errors go to `log`."""
        node = shutil.which("node")
        if node is None or not PACKAGE.is_dir():
            raise InterpreterError("aws-local-stepfunctions is not installed: run `make node` (it needs Node.js)")
        self.process = subprocess.Popen(
            [node, str(SERVER), str(self.port)], env=dict(os.environ), stdout=subprocess.PIPE, stderr=log, text=True
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.stop()
            raise InterpreterError(f"{SERVER.name} did not start; see {log.name}")
        return self

    def stop(self) -> None:
        stop_server(self.process)
