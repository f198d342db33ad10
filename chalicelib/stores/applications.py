"""Applications: submitted once, read back, their workflow steps recorded, and withdrawal asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.aws import error_code
from chalicelib.models import Application, Record
from chalicelib.stores.table import (
    BY_CALL,
    StorageError,
    TableStore,
    application_from_item,
    application_key,
    to_item,
)
from chalicelib.vocabulary import UNDELIVERABLE_EVENTS, WITHDRAWABLE, Status, Undeliverable


class CannotWithdraw(StorageError):
    def __init__(self, application: Application) -> None:
        super().__init__(f"{application.id} is {application.status} and can no longer be withdrawn")
        self.application = application


class ApplicationStore(TableStore):
    def submit(self, application: Application) -> tuple[Application, bool]:
        """Store a new application; if it exists already, return the stored one and False."""
        item = application_key(application.id) | to_item(application.model_dump(mode="json"))
        if self._put_new(item):
            return application, True
        return self.get(application.id), False

    def get(self, application_id: str) -> Application:
        """Raises ApplicationNotFound."""
        return self._application(application_id)

    def record_step(self, application_id: str, record: Record, round_: int, at: str) -> bool:
        """Write a workflow step's status and history event, once: False if this step (its event in
        this round) was recorded before, by an earlier delivery of the same task."""
        step = f"{record.event.value}#{round_}"
        update = "SET history = list_append(history, :event)"
        values: dict[str, Any] = {":event": [{"event": record.event.value, "at": at}], ":step": {step}, ":name": step}
        if record.status is not None:
            update += ", #status = :status"
            values[":status"] = record.status.value
        return self._conditional(
            self._client.update_item,
            Key=application_key(application_id),
            UpdateExpression=f"{update} ADD #recorded :step",
            ConditionExpression="attribute_exists(pk) AND NOT contains(#recorded, :name)",
            ExpressionAttributeNames={"#recorded": "recorded"} | ({"#status": "status"} if record.status else {}),
            ExpressionAttributeValues=to_item(values),
        )

    def record_undeliverable(self, application_id: str, kind: Undeliverable, at: str) -> bool:
        """Mark the applicant's address as one SES cannot deliver to (a bounce) or must not (a complaint);
        False if it was marked before."""
        event = UNDELIVERABLE_EVENTS[kind]
        return self._conditional(
            self._client.update_item,
            Key=application_key(application_id),
            UpdateExpression="SET email_bounced = :kind, history = list_append(history, :event)",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(email_bounced)",
            ExpressionAttributeValues=to_item({":kind": kind, ":event": [{"event": event.value, "at": at}]}),
        )

    def applications(self, call_id: str) -> Iterator[Application]:
        """Every application of the call, oldest first."""
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            IndexName=BY_CALL,
            KeyConditionExpression="call_id = :call",
            ExpressionAttributeValues={":call": {"S": call_id}},
        ):
            for item in page["Items"]:
                yield application_from_item(item)

    def request_withdrawal(
        self, application_id: str, reason: str = "", allowed: frozenset[Status] = WITHDRAWABLE
    ) -> Application:
        """Flag the application as withdrawn by its applicant, with their reason if they gave one, if its
        status is one of `allowed` (vocabulary.withdrawable); the workflow does the rest."""
        from botocore.exceptions import ClientError

        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=application_key(application_id),
                UpdateExpression="SET withdraw_requested = :yes" + (", withdraw_reason = :reason" if reason else ""),
                ConditionExpression="attribute_exists(pk) AND #status IN ("
                + ", ".join(f":s{i}" for i in range(len(allowed)))
                + ")",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {":yes": True, ":reason": reason or None}
                    | {f":s{i}": status.value for i, status in enumerate(sorted(allowed))}
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise CannotWithdraw(self.get(application_id)) from exc
        return application_from_item(response["Attributes"])
