"""'Delete my data': every personal field blanked, on the application and on the items around it."""

from __future__ import annotations

from datetime import datetime

from chalicelib.aws import error_code
from chalicelib.models import Application
from chalicelib.stores.table import (
    ANSWER,
    EMAIL,
    VOTE,
    ApplicationNotFound,
    TableStore,
    application_from_item,
    application_key,
    application_partition,
    item_kind,
    to_item,
)
from chalicelib.vocabulary import Event


class ErasureStore(TableStore):
    def erase(self, application_id: str, at: datetime) -> Application:
        """Blank every personal field of the application, and the notes organisers wrote about it; its
        history records it at `at`.

        Raises ApplicationNotFound, also when its retention ends (DynamoDB's TTL deletes it) meanwhile."""
        from botocore.exceptions import ClientError

        application = self._application(application_id)
        votes = [vote.model_copy(update={"note": ""}).model_dump(mode="json") for vote in application.votes]
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=application_key(application_id),
                UpdateExpression="SET #name = :blank, email = :blank, title = :deleted, summary = :blank, "
                "votes = :votes, erased = :yes, history = list_append(history, :event) REMOVE organisation",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#name": "name"},
                ExpressionAttributeValues=to_item(
                    {
                        ":blank": "",
                        ":deleted": "(deleted)",
                        ":votes": votes,
                        ":yes": True,
                        ":event": [{"event": Event.DATA_DELETED.value, "at": at.isoformat()}],
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise ApplicationNotFound(application_id) from exc
        # The notes are kept in each vote's own item too; the email markers are keyed by a hash of
        # the address, which can be guessed back. No email goes out once erased, so they are not needed.
        for sort_key in self._sort_keys(application_id):
            key = application_key(application_id, sort_key)
            kind = item_kind(sort_key)
            if kind == VOTE:
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET note = :blank",
                    ExpressionAttributeValues={":blank": {"S": ""}},
                )
            elif kind in (ANSWER, EMAIL):
                self._client.delete_item(TableName=self._table, Key=key)
        return application_from_item(response["Attributes"])

    def _sort_keys(self, application_id: str) -> list[str]:
        """The sort keys of all of an application's items, read in one query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": application_partition(application_id)},
            ProjectionExpression="sk",
        )
        return [item["sk"]["S"] for page in pages for item in page["Items"]]
