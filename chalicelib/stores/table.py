"""What every store shares: the table's keys, item (de)serialisation, and two primitives.

The only module that builds or reads a key (their layout is in stores/__init__.py): a store, the stream's
handler or a script asks here for the key of what it means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.aws import error_code
from chalicelib.models import Application

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from mypy_boto3_dynamodb import DynamoDBClient

# Partition keys' prefixes.
_APP = "APP#"
_CALL = "CALL#"
_RATE = "RATE#"
_REVOKED = "REVOKED#"
# The waitlist's entries have a partition per call, apart from CALL#<call id>: IAM's dynamodb:LeadingKeys reads
# the partition key only, and the worker, which writes them, must not reach the call's slot counter.
_WAITLIST = "WAITLIST#"
# Sort keys, and sort keys' prefixes (ending in #).
APPLICATION = "APPLICATION"
WAIT = "WAIT"
ANSWER = "ANSWER"
VOTE = "VOTE#"
EMAIL = "EMAIL#"
SLOTS = "SLOTS"
CALL_RECORD = "CALL"
# Where earlier versions kept the waitlist: in the call's partition, under this prefix.
EARLIER_WAITLIST = "WAITLIST#"
LINKS = "LINKS"
RATE = "RATE"
BY_CALL = "by_call"


class StorageError(Exception):
    """Base of the stores' named errors."""


class ApplicationNotFound(StorageError):
    pass


def application_partition(application_id: str) -> dict[str, Any]:
    """The partition key of all of an application's items, as a query's value."""
    return {"S": f"{_APP}{application_id}"}


def application_key(application_id: str, sort_key: str = APPLICATION) -> dict[str, Any]:
    return {"pk": application_partition(application_id), "sk": {"S": sort_key}}


def call_partition(call_id: str) -> dict[str, Any]:
    """The partition key of what belongs to a call alone, as a query's value."""
    return {"S": f"{_CALL}{call_id}"}


def call_key(call_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": call_partition(call_id), "sk": {"S": sort_key}}


def application_id_of(keys: dict[str, Any]) -> str | None:
    """The id of the application whose keys these are (a stream record's), or None for any other item."""
    partition, sort_key = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S")
    if sort_key != APPLICATION or not partition.startswith(_APP):
        return None
    return str(partition.removeprefix(_APP))


def vote_sort_key(organiser_index: int) -> str:
    return f"{VOTE}{organiser_index}"


def email_marker(template: str, round_: int) -> str:
    """Which email an email marker is for: a template, in one round of its task (a reminder's second...)."""
    return f"{template}#{round_}"


def email_sort_key(marker: str, recipient: str) -> str:
    # Hashed so that the key holds no address.
    digest = hashlib.sha256(recipient.casefold().encode()).hexdigest()[:16]
    return f"{EMAIL}{marker}#{digest}"


def waitlist_partition(call_id: str) -> dict[str, Any]:
    """The partition key of a call's waitlist, as a query's value."""
    return {"S": f"{_WAITLIST}{call_id}"}


def waitlist_key(call_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": waitlist_partition(call_id), "sk": {"S": sort_key}}


def waitlist_sort_key(since: str, application_id: str) -> str:
    """First come first: a call's waitlist is its sort keys in order."""
    return f"{since}#{application_id}"


def earlier_waitlist_place(sort_key: str) -> str:
    """An earlier version's entry's place in the queue (its sort key in the call's partition), as this one's reads."""
    return sort_key.removeprefix(EARLIER_WAITLIST)


def item_kind(sort_key: str) -> str:
    """What an application's item is, by its sort key: APPLICATION, WAIT, ANSWER, or the prefix VOTE or EMAIL."""
    return next((prefix for prefix in (VOTE, EMAIL) if sort_key.startswith(prefix)), sort_key)


def rate_key(scope: str, call_id: str, value: str, window_end: int) -> dict[str, Any]:
    """The counter of one rate limit's window: its scope readable, the rest (an address) hashed."""
    digest = hashlib.sha256(f"{scope}#{call_id}#{value}".encode()).hexdigest()[:24]
    return {"pk": {"S": f"{_RATE}{scope}#{digest}#{window_end}"}, "sk": {"S": RATE}}


def _organiser_digest(organiser: str) -> str:
    return hashlib.sha256(organiser.strip().casefold().encode()).hexdigest()[:16]


def revocation_key(organiser: str) -> dict[str, Any]:
    return {"pk": {"S": f"{_REVOKED}{_organiser_digest(organiser)}"}, "sk": {"S": LINKS}}


def one_call_revocation_key(call_id: str, organiser: str) -> dict[str, Any]:
    """Where a one-call version revoked the organiser's links of its call."""
    return {"pk": {"S": f"{_REVOKED}{call_id}#{_organiser_digest(organiser)}"}, "sk": {"S": LINKS}}


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
