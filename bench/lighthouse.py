"""`make lighthouse`: Lighthouse's accessibility, best-practices and SEO scores of the form, the thank-you page
and the error pages, on a local run (as `make run` starts it) and Debian's chromium.

    PYTHONPATH=. .venv/bin/python -m bench.lighthouse

Writes bench/results/lighthouse.json and prints a table: each page's three scores, and the audits that
kept a score under 100. Not a test: Lighthouse takes about half a minute a page.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from bench.common import CALL_ID, PROJECT, save
from local import process
from local.sample import STORY

LIGHTHOUSE = PROJECT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = Path("/usr/bin/chromium")
CATEGORIES = ("accessibility", "best-practices", "seo")


def pages(app: str) -> dict[str, str]:
    """The pages to score; the thank-you page is the one a real submission leads to."""
    form = f"{app}/{CALL_ID}/"
    sent = requests.post(f"{form}applications", data=STORY, allow_redirects=False, timeout=10)
    if sent.status_code != 303:
        raise RuntimeError(f"the form's POST answered {sent.status_code}, not 303: {sent.text[:200]}")
    return {
        "form": form,
        "thank-you page": urljoin(f"{form}applications", sent.headers["Location"]),
        "error page (400, a review link cut short)": f"{app}/review/not-a-real-link",
        "error page (404, no such address)": f"{app}/no/such/page",
    }


def score(url: str, report: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lighthouse-profile-") as profile:
        flags = f"--headless --no-sandbox --disable-gpu --user-data-dir={profile}"
        subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                f"--only-categories={','.join(CATEGORIES)}",
                f"--chrome-flags={flags}",
                # Lighthouse refuses to score a page answered with 4xx unless told to: an error page is one.
                "--ignore-status-code",
                "--output=json",
                f"--output-path={report}",
                "--quiet",
            ],
            env=os.environ | {"CHROME_PATH": str(CHROMIUM)},
            check=True,
            timeout=300,
        )
    result = json.loads(report.read_text())
    scores = {name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES}
    failing = sorted(
        audit_id
        for name in CATEGORIES
        for ref in result["categories"][name]["auditRefs"]
        if ref["weight"] and (audit_id := ref["id"]) and result["audits"][audit_id]["score"] not in (None, 1)
    )
    return {"url": url, "lighthouse": result["lighthouseVersion"], "scores": scores, "below_100": failing}


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None).parse_args(argv)
    for needed, how in ((LIGHTHOUSE, "`make node` installs lighthouse"), (CHROMIUM, "apt-get install chromium")):
        if not needed.exists():
            print(f"✗ {needed} is missing: {how}", file=sys.stderr)
            return 1
    run = process.start()
    try:
        measured: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as reports:
            for number, (name, url) in enumerate(pages(run.app).items()):
                print(f"… {name}: {url}", flush=True)
                measured[name] = score(url, Path(reports) / f"{number}.json")
    finally:
        run.stop()
    save("lighthouse", measured)
    print(f"\n| Page | {' | '.join(CATEGORIES)} | Audits under 100 |\n| --- |{' --- |' * len(CATEGORIES)} --- |")
    for name, found in measured.items():
        scores = " | ".join(str(found["scores"][c]) for c in CATEGORIES)
        print(f"| {name} | {scores} | {', '.join(found['below_100']) or '–'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
