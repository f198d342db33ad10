"""Every page and every email's HTML part, in English and French, is valid HTML for the Nu HTML Checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gallery import VARIANTS, email_templates, everything
from tests.html_check import NU_LOG, check

# The slow layer (tests/conftest.py): the Nu HTML Checker, on Java.
pytestmark = pytest.mark.slow

# A document the checker must fault: proof that it ran and read the folder, so that "no errors" means something.
CANARY = '<!doctype html><html lang="en"><title>x</title><time datetime="2024-05-30T16:00:12.345678Z">x</time>'


def test_every_page_and_email_passes_the_nu_html_checker(tmp_path: Path) -> None:
    documents = everything()
    for document in documents:
        (tmp_path / f"{document.name}.html").write_text(document.html, encoding="utf-8")
    (tmp_path / "canary.html").write_text(CANARY, encoding="utf-8")

    errors = check(tmp_path)

    canary = [e for e in errors if e["file"] == "canary.html"]
    assert [e["message"] for e in canary] == [
        "Bad value “2024-05-30T16:00:12.345678Z” for attribute “datetime” on element “time”: "
        "A fraction of a second must be one, two, or three digits."
    ]
    found = [f"{e['file']}:{e.get('lastLine')}: {e['message']}" for e in errors if e not in canary]
    pages = sum(not d.name.startswith("email-") for d in documents)
    NU_LOG.lines.append(
        f"vnu {NU_LOG.version}: {pages} pages and {len(documents) - pages} emails' HTML parts (en and fr): "
        f"{len(found)} errors"
    )
    assert found == [], f"{len(found)} errors in {len(documents)} documents:\n" + "\n".join(found)
    names = {d.name for d in documents}
    for page in ("form", "form-errors", "thanks", "status-confirmed", "review-approve", "voted-waits", "overview"):
        assert {f"{page}.en", f"{page}.fr"} <= names
    # Every email template, in both languages (a template added for a new step is checked without a change here).
    variants = sum(len(VARIANTS.get(name, [{}])) for name in email_templates())
    assert len([name for name in names if name.startswith("email-")]) == 2 * variants >= 2 * 15
