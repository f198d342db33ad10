"""schemathesis, driven by the app's own OpenAPI description, against the local run over HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import positive_data_acceptance

from local import process

# The slow layer (tests/conftest.py): a local run, over HTTP.
pytestmark = pytest.mark.slow

UNLIMITED = {"submissions_per_address_per_hour": 1_000_000, "submissions_per_email_per_hour": 1_000_000}


@pytest.fixture(scope="module")
def local_app() -> Iterator[str]:
    overrides = {"deadline": "2099-12-31T23:59:00+01:00", "guest_slots": 2, **UNLIMITED}
    running = process.start({"CALL_OVERRIDES": json.dumps(overrides)})
    yield running.app
    running.stop()


@pytest.fixture(scope="module")
def api(local_app: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{local_app}/openapi.json")


def test_the_description_is_served_and_names_the_fields(local_app: str) -> None:
    description = requests.get(f"{local_app}/openapi.json", timeout=10).json()
    fields = description["components"]["schemas"]["Application"]["properties"]
    assert set(fields) == {"name", "email", "organisation", "kind", "title", "summary", "consent"}
    assert fields["summary"]["maxLength"] == 600
    assert description["servers"] == [{"url": local_app}]
    assert list(description["paths"]) == ["/ow2con24-ospo-heroes/applications"]  # the default call's
    second = requests.get(f"{local_app}/ow2con24-public-sector/openapi.json", timeout=10).json()
    assert list(second["paths"]) == ["/ow2con24-public-sector/applications"]
    assert second["components"]["schemas"]["Application"]["properties"]["summary"]["maxLength"] == 900


def test_the_api_never_errors_and_keeps_its_description(api: schemathesis.BaseSchema) -> None:
    """No 5xx, documented status codes and content types, and responses that match their schemas."""
    tried: list[int] = []
    for result in api.get_all_operations():
        assert not isinstance(result, Err), result  # every operation of the description is valid
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "60")))
        def call(case: schemathesis.Case[Any]) -> None:
            # Not checked: that every schema-valid body is accepted. The form trims spaces before
            # it counts lengths, and refuses control characters, which a schema cannot say.
            response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
            tried.append(response.status_code)
            if response.status_code == 422:
                assert response.json()["errors"], "a 422 names the fields"

        call()
    print(f"schemathesis: {len(tried)} cases, statuses {sorted(set(tried))}")
    assert len(tried) >= 50
