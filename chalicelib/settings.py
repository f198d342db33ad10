"""The one module that reads the process environment, and the names of its variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

# Environment variable names, set per stage in .chalice/config.json (or by the local run).
TABLE_NAME = "TABLE_NAME"
TABLE_STREAM_ARN = "TABLE_STREAM_ARN"
TASK_QUEUE_NAME = "TASK_QUEUE_NAME"
STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
LINK_SECRET = "LINK_SECRET"
LINK_SECRET_PARAMETER = "LINK_SECRET_PARAMETER"
PUBLIC_URL = "PUBLIC_URL"
CALL_FILE = "CALL_FILE"
CALL_OVERRIDES = "CALL_OVERRIDES"
CALL_SENDER = "CALL_SENDER"
CALL_ORGANISERS = "CALL_ORGANISERS"
STAGE = "STAGE"
MAX_BODY_BYTES = "MAX_BODY_BYTES"
# The SES configuration set every email is sent with: it sends bounces and complaints to EMAIL_EVENTS_TOPIC.
EMAIL_CONFIGURATION_SET = "EMAIL_CONFIGURATION_SET"
EMAIL_EVENTS_TOPIC = "EMAIL_EVENTS_TOPIC"
# Local runs and tests only: AWS errors to inject around the boto3 clients (see chalicelib/faults.py).
CFP_FAULTS = "CFP_FAULTS"
# Deployed stages only (infra/resources.json): the Strict-Transport-Security header of every response.
STRICT_TRANSPORT_SECURITY = "STRICT_TRANSPORT_SECURITY"

DEFAULT_CALL_FILE = "ow2con24-ospo-heroes.toml"
LOCAL_URL = "http://127.0.0.1:8000"
# Placeholders that let `chalice package` read the decorators before the stack exists;
# the deployed template replaces them with the real ARNs.
PLACEHOLDER_STREAM_ARN = "arn:aws:dynamodb:eu-west-3:123456789012:table/cfp/stream/1970-01-01T00:00:00.000"
DEFAULT_TASK_QUEUE_NAME = "cfp-tasks"
DEFAULT_EMAIL_EVENTS_TOPIC = "cfp-email-events"


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    state_machine_arn: str
    # Exactly one is used: the key itself (local run, tests) or the SSM parameter that holds it (AWS).
    link_secret: str | None
    link_secret_parameter: str | None
    public_url: str  # "" until a deployment knows its URL: emailed links need it (deps.links)
    max_body_bytes: int
    call_file: str
    call_overrides: str
    call_sender: str | None
    call_organisers: tuple[str, ...] | None
    email_configuration_set: str | None

    @classmethod
    def from_env(cls) -> Settings:
        link_secret = _optional(LINK_SECRET)
        link_secret_parameter = _optional(LINK_SECRET_PARAMETER)
        if not (link_secret or link_secret_parameter):
            raise SettingsError(f"set {LINK_SECRET}, or {LINK_SECRET_PARAMETER} to the SSM parameter that holds it")
        stage = os.environ.get(STAGE, "local")
        organisers = tuple(a.strip() for a in os.environ.get(CALL_ORGANISERS, "").split(",") if a.strip())
        return cls(
            stage=stage,
            table_name=_required(TABLE_NAME),
            state_machine_arn=_required(STATE_MACHINE_ARN),
            link_secret=link_secret,
            link_secret_parameter=link_secret_parameter,
            # Only the local run may go without: a deployed stage's emails would link to nowhere.
            public_url=(_optional(PUBLIC_URL) or (LOCAL_URL if stage == "local" else "")).rstrip("/"),
            max_body_bytes=int(os.environ.get(MAX_BODY_BYTES, "") or 32 * 1024),
            call_file=os.environ.get(CALL_FILE, DEFAULT_CALL_FILE),
            call_overrides=os.environ.get(CALL_OVERRIDES, "").strip(),
            call_sender=_optional(CALL_SENDER),
            call_organisers=organisers or None,
            email_configuration_set=_optional(EMAIL_CONFIGURATION_SET),
        )


def _required(name: str) -> str:
    value = _optional(name)
    if not value:
        raise SettingsError(f"the environment variable {name} is not set")
    return value


def _optional(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


@cache
def settings() -> Settings:
    return Settings.from_env()


def table_stream_arn() -> str:
    """Read at import time by the stream handler's decorator, so it must not fail."""
    return os.environ.get(TABLE_STREAM_ARN) or PLACEHOLDER_STREAM_ARN


def task_queue_name() -> str:
    """Read at import time by the queue handler's decorator, so it must not fail."""
    return os.environ.get(TASK_QUEUE_NAME) or DEFAULT_TASK_QUEUE_NAME


def email_events_topic() -> str:
    """Read at import time by the email events handler's decorator, so it must not fail."""
    return os.environ.get(EMAIL_EVENTS_TOPIC) or DEFAULT_EMAIL_EVENTS_TOPIC


def strict_transport_security() -> str:
    """HSTS's policy, or "" for a stage served over http (the local run): read on every response, cheaply."""
    return os.environ.get(STRICT_TRANSPORT_SECURITY, "").strip()


def injected_faults() -> str:
    """The faults to inject (JSON), or "" in production: read when a client is built."""
    return os.environ.get(CFP_FAULTS, "").strip()
