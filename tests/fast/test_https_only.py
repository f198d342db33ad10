"""HSTS: every response of a deployed stage asks browsers for https only; the local run, over http, asks nothing."""

from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib.settings import STRICT_TRANSPORT_SECURITY


@pytest.mark.parametrize("path", ["/", "/static/style.css", "/no-such-page", "/robots.txt"])
def test_a_deployed_stage_asks_for_https_on_every_response(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from app import app

    monkeypatch.setenv(STRICT_TRANSPORT_SECURITY, "max-age=31536000")
    with Client(app, stage_name="test") as client:
        assert client.http.get(path).headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.delenv(STRICT_TRANSPORT_SECURITY)
    with Client(app, stage_name="test") as client:
        assert "Strict-Transport-Security" not in client.http.get(path).headers
