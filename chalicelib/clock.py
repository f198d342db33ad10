"""The time, in UTC: one clock that services take, and tests replace."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
