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
PUBLIC_URL = "PUBLIC_URL"
CALL_FILE = "CALL_FILE"
CALL_OVERRIDES = "CALL_OVERRIDES"
STAGE = "STAGE"

DEFAULT_CALL_FILE = "ow2con24-ospo-heroes.toml"
# Placeholders that let `chalice package` read the decorators before the stack exists;
# the deployed template replaces them with the real ARNs.
PLACEHOLDER_STREAM_ARN = "arn:aws:dynamodb:eu-west-3:123456789012:table/cfp/stream/1970-01-01T00:00:00.000"
DEFAULT_TASK_QUEUE_NAME = "cfp-tasks"


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    state_machine_arn: str
    link_secret: str
    public_url: str
    call_file: str
    call_overrides: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            stage=os.environ.get(STAGE, "local"),
            table_name=_required(TABLE_NAME),
            state_machine_arn=_required(STATE_MACHINE_ARN),
            link_secret=_required(LINK_SECRET),
            public_url=os.environ.get(PUBLIC_URL, "http://127.0.0.1:8000").rstrip("/"),
            call_file=os.environ.get(CALL_FILE, DEFAULT_CALL_FILE),
            call_overrides=os.environ.get(CALL_OVERRIDES, "").strip(),
        )


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"the environment variable {name} is not set")
    return value


@cache
def settings() -> Settings:
    return Settings.from_env()


def table_stream_arn() -> str:
    """Read at import time by the stream handler's decorator, so it must not fail."""
    return os.environ.get(TABLE_STREAM_ARN) or PLACEHOLDER_STREAM_ARN


def task_queue_name() -> str:
    """Read at import time by the queue handler's decorator, so it must not fail."""
    return os.environ.get(TASK_QUEUE_NAME) or DEFAULT_TASK_QUEUE_NAME
