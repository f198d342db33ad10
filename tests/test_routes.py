"""The addresses: each call lives at /<call id>/, beside the app's own addresses, which are found first, by
chalice local's matcher and by API Gateway alike; a call cannot be called as one of them."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from chalice.local import RouteMatcher

from app import app
from chalicelib.call import ROUTE_WORDS, could_be_a_call
from tests.support import DEFAULT_CALL


def test_the_words_no_call_may_be_called_are_the_first_words_of_the_app_s_own_addresses() -> None:
    first_words = {route.split("/")[1] for route in app.routes} - {"", "{call_id}"}
    assert first_words == set(ROUTE_WORDS)
    assert not [word for word in ROUTE_WORDS if could_be_a_call(word)]
    assert could_be_a_call(DEFAULT_CALL)


@pytest.mark.parametrize(
    ("address", "route"),
    [
        ("/", "/"),
        (f"/{DEFAULT_CALL}/", "/{call_id}"),
        (f"/{DEFAULT_CALL}", "/{call_id}"),
        (f"/{DEFAULT_CALL}/applications", "/{call_id}/applications"),
        (f"/{DEFAULT_CALL}/status/t", "/{call_id}/status/{token}"),
        (f"/{DEFAULT_CALL}/status/t/withdraw", "/{call_id}/status/{token}/withdraw"),
        (f"/{DEFAULT_CALL}/review/t", "/{call_id}/review/{token}"),
        ("/applications", "/applications"),
        ("/status/t", "/status/{token}"),
        ("/status/t/withdraw", "/status/{token}/withdraw"),
        ("/review/t", "/review/{token}"),
        ("/overview/t", "/overview/{token}"),
        ("/static/style.css", "/static/{name}"),
        ("/robots.txt", "/robots.txt"),
        ("/openapi.json", "/openapi.json"),
        ("/favicon.ico", "/favicon.ico"),
    ],
)
def test_chalice_local_finds_the_app_s_own_addresses_before_a_call_s(address: str, route: str) -> None:
    assert RouteMatcher(list(app.routes)).match_route(address).route == route


def api_paths(template: dict[str, Any]) -> list[str]:
    [api] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    return list(api["Properties"]["DefinitionBody"]["paths"])


def test_api_gateway_gets_every_address_with_one_name_for_the_call_at_every_level(packaged: Path) -> None:
    """API Gateway's resources are a tree: a part of an address that is a variable must have the same name as
    its siblings' (else the deploy fails), and a fixed part is found before a variable one."""
    paths = api_paths(json.loads((packaged / "sam.json").read_text()))
    assert set(paths) == set(app.routes)
    variables: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        parts = path.strip("/").split("/")
        for depth, part in enumerate(parts):
            if part.startswith("{"):
                variables["/".join(parts[:depth])].add(part)
    assert {parent: names for parent, names in variables.items() if len(names) > 1} == {}
    assert variables[""] == {"{call_id}"}
