"""Event handlers: the table's stream starts each review; the task queue's worker sends email; SES's
bounces and complaints are recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from chalice.app import Blueprint, DynamoDBEvent, SNSEvent, SQSEvent

from chalicelib import deps, logs
from chalicelib.settings import email_events_topic, table_stream_arn, task_queue_name

bp = Blueprint(__name__)


@bp.on_dynamodb_record(stream_arn=table_stream_arn(), batch_size=10, starting_position="TRIM_HORIZON")
def start_review(event: DynamoDBEvent) -> None:
    """One execution per new application, named after it, with its own call's settings; a replayed record
    starts nothing new. The table keeps the call's settings as long as the application (stores/calls.py), so
    the review runs on if the call's file is removed."""
    from chalicelib.stores.table import application_id_of  # pydantic (its models), which the form does without
    from chalicelib.workflow import is_submission

    for record in event:
        application_id = application_id_of(record.keys or {})
        if record.event_name != "INSERT" or application_id is None:
            continue
        image = record.new_image or {}
        if not is_submission(image):
            continue  # brought back by make restore: its review ran, and must not run again
        call = deps.call(image.get("call_id", {}).get("S"))
        smoke = image.get("smoke", {}).get("BOOL", False)
        if "expires_at" in image and not smoke:  # `make smoke` leaves nothing behind
            deps.call_records().keep(call, int(image["expires_at"]["N"]))
        execution_arn = deps.workflow().start(application_id, call, smoke)
        logs.event("review_started", application=application_id, call=call.id, execution=execution_arn)


@bp.on_sqs_message(queue=task_queue_name(), batch_size=1)
def run_task(event: SQSEvent) -> None:
    """An exception here leaves the message on the queue: SQS retries it, then dead-letters it."""
    from chalicelib.models import TaskMessage  # pydantic, which the form's cold start does without

    for record in event:
        message = TaskMessage.model_validate_json(record.body)
        delivery = int(record.to_dict().get("attributes", {}).get("ApproximateReceiveCount", "1"))
        deps.task_worker().run(message, delivery, _remaining_time(event))
        logs.event("task_done", task=message.task, application=message.application_id)


@bp.on_sns_message(topic=email_events_topic())
def record_email_events(event: SNSEvent) -> None:
    """Bounces and complaints from SES: an exception here makes Lambda retry the notification."""
    deps.email_events().record(event.message)


def _remaining_time(event: SQSEvent) -> timedelta | None:
    """How long this invocation may still run, from Lambda's context object (Chalice types it loosely)."""
    remaining: Callable[[], int] | None = getattr(event.context, "get_remaining_time_in_millis", None)
    return timedelta(milliseconds=remaining()) if remaining else None
