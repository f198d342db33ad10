"""The review workflow's Step Functions calls: start it, and answer the callbacks it waits on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.aws import error_code
from chalicelib.call import Call
from chalicelib.stores.table import SLOTS, application_key, call_key
from chalicelib.vocabulary import Status

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# How long an email task may wait for the worker before the state machine asks again.
EMAIL_TASK_SECONDS = 300
_GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


class WaitEnded(Exception):
    """The workflow is no longer waiting on this callback (it timed out, or moved on)."""


def _utc(moment: datetime) -> str:
    """A timestamp as the workflow's Wait reads it: ISO 8601 in UTC, whole seconds, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(hours: float) -> int:
    return max(1, round(hours * 3600))


def is_submission(image: dict[str, Any]) -> bool:
    """Whether a new APPLICATION item, as the table's stream shows it, is a submission whose review starts now.

    make restore writes back items the table lost, in whatever status they had reached: starting their review
    again would repeat it (an execution's name is free again 90 days after it ended)."""
    status: object = image.get("status", {}).get("S")
    return status == Status.SUBMITTED.value


def execution_input(application_id: str, call: Call, smoke: bool = False) -> dict[str, Any]:
    """The workflow's input; built only from stable values, so a repeated start is idempotent.

    Reminders are spread evenly over their window: with 2 reminders in 168 hours, they go at
    56 and 112 hours, and the review expires at 168. `make smoke`'s application always waits for its
    address to be verified, which SES's mailbox simulator never does: no organiser hears of it.
    """
    return {
        "application_id": application_id,
        "call_id": call.id,
        "key": application_key(application_id),
        "slots_key": call_key(call.id, SLOTS),
        "slots": str(call.guest_slots),
        "verify_email": call.verify_email or smoke,
        "review": {
            "approvals_needed": call.approvals_needed,
            "rejections_needed": call.rejections_needed,
            "reminders": call.review_reminders,
            "reminder_seconds": _seconds(call.review_window_hours / (call.review_reminders + 1)),
        },
        # The reminders sent so far; the workflow counts them up.
        "organiser_reminders": {"sent": 0},
        "speaker_reminders": {"sent": 0},
        "confirmation": {
            "reminders": call.confirmation_reminders,
            "reminder_seconds": _seconds(call.confirmation_window_hours / (call.confirmation_reminders + 1)),
        },
        # When the speaker is reminded, and when the session starts (the workflow waits until then).
        "session": {
            "reminder_at": _utc(call.starts_at - timedelta(hours=call.session_reminder_hours)),
            "starts_at": _utc(call.starts_at),
        },
        "timeouts": {
            "email_seconds": EMAIL_TASK_SECONDS,
            "waitlist_seconds": _seconds(call.waitlist_window_hours),
            "verification_seconds": _seconds(call.verification_window_hours),
        },
    }


class Workflow:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, application_id: str, call: Call, smoke: bool = False) -> str:
        """Start the execution named after the application; starting it again is harmless."""
        from botocore.exceptions import ClientError

        try:
            response = self._client.start_execution(
                stateMachineArn=self._arn,
                name=application_id,
                input=json.dumps(execution_input(application_id, call, smoke), sort_keys=True),
            )
        except ClientError as exc:
            if error_code(exc) != "ExecutionAlreadyExists":
                raise
            return self.execution_arn(application_id)
        return response["executionArn"]

    def execution_arn(self, application_id: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{application_id}"

    def task_succeeded(self, task_token: str, output: dict[str, Any]) -> None:
        """Answer a callback; raises WaitEnded if the workflow no longer waits on it."""
        from botocore.exceptions import ClientError

        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            if error_code(exc) in _GONE:
                raise WaitEnded(str(exc)) from exc
            raise

    def task_failed(self, task_token: str, error: str, cause: str) -> None:
        """Fail a callback with an error the state machine catches by name. A gone wait is ignored."""
        from botocore.exceptions import ClientError

        try:
            self._client.send_task_failure(taskToken=task_token, error=error, cause=cause[:32000])
        except ClientError as exc:
            if error_code(exc) not in _GONE:
                raise
