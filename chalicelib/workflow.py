"""The review workflow's Step Functions calls: start it, and answer its waiting tasks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.call import Call
from chalicelib.storage import application_key

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# How long an email task may wait for the worker before the state machine retries it.
EMAIL_TASK_SECONDS = 300


class ReviewClosed(Exception):
    """The workflow is no longer waiting for this decision (it expired or ended)."""


def execution_input(application_id: str, call: Call) -> dict[str, Any]:
    """The workflow's input; built only from stable values, so a repeated start is idempotent."""
    return {
        "application_id": application_id,
        "call_id": call.id,
        "key": application_key(application_id),
        "timeouts": {
            "review_seconds": int(call.review_window.total_seconds()),
            "email_seconds": EMAIL_TASK_SECONDS,
        },
    }


class Workflow:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, application_id: str, call: Call) -> str:
        """Start the execution named after the application; starting it again is harmless."""
        try:
            response = self._client.start_execution(
                stateMachineArn=self._arn,
                name=application_id,
                input=json.dumps(execution_input(application_id, call), sort_keys=True),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            return self.execution_arn(application_id)
        return response["executionArn"]

    def execution_arn(self, application_id: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{application_id}"

    def task_succeeded(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}:
                raise ReviewClosed(str(exc)) from exc
            raise

    def task_failed(self, task_token: str, error: str, cause: str) -> None:
        try:
            self._client.send_task_failure(taskToken=task_token, error=error, cause=cause[:32000])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}:
                raise
