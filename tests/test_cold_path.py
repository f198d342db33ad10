"""What keeps the cold start small (bench/cold_start.py times it): the form is served without boto3,
and from the deployment zip without pydantic, its templates and its call compiled at packaging."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import unpacked_read_only
from tests.unpacked import run_from

# The slow layer (tests/conftest.py): fresh Python processes, on the packaged zip.
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
HEAVY = ("boto3", "botocore", "icalendar", "itsdangerous", "pydantic")

FIRST_FORM = f"""
response = serve_the_form()
from chalicelib import rendering
report({{"status": response["statusCode"], "body": response["body"],
        "loaded": sorted(name for name in {HEAVY!r} if name in sys.modules),
        "loader": type(rendering.environment().loader).__name__}})
"""
FIRST_LIST = FIRST_FORM.replace("serve_the_form()", "serve_the_calls()")


def test_a_fresh_process_serves_the_form_without_loading_boto3() -> None:
    """From the source tree, the call's file is validated with pydantic when it is first read."""
    served = run_from(PROJECT, FIRST_FORM)
    assert (served["status"], served["loader"]) == (200, "FileSystemLoader")
    assert served["loaded"] == ["pydantic"]


def test_the_zip_serves_the_same_form_without_pydantic(packaged: Path) -> None:
    with unpacked_read_only(packaged / "deployment.zip") as root:
        served = run_from(root, FIRST_FORM)
    assert (served["status"], served["loader"]) == (200, "ModuleLoader")
    assert served["loaded"] == []
    assert served["body"] == run_from(PROJECT, FIRST_FORM)["body"]
    assert "OSPO, you can be heroes!" in served["body"]
    # At /api/ow2con24-ospo-heroes/ (API Gateway's stage path, the call's part, its slash): links relative to it.
    assert '<link rel="stylesheet" href="../static/style.css">' in served["body"]
    assert 'href="../ow2con24-ospo-heroes/?lang=fr"' in served["body"]  # the language switch, to the call's page


def test_the_zip_lists_every_call_without_pydantic(packaged: Path) -> None:
    """The root page reads every call from the zip's JSON: no call file is validated on a cold start."""
    with unpacked_read_only(packaged / "deployment.zip") as root:
        listed = run_from(root, FIRST_LIST)
    assert (listed["status"], listed["loaded"]) == (200, [])
    assert "OSPO, you can be heroes!" in listed["body"] and "Open source in the public sector" in listed["body"]
    assert listed["body"] == run_from(PROJECT, FIRST_LIST)["body"]


def test_overrides_other_than_the_packaged_ones_are_validated_when_read(packaged: Path) -> None:
    """The zip's call was validated with the stage's overrides; other ones go through pydantic, as in the local run."""
    with unpacked_read_only(packaged / "deployment.zip") as root:
        reopened = run_from(root, FIRST_FORM, CALL_OVERRIDES='{"deadline": "2099-12-31T23:59:00+01:00"}')
        broken = run_from(root, FIRST_FORM, CALL_OVERRIDES='{"guest_slots": 0}')
        closed = run_from(root, FIRST_FORM)
    assert (reopened["status"], reopened["loaded"]) == (200, ["pydantic"])
    assert '<form method="post"' in reopened["body"]  # reopened, where the packaged call closed in 2024
    assert "The call is closed" in closed["body"]
    assert broken["status"] == 500
