"""Test set-up: fake credentials and the stage environment before the app is imported, the emulator, and the
two layers.

The layers are chosen by cost, here, whatever a test's folder: a test is slow when it takes the emulator (the
`emulator` fixture, or `cfp`, which takes it), takes `packaged` (chalice package), is a property test
(hypothesis: many cases), or is marked `@pytest.mark.slow` (it starts processes or servers of its own: a
local run, a browser, the HTML checker, a shell script). Every other test is fast: `make test-fast` runs it
(`pytest -m "not slow"`), and `make test` runs the fast layer first, then the slow one (`pytest -m slow`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from local.emulator import Emulator, aws_environment, free_port

# Nothing here may reach real AWS: credentials that work nowhere, and an emulator endpoint.
os.environ.update(aws_environment("http://127.0.0.1:1"))
os.environ.update(
    {
        "STAGE": "test",
        "LINK_SECRET": "test-secret-not-for-production",
        "PUBLIC_URL": "http://testserver",
        "TABLE_NAME": "unset-until-the-stack-exists",
        "STATE_MACHINE_ARN": "arn:aws:states:eu-west-3:123456789012:stateMachine:unset",
    }
)

from tests.support import CfP

# Property-based tests: a quick profile in `make test`, a slow one for the record
# (HYPOTHESIS_PROFILE=slow make test-slow: at least 10,000 cases per property).
_shared = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
settings.register_profile("quick", max_examples=80, **_shared)  # type: ignore[arg-type]
settings.register_profile("slow", max_examples=10_000, **_shared)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


# What makes a test slow by the fixtures it takes (tests/conftest.py's docstring).
SLOW_FIXTURES = ("emulator", "packaged")


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by the marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that costs what the fast layer cannot afford `slow`; the others are the fast layer."""
    for item in items:
        takes = getattr(item, "fixturenames", ())
        property_test = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        if property_test or any(fixture in takes for fixture in SLOW_FIXTURES):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One moto server for the session, on a free loopback port."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    running = Emulator(free_port()).start(log_path=str(log))
    os.environ.update(aws_environment(running.endpoint))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package STAGE=prod`, once per session: chalice package is the slow part."""
    from deploy.package import package

    out = tmp_path_factory.mktemp("package") / "prod"
    package("prod", out)
    return out


@pytest.fixture
def cfp(emulator: Emulator) -> Iterator[CfP]:
    """A fresh emulated account with the stack created from infra/, and the app wired to it."""
    emulator.reset()
    harness = CfP.create(emulator)
    yield harness
    harness.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What axe-core found on each page the browser tests opened (tests/test_browser.py), and what the Nu HTML
    Checker found on every page and email (tests/test_html.py)."""
    from tests.browser import AXE_LOG
    from tests.html_check import NU_LOG

    for title, lines in (("axe-core", AXE_LOG.lines()), ("Nu HTML Checker", NU_LOG.lines)):
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.write_line(line)
