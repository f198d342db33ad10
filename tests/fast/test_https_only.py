"""HSTS: every response of a deployed stage asks browsers for https only, a page, a file, an address no call has,
a refusal (chalicelib/handlers/refusals.py answers inside the middleware) and a one-call address's redirect alike;
the local run, over http, asks nothing."""

from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib import deps
from chalicelib.settings import STRICT_TRANSPORT_SECURITY, TABLE_NAME
from tests.support import DEFAULT_CALL

PATHS = {
    "/": 200,
    "/static/style.css": 200,
    "/no-such-call": 404,
    "/robots.txt": 200,
    f"/{DEFAULT_CALL}/status/not-a-link": 404,  # refused: the link is not ours
    "/openapi.json": 301,  # a one-call version's address
}


@pytest.mark.parametrize("path", PATHS)
def test_a_deployed_stage_asks_for_https_on_every_response(
    path: str, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import app

    monkeypatch.setenv(TABLE_NAME, table)
    deps.reset()
    monkeypatch.setenv(STRICT_TRANSPORT_SECURITY, "max-age=31536000")
    with Client(app, stage_name="test") as client:
        response = client.http.get(path)
        assert response.status_code == PATHS[path]
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.delenv(STRICT_TRANSPORT_SECURITY)
    with Client(app, stage_name="test") as client:
        assert "Strict-Transport-Security" not in client.http.get(path).headers
    deps.reset()
