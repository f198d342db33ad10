"""The Nu HTML Checker (npm vnu-jar, run on Debian's Java), and what it found, for the end of the tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import PROJECT

VNU = PROJECT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@dataclass
class NuLog:
    """Each run of the checker in this session, printed at the end of the tests (conftest.py)."""

    version: str = ""
    lines: list[str] = field(default_factory=list)


NU_LOG = NuLog()


def check(folder: Path) -> list[dict[str, Any]]:
    """Every .html file of the folder through the checker; its errors (warnings are left out), each with its file."""
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: `make node` installs vnu-jar from package-lock.json")
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: install Debian's default-jre-headless (apt-get, as .ci/run does)")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # The checker writes its report to standard error, and exits 1 when it found an error.
    report = json.loads(result.stderr)
    errors: list[dict[str, Any]] = [
        message | {"file": Path(message.get("url", "")).name}
        for message in report["messages"]
        if message["type"] in ("error", "non-document-error")
    ]
    NU_LOG.version = str(report.get("version", "?"))
    return errors
