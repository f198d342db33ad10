"""Fault injection around the boto3 clients, for local runs and tests; inert unless CFP_FAULTS is set.

CFP_FAULTS is a JSON list of faults, each an AWS error raised on one operation a number of times:

    [{"operation": "sesv2.SendEmail", "error": "TooManyRequestsException", "times": 2}]

A cancelled DynamoDB transaction also says why, item by item, as DynamoDB does:

    [{"operation": "dynamodb.TransactWriteItems", "error": "TransactionCanceledException",
      "reasons": ["None", "TransactionConflict"]}]

The operation is `<service id>.<API name>` as botocore names it (sesv2.SendEmail,
sfn.StartExecution, sfn.SendTaskSuccess, dynamodb.PutItem...). The error is raised before the
call reaches AWS, exactly as botocore raises the real one, so the product's own handling runs.

The error `WorkerDied` is no AWS error: it stops the worker where a crash or a Lambda timeout
would, before the call or, with `"when": "after"`, after AWS did it, and nothing of the product
handles it. SQS then delivers the message again, as it would after a dead invocation:

    [{"operation": "sesv2.SendEmail", "error": "WorkerDied", "when": "after"}]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


class WorkerDied(Exception):
    """An injected death: the process stops here, and nothing after this point runs."""


DIED = "WorkerDied"


@dataclass
class Fault:
    operation: str
    error: str
    times: int = 1
    reasons: tuple[str, ...] = ()
    # "before" the call reaches AWS, or "after" AWS did it (only for WorkerDied: an error after the
    # call would be a lie about what AWS answered).
    when: str = "before"
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
    faults = [
        Fault(
            str(e["operation"]),
            str(e["error"]),
            int(e.get("times", 1)),
            tuple(map(str, e.get("reasons", ()))),
            str(e.get("when", "before")),
        )
        for e in entries
    ]
    for fault in faults:
        if fault.when not in ("before", "after") or (fault.when == "after" and fault.error != DIED):
            raise ValueError(f"{fault.operation}: only {DIED} can come after the call, and when is before or after")
    return faults


def attach(client: Any, faults: list[Fault]) -> None:
    """Make the client raise each fault of its service before the matching call."""
    service = client.meta.service_model.service_id.hyphenize()
    for fault in faults:
        fault_service, _, operation = fault.operation.partition(".")
        if fault_service != service:
            continue

        def raise_fault(fault: Fault = fault, operation: str = operation, **_: Any) -> None:
            if fault.take():
                if fault.error == DIED:
                    raise WorkerDied(f"injected death {fault.when} {fault.operation} ({fault.raised}/{fault.times})")
                error: dict[str, Any] = {
                    "Error": {"Code": fault.error, "Message": f"injected fault ({fault.raised}/{fault.times})"}
                }
                if fault.reasons:
                    error["CancellationReasons"] = [{"Code": reason} for reason in fault.reasons]
                raise ClientError(error, operation)  # type: ignore[arg-type]

        client.meta.events.register(f"{fault.when}-call.{service}.{operation}", raise_fault)
