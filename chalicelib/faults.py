"""Fault injection around the boto3 clients, for local runs and tests; inert unless CFP_FAULTS is set.

CFP_FAULTS is a JSON list of faults, each an AWS error raised on one operation a number of times:

    [{"operation": "sesv2.SendEmail", "error": "TooManyRequestsException", "times": 2}]

A cancelled DynamoDB transaction also says why, item by item, as DynamoDB does:

    [{"operation": "dynamodb.TransactWriteItems", "error": "TransactionCanceledException",
      "reasons": ["None", "TransactionConflict"]}]

The operation is `<service id>.<API name>` as botocore names it (sesv2.SendEmail,
sfn.StartExecution, sfn.SendTaskSuccess, dynamodb.PutItem...). The error is raised before the
call reaches AWS, exactly as botocore raises the real one, so the product's own handling runs.
A worker "dying after it sent an email but before it acknowledged" is sfn.SendTaskSuccess failing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


@dataclass
class Fault:
    operation: str
    error: str
    times: int = 1
    reasons: tuple[str, ...] = ()
    raised: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self) -> bool:
        """True while this fault has raises left; counts the one it hands out."""
        with self._lock:
            if self.raised >= self.times:
                return False
            self.raised += 1
            return True


def parse(config: str) -> list[Fault]:
    entries = json.loads(config) if config else []
    return [
        Fault(str(e["operation"]), str(e["error"]), int(e.get("times", 1)), tuple(map(str, e.get("reasons", ()))))
        for e in entries
    ]


def attach(client: Any, faults: list[Fault]) -> None:
    """Make the client raise each fault of its service before the matching call."""
    service = client.meta.service_model.service_id.hyphenize()
    for fault in faults:
        fault_service, _, operation = fault.operation.partition(".")
        if fault_service != service:
            continue

        def raise_fault(fault: Fault = fault, operation: str = operation, **_: Any) -> None:
            if fault.take():
                error: dict[str, Any] = {
                    "Error": {"Code": fault.error, "Message": f"injected fault ({fault.raised}/{fault.times})"}
                }
                if fault.reasons:
                    error["CancellationReasons"] = [{"Code": reason} for reason in fault.reasons]
                raise ClientError(error, operation)  # type: ignore[arg-type]

        client.meta.events.register(f"before-call.{service}.{operation}", raise_fault)
