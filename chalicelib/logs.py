"""Structured logs: one JSON object per line, holding ids, names and outcomes only.

Never pass an email address, a name or a story here; tests read the captured logs to hold us to it.
"""

from __future__ import annotations

import json
import logging

# Not "cfp": that is Chalice's app logger, which does not propagate to the root handler.
log = logging.getLogger("cfp_events")
log.setLevel(logging.INFO)

LogValue = str | int | float | bool | None


def event(name: str, **fields: LogValue) -> None:
    log.info(json.dumps({"event": name, **fields}, sort_keys=True, default=str))
