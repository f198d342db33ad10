"""`make restore STAGE=… AT=…`: the stage's table as it was at a moment, brought back into the table itself.

    python -m deploy.restore --stage prod --at 2026-05-30T09:00:00Z      # point-in-time recovery
    python -m deploy.restore --stage prod --backup arn:aws:dynamodb:…    # a backup (what make destroy leaves)

DynamoDB restores to a new table, never in place. Rather than pointing the stack at another table (its
TABLE_NAME, its stream's event source, and the state machine's substitutions, which running executions keep
from the definition they started with), the copy's items are brought back under the stack's own table, whose
name and stream nothing has to learn:
1. restore the copy, `<table>-restored-<moment>`, and wait until it is ACTIVE;
2. pause the stage's writers: the API and the bounce handler get a reserved concurrency of 0 (the site
   answers errors meanwhile; SNS's notifications are retried by Lambda for hours), and the task queue's
   event source is disabled (tasks wait on the queue);
3. write every item of the copy whose retention has not ended into the table, and delete the table's items
   the copy does not hold. An application written back this way is no submission: the stream function
   starts no review for it (workflow.is_submission);
4. resume the stage, and delete the copy.

Reviews that moved since the moment keep running on the restored items; what they did after it is not
undone (README, "Restore"). `--stage local` reaches make run's emulator (MOTO_PORT), where step 2 finds
nothing to pause: make run's functions are chalice local and its event pump.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib import aws
from deploy.stack import NoStack, stack_outputs

# The copy is encrypted as the table is (SSEEnabled: DynamoDB's AWS managed key).
ENCRYPTED = {"Enabled": True, "SSEType": "KMS"}


class RestoreFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Restored:
    copy: str
    written: int
    deleted: int
    expired: int


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def moment(text: str) -> datetime:
    """AT, an ISO 8601 moment with its offset (2026-05-30T09:00:00Z, 2026-05-30T11:00:00+02:00)."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise RestoreFailed(f"AT={text!r} is not a moment: write it as 2026-05-30T09:00:00Z") from exc
    if parsed.tzinfo is None:
        raise RestoreFailed(f"AT={text!r} has no time zone: add Z for UTC, or its offset (+02:00)")
    return parsed


def restore(stage: str, at: datetime | None = None, backup: str | None = None) -> Restored:
    """Bring the table of the stack cfp-<stage> back to `at` (point-in-time recovery) or to `backup`."""
    try:
        outputs = stack_outputs(stage)
    except NoStack as exc:
        raise RestoreFailed(str(exc)) from exc
    table = outputs["TableName"]
    dynamodb = aws.dynamodb()
    copy = _restore_copy(dynamodb, table, at, backup)
    with _paused(f"cfp-{stage}"):
        written, deleted, expired = _bring_back(dynamodb, copy, table)
        say(f"✓ {table} holds the copy's {written} items ({expired} past their retention left out, {deleted} deleted)")
    dynamodb.delete_table(TableName=copy)
    say(f"✓ the copy {copy} is deleted")
    return Restored(copy, written, deleted, expired)


def _restore_copy(dynamodb: Any, table: str, at: datetime | None, backup: str | None) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    copy = f"{table}-restored-{stamp}"
    if backup:
        say(f"… restoring the backup {backup} into {copy}")
        dynamodb.restore_table_from_backup(TargetTableName=copy, BackupArn=backup, SSESpecificationOverride=ENCRYPTED)
    else:
        if at is None:
            raise RestoreFailed("say when: AT=2026-05-30T09:00:00Z, or BACKUP=<the backup's ARN>")
        recovery = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        window = recovery.get("PointInTimeRecoveryDescription", {})
        if window.get("PointInTimeRecoveryStatus") != "ENABLED":
            raise RestoreFailed(f"point-in-time recovery is off on {table}: the template turns it on, deploy again")
        earliest: datetime = window["EarliestRestorableDateTime"]
        if not earliest <= at <= datetime.now(UTC):
            raise RestoreFailed(
                f"{table} can be restored from {earliest.isoformat()} until now, not to {at.isoformat()}"
            )
        say(f"… restoring {table} as it was at {at.isoformat()} into {copy}")
        from botocore.exceptions import ClientError

        try:
            dynamodb.restore_table_to_point_in_time(
                SourceTableName=table, TargetTableName=copy, RestoreDateTime=at, SSESpecificationOverride=ENCRYPTED
            )
        except ClientError as exc:
            if aws.error_code(exc) != "InvalidRestoreTimeException":
                raise
            # DynamoDB's latest restorable moment is usually about five minutes ago.
            latest = window.get("LatestRestorableDateTime")
            raise RestoreFailed(f"{table} cannot be restored to {at.isoformat()} yet (latest: {latest}): wait") from exc
    _wait_until_active(dynamodb, copy)
    say(f"✓ {copy} is ready")
    return copy


def _wait_until_active(dynamodb: Any, table: str, seconds: float = 4 * 3600) -> dict[str, Any]:
    """A restore takes minutes to hours, the bigger the table the longer; a stream change, seconds."""
    deadline = time.monotonic() + seconds
    while True:
        description: dict[str, Any] = dynamodb.describe_table(TableName=table)["Table"]
        if description["TableStatus"] == "ACTIVE":
            return description
        if time.monotonic() > deadline:
            raise RestoreFailed(f"{table} is still {description['TableStatus']} after {seconds / 3600:g} hours")
        time.sleep(5)


@contextmanager
def _paused(stack: str) -> Iterator[None]:
    """The stage's writers stopped while the table changes under them, and started again whatever happens."""
    functions, mappings = _writers(stack)
    lambda_ = aws.client("lambda")
    if functions or mappings:
        say(f"… pausing {', '.join(functions)} and the task queue's event source")
    else:
        say("… no function to pause (the local run)")
    paused: list[tuple[str, str]] = []  # ("function", name) or ("mapping", uuid), to resume
    try:
        for function in functions:
            lambda_.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
            paused.append(("function", function))
        for uuid in mappings:
            lambda_.update_event_source_mapping(UUID=uuid, Enabled=False)
            paused.append(("mapping", uuid))
        yield
    finally:
        for kind, name in paused:
            if kind == "function":
                lambda_.delete_function_concurrency(FunctionName=name)
            else:
                lambda_.update_event_source_mapping(UUID=name, Enabled=True)
        if paused:
            say("✓ the stage runs again")


def _writers(stack: str) -> tuple[list[str], list[str]]:
    """The API and bounce handler functions, and the task queue's event source mapping, of the stack."""
    described = aws.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    # moto also lists, without ids, the resources a condition left out.
    resources = [r for r in described if r.get("LogicalResourceId") and r.get("PhysicalResourceId")]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    functions = [physical[name] for name in ("APIHandler", "RecordEmailEvents") if physical.get(name)]
    mappings = [
        r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == "AWS::Lambda::EventSourceMapping" and r["LogicalResourceId"].startswith("RunTask")
    ]
    return functions, mappings


def _bring_back(dynamodb: Any, copy: str, table: str) -> tuple[int, int, int]:
    """Make the table hold what the copy holds: (items written, items deleted, items left out as expired)."""
    now = int(time.time())
    kept: set[tuple[str, str]] = set()
    expired = 0
    writes: list[dict[str, Any]] = []
    for item in _items(dynamodb, copy):
        if "expires_at" in item and int(item["expires_at"]["N"]) <= now:
            expired += 1  # DynamoDB's TTL would delete it: restoring it would bring back data that is gone
            continue
        kept.add((item["pk"]["S"], item["sk"]["S"]))
        writes.append({"PutRequest": {"Item": item}})
    deletes = [
        {"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
        for item in _items(dynamodb, table, "pk, sk")
        if (item["pk"]["S"], item["sk"]["S"]) not in kept
    ]
    _write(dynamodb, table, writes + deletes)
    return len(writes), len(deletes), expired


def _items(dynamodb: Any, table: str, projection: str | None = None) -> Iterator[dict[str, Any]]:
    arguments: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    if projection:
        arguments["ProjectionExpression"] = projection
    for page in dynamodb.get_paginator("scan").paginate(**arguments):
        yield from page["Items"]


def _write(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem, 25 at a time, until DynamoDB has taken every one (it may hand some back when busy)."""
    for start in range(0, len(requests), 25):
        pending: dict[str, Any] = {table: requests[start : start + 25]}
        pause = 0.05
        while pending.get(table):
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
            if pending.get(table):
                time.sleep(pause)
                pause = min(pause * 2, 5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, help="local, dev or prod")
    parser.add_argument("--at", default="", help="the moment to restore, e.g. 2026-05-30T09:00:00Z")
    parser.add_argument("--backup", default="", help="or the ARN of a backup to restore")
    arguments = parser.parse_args(argv)
    if arguments.stage == "local":
        from local.emulator import aws_environment, run_endpoint

        os.environ.update(aws_environment(run_endpoint()))
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if bool(arguments.at) == bool(arguments.backup):
            raise RestoreFailed("give AT=<moment> (point-in-time recovery) or BACKUP=<ARN>, one of them")
        restored = restore(arguments.stage, moment(arguments.at) if arguments.at else None, arguments.backup or None)
    except RestoreFailed as exc:
        say(f"✗ {exc}")
        return 1
    except (BotoCoreError, ClientError) as exc:
        say(f"✗ the restore stopped: {exc}")
        say("  Nothing is lost: the table keeps its own point-in-time recovery; run the same make restore again.")
        return 1
    say(f"✓ cfp-{arguments.stage} runs on its table as it was ({restored.written} items).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
