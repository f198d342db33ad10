"""What a deployed stage reads differently: the link secret from SSM, and its own sender and organisers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib import aws, deps
from chalicelib.links import LinkInvalid, LinkLifetimes, Links
from chalicelib.settings import (
    CALL_FILE,
    CALL_ORGANISERS,
    CALL_OVERRIDES,
    CALL_SENDER,
    LINK_SECRET,
    LINK_SECRET_PARAMETER,
    SettingsError,
    settings,
)
from local.emulator import Emulator
from tests.support import token_of

PROJECT = Path(__file__).resolve().parent.parent
PARAMETER = "/cfp/test/link-secret"
DAY = LinkLifetimes(timedelta(days=1), timedelta(days=1), timedelta(days=1))


@pytest.fixture
def deployed(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The environment a deployed function gets: no LINK_SECRET, the SSM parameter's name instead."""
    emulator.reset()
    monkeypatch.delenv(LINK_SECRET)
    monkeypatch.setenv(LINK_SECRET_PARAMETER, PARAMETER)
    deps.reset()
    yield monkeypatch
    deps.reset()


def test_links_are_signed_with_the_secret_kept_in_ssm(deployed: pytest.MonkeyPatch) -> None:
    aws.ssm().put_parameter(Name=PARAMETER, Value="kept-in-ssm-only", Type="SecureString")

    token = token_of(deps.links().status_url("a-call", "app-123"))

    same_key = Links("kept-in-ssm-only", "http://testserver", DAY)
    assert same_key.read_status(token).application_id == "app-123"
    with pytest.raises(LinkInvalid):
        Links("test-secret-not-for-production", "http://testserver", DAY).read_status(token)


def test_the_secret_is_read_once_per_cold_start(deployed: pytest.MonkeyPatch) -> None:
    aws.ssm().put_parameter(Name=PARAMETER, Value="first", Type="SecureString")
    assert deps.link_secret() == "first"

    aws.ssm().put_parameter(Name=PARAMETER, Value="rotated", Type="SecureString", Overwrite=True)

    assert deps.link_secret() == "first"
    deps.reset()  # a new Lambda container
    assert deps.link_secret() == "rotated"


def test_a_missing_parameter_names_itself(deployed: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match=f"{PARAMETER}: ParameterNotFound"):
        deps.link_secret()


def test_a_stage_without_any_secret_does_not_start(deployed: pytest.MonkeyPatch) -> None:
    deployed.delenv(LINK_SECRET_PARAMETER)
    deps.reset()
    with pytest.raises(SettingsError, match=LINK_SECRET_PARAMETER):
        settings()


def test_the_deployment_gives_its_own_sender_and_organisers(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv(CALL_SENDER, "cfp@example.org")
    deployed.setenv(CALL_ORGANISERS, "ada@example.org, grace@example.org")
    deps.reset()

    call = deps.call()

    assert call.sender == "OW2con'24 CfP <cfp@example.org>"
    assert call.organisers == ("ada@example.org", "grace@example.org")


def test_without_them_the_call_file_decides(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv(CALL_SENDER, "")
    deployed.setenv(CALL_ORGANISERS, "")
    deps.reset()

    call = deps.call()

    assert call.sender == "OW2con'24 CfP <cfp@ow2con.example>"
    assert call.organisers == ("moderator@ow2con.example", "programme@ow2con.example", "ospo-track@ow2con.example")


def test_a_deployed_stage_without_its_public_url_sends_no_link_to_nowhere(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv("STAGE", "prod")
    deployed.delenv("PUBLIC_URL")
    deps.reset()

    with pytest.raises(SettingsError, match="PUBLIC_URL is not set"):
        deps.links()


def test_the_local_run_links_to_its_own_server_by_default(deployed: pytest.MonkeyPatch) -> None:
    deployed.setenv("STAGE", "local")
    deployed.delenv("PUBLIC_URL")
    deps.reset()

    assert settings().public_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(("stage", "verifies"), [("dev", True), ("prod", True), ("local", False)])
def test_double_opt_in_is_on_for_deployed_stages_and_off_in_the_local_tour(
    deployed: pytest.MonkeyPatch, stage: str, verifies: bool
) -> None:
    """On AWS the form could otherwise send the call's emails to any address someone types."""
    environment = json.loads((PROJECT / ".chalice" / "config.json").read_text())["stages"][stage][
        "environment_variables"
    ]
    deployed.setenv(CALL_OVERRIDES, environment["CALL_OVERRIDES"])
    deployed.setenv(CALL_FILE, environment["CALL_FILE"])
    deps.reset()

    assert deps.call().verify_email is verifies
