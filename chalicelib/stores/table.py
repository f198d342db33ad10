"""What every store shares: the table's keys, item (de)serialisation, and two primitives."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.aws import error_code
from chalicelib.models import Application

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from mypy_boto3_dynamodb import DynamoDBClient

APPLICATION = "APPLICATION"
WAIT = "WAIT"
ANSWER = "ANSWER"
VOTE = "VOTE#"
EMAIL = "EMAIL#"
SLOTS = "SLOTS"
CALL_RECORD = "CALL"
# The waitlist's entries have a partition per call, apart from CALL#<call id>: IAM's dynamodb:LeadingKeys reads
# the partition key only, and the worker, which writes them, must not reach the call's slot counter.
WAITLIST = "WAITLIST#"
REVOKED = "REVOKED#"
LINKS = "LINKS"
BY_CALL = "by_call"


class StorageError(Exception):
    """Base of the stores' named errors."""


class ApplicationNotFound(StorageError):
    pass


def application_key(application_id: str, sort_key: str = APPLICATION) -> dict[str, Any]:
    return {"pk": {"S": f"APP#{application_id}"}, "sk": {"S": sort_key}}


def call_key(call_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"CALL#{call_id}"}, "sk": {"S": sort_key}}


def waitlist_key(call_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"{WAITLIST}{call_id}"}, "sk": {"S": sort_key}}


@cache
def _types() -> tuple[TypeSerializer, TypeDeserializer]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    serializer = _types()[0]
    return {key: serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = _types()[1]
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def application_from_item(item: dict[str, Any]) -> Application:
    return Application.model_validate(from_item(item))


class TableStore:
    """A store of some of the table's items; it receives its client and the table's name."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def _application(self, application_id: str) -> Application:
        item = self._item(application_key(application_id))
        if item is None:
            raise ApplicationNotFound(application_id)
        return Application.model_validate(item)

    def _conditional(self, write: Callable[..., object], **request: Any) -> bool:
        """One conditional write (put_item, update_item, delete_item) to the table; False, and nothing
        written, when its ConditionExpression does not hold."""
        from botocore.exceptions import ClientError

        try:
            write(TableName=self._table, **request)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Write an item that must not exist yet; False (and nothing written) if it does."""
        return self._conditional(self._client.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def _delete_if(self, key: dict[str, Any], condition: str, names: dict[str, str], values: dict[str, Any]) -> bool:
        """Delete an item if the condition holds; False (and nothing deleted) if it does not."""
        return self._conditional(
            self._client.delete_item,
            Key=key,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
