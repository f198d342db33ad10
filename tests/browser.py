"""The browser tests' tools: Debian's chromium driven by Playwright, axe-core on each page, screenshots."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize

from tests.support import PROJECT

# Playwright cannot download its own browser here: it drives the one apt installs (.ci/run does).
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking switches, chromium keeps calling home on a network it cannot reach.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SOURCE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = PROJECT / "out" / "browser"
PHONE = ViewportSize(width=360, height=780)
# An email is shown inside a mail client's page, which owns the landmarks: a <main> in the email
# would be a second one there. These two page rules do not apply to an email's HTML.
EMAIL_IN_A_CLIENT = ("landmark-one-main", "region")
DESKTOP = ViewportSize(width=1100, height=900)
# The overview uses the whole width of a desktop's screen.
WIDE = ViewportSize(width=1440, height=900)


def launch(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install -y chromium chromium-driver, as .ci/run does), then run make test again"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class AxeResult:
    page: str
    url: str
    violations: list[dict[str, Any]]
    passes: int
    incomplete: int
    rules_off: tuple[str, ...] = ()


@dataclass
class AxeLog:
    """Every page axe-core checked in this run, printed at the end of the tests (conftest.py)."""

    results: list[AxeResult] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.results:
            return []
        version = _axe_version()
        lines = [f"axe-core {version}: {len(self.results)} pages checked"]
        for result in self.results:
            lines.append(
                f"  {result.page:<42} {len(result.violations)} violations, "
                f"{result.passes} rules passed, {result.incomplete} to review by hand"
                + (f" (not applied: {', '.join(result.rules_off)})" if result.rules_off else "")
            )
        return lines


AXE_LOG = AxeLog()


def _axe_version() -> str:
    manifest = json.loads((AXE_SOURCE.parent / "package.json").read_text())
    return str(manifest["version"])


def check_page(page: Page, name: str, rules_off: tuple[str, ...] = ()) -> AxeResult:
    """axe-core's rules (WCAG 2.x A and AA, and best practices) on the page as it is now; none may fail.

    The page must also fit its viewport: nothing wider than the screen, so no sideways scrolling.
    """
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: `make node` installs axe-core from package-lock.json")
    page.evaluate(AXE_SOURCE.read_text())
    found = page.evaluate(
        """async (rulesOff) => {
            const rules = Object.fromEntries(rulesOff.map(id => [id, {enabled: false}]));
            const results = await axe.run(document, {resultTypes: ["violations"], rules});
            return {
                violations: results.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary),
                })),
                passes: results.passes.length,
                incomplete: results.incomplete.length,
            };
        }""",
        list(rules_off),
    )
    result = AxeResult(name, page.url, found["violations"], found["passes"], found["incomplete"], rules_off)
    AXE_LOG.results.append(result)
    assert result.violations == [], f"axe-core finds problems on {name} ({page.url}):\n" + json.dumps(
        result.violations, indent=2
    )
    width = page.viewport_size["width"] if page.viewport_size else 0
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow} px wide on a {width} px screen"
    return result


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
