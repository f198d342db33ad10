"""The one place that builds boto3 clients: lazily, once per service, never at import time."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient


@cache
def _client(service: str) -> Any:
    # boto3 is imported here so that serving the form never pays for it.
    import boto3

    # AWS_ENDPOINT_URL (set by the local stage) points every client at the emulator.
    return boto3.session.Session().client(service)  # type: ignore[call-overload]


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


def reset() -> None:
    """Forget the cached clients (tests start a fresh emulator per test)."""
    _client.cache_clear()
