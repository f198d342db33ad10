"""Plays Lambda's event source mappings locally: stream records and queue messages to the handlers.

It calls the same Chalice handlers that Lambda calls, with events of the same shape.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import aws

if TYPE_CHECKING:
    from local.stack import Resources

log = logging.getLogger("cfp.local.pump")

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes handlers may read from Lambda's context object."""

    function_name: str
    aws_request_id: str = "local"
    memory_limit_in_mb: int = 256
    remaining_ms: int = 30_000  # run_task's Lambda timeout (.chalice/config.json)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class StreamSource:
    """A DynamoDB stream mapping: reads every shard from its start, retries a failed batch."""

    stream_arn: str
    handler: Handler
    name: str
    batch_size: int = 10
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def poll(self) -> int:
        streams = aws.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        delivered = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            records = self._pending.pop(shard_id, None)
            if records is None:
                iterator = self._iterators[shard_id]
                if iterator is None:
                    continue
                response = streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
                self._iterators[shard_id] = response.get("NextShardIterator")
                records = [self._lambda_record(r) for r in response["Records"]]
            if not records:
                continue
            try:
                self.handler({"Records": records}, LambdaContext(self.name))
            except Exception:
                # Lambda retries the same batch until it succeeds; so does this.
                log.exception("stream handler %s failed; the batch will be retried", self.name)
                self._pending[shard_id] = records
                continue
            delivered += len(records)
        return delivered

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        body = dict(record["dynamodb"])
        created = body.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            body["ApproximateCreationDateTime"] = created.timestamp()
        return record | {"dynamodb": body, "eventSourceARN": self.stream_arn}


@dataclass
class QueueSource:
    """An SQS mapping: a message is deleted after the handler returns, and retried after it raises."""

    queue_url: str
    handler: Handler
    name: str
    batch_size: int = 1
    # Lambda waits for the visibility timeout before a retry; locally a short wait is kinder.
    retry_after_seconds: int = 2
    # How long each invocation may run, as its context tells the handler.
    timeout_ms: int = 30_000
    _arn: str = ""

    def poll(self) -> int:
        sqs = aws.client("sqs")
        response = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        if not self._arn:
            attributes = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self._arn = attributes["Attributes"]["QueueArn"]
        batches = [messages[i : i + self.batch_size] for i in range(0, len(messages), self.batch_size)]
        return sum(self._invoke(batch) for batch in batches)

    def _invoke(self, messages: list[dict[str, Any]]) -> int:
        """One Lambda invocation: its messages are deleted if it returns, made visible again if it raises."""
        sqs = aws.client("sqs")
        event = self._event(messages)
        try:
            self.handler(event, LambdaContext(self.name, remaining_ms=self.timeout_ms))
        except Exception:
            log.exception("queue handler %s failed; the message will be retried", self.name)
            for message in messages:
                sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_after_seconds,
                )
            return 0
        for message in messages:
            sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": [self._lambda_record(m, self._arn) for m in messages]}

    @staticmethod
    def _lambda_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": arn.split(":")[3],
        }


@dataclass
class TopicSource(QueueSource):
    """An SNS subscription: each message the topic delivered to a queue becomes one SNS event, as Lambda
    would invoke the subscribed function (its retries are the queue's)."""

    def _event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        records = []
        for message in messages:
            envelope = json.loads(message["Body"])
            records.append(
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": f"{envelope['TopicArn']}:local",
                    "Sns": {
                        "Type": envelope.get("Type", "Notification"),
                        "MessageId": envelope["MessageId"],
                        "TopicArn": envelope["TopicArn"],
                        "Subject": envelope.get("Subject"),
                        "Message": envelope["Message"],
                        "Timestamp": envelope.get("Timestamp", ""),
                        "MessageAttributes": envelope.get("MessageAttributes", {}),
                    },
                }
            )
        return {"Records": records}


class Pump:
    """Polls every source in turn, in a background thread or on demand (tests)."""

    def __init__(self, sources: list[StreamSource | QueueSource], idle_seconds: float = 0.2) -> None:
        self.sources = sources
        self.idle_seconds = idle_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_app(cls, app: Any, resources: Resources) -> Pump:
        """The event sources of the deployed template: the stream, the task queue and SES's email events."""
        return cls(
            [
                StreamSource(resources.table_stream_arn, app.handler_map["start_review"], "start_review"),
                QueueSource(resources.task_queue_url, app.handler_map["run_task"], "run_task"),
                TopicSource(
                    resources.email_events_queue_url, app.handler_map["record_email_events"], "record_email_events"
                ),
            ]
        )

    def poll_once(self) -> int:
        return sum(source.poll() for source in self.sources)

    def run_until(self, done: Callable[[], bool], timeout: float = 30.0) -> None:
        """Deliver events until `done()` holds; raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll_once()
            if done():
                return
            time.sleep(0.05)
        raise TimeoutError(f"the condition did not hold within {timeout:.0f} s")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="event-pump", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return  # stopping: what it polled may be going away, which is no news
                log.exception("polling failed; trying again")
                delivered = 0
            if not delivered:
                self._stop.wait(self.idle_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
