"""The one place that builds boto3 clients: lazily, once per service, never at import time."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.settings import injected_faults

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

    from chalicelib.faults import Fault


@cache
def _client(service: str) -> Any:
    # boto3 is imported here so that serving the form never pays for it.
    import boto3

    # AWS_ENDPOINT_URL (set by the local stage) points every client at the emulator.
    built = boto3.session.Session().client(service)  # type: ignore[call-overload]
    faults = injected_faults()
    if faults:  # local runs and tests only
        from chalicelib import faults as fault_injection

        fault_injection.attach(built, _faults(faults))
    return built


@cache
def _faults(config: str) -> list[Fault]:
    """One set of counters per configuration, shared by every client of the process."""
    from chalicelib.faults import parse

    return parse(config)


def error_code(exc: ClientError) -> str:
    """The AWS error code of a failed call ("" when it has none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def stepfunctions() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


def sesv2() -> SESV2Client:
    client: SESV2Client = _client("sesv2")
    return client


def ssm() -> SSMClient:
    client: SSMClient = _client("ssm")
    return client


def client(service: str) -> Any:
    """Any other service's client, for the local tools that play AWS's event sources."""
    return _client(service)


def injected() -> list[Fault]:
    """The faults in force and how often each was raised (local runs and tests)."""
    config = injected_faults()
    return _faults(config) if config else []


def reset() -> None:
    """Forget the cached clients (tests start a fresh emulator per test)."""
    _client.cache_clear()
    _faults.cache_clear()
