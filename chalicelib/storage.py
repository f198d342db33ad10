"""Applications, review requests, decisions and email markers in the one DynamoDB table.

Keys (partition key `pk`, sort key `sk`):

    pk = APP#<application id>   sk = APPLICATION           the application, its status and history
    pk = APP#<application id>   sk = REVIEW                the workflow's pending wait for a decision
                                                           (holds the task token; never sent out)
    pk = APP#<application id>   sk = DECISION              the decision; written once, conditionally
    pk = APP#<application id>   sk = EMAIL#<kind>#<hash>   marks an email as sent, so a retried
                                                           task never sends it twice

The table's stream (NEW_IMAGE) starts one workflow per inserted APPLICATION item.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.models import Application, Decision, ReviewRequest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

APPLICATION = "APPLICATION"
REVIEW = "REVIEW"
DECISION = "DECISION"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class StorageError(Exception):
    """Base of the storage layer's named errors."""


class ApplicationNotFound(StorageError):
    pass


class AlreadyDecided(StorageError):
    def __init__(self, decision: Decision) -> None:
        super().__init__(f"already decided: {decision.outcome} by {decision.organiser}")
        self.decision = decision


def application_key(application_id: str, sort_key: str = APPLICATION) -> dict[str, Any]:
    return {"pk": {"S": f"APP#{application_id}"}, "sk": {"S": sort_key}}


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def application_from_item(item: dict[str, Any]) -> Application:
    return Application.model_validate(from_item(item))


class ApplicationStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def submit(self, application: Application) -> tuple[Application, bool]:
        """Store a new application; if it exists already, return the stored one and False."""
        item = application_key(application.id) | to_item(application.model_dump(mode="json"))
        if self._put_new(item):
            return application, True
        return self.get(application.id), False

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Write an item that must not exist yet; False (and nothing written) if it does."""
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, application_id: str) -> Application:
        item = self._item(application_id, APPLICATION)
        if item is None:
            raise ApplicationNotFound(application_id)
        return Application.model_validate(item)

    def _item(self, application_id: str, sort_key: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table, Key=application_key(application_id, sort_key), ConsistentRead=True
        )
        return from_item(response["Item"]) if "Item" in response else None

    def save_review_request(self, request: ReviewRequest) -> None:
        # Overwriting is right: a retried task carries a newer token than the one it replaces.
        self._client.put_item(
            TableName=self._table,
            Item=application_key(request.application_id, REVIEW) | to_item(request.model_dump()),
        )

    def review_request(self, application_id: str) -> ReviewRequest | None:
        item = self._item(application_id, REVIEW)
        return ReviewRequest.model_validate(item) if item else None

    def claim_decision(self, application_id: str, decision: Decision) -> None:
        """Record the decision unless one exists; raises AlreadyDecided with the first one."""
        if not self._put_new(application_key(application_id, DECISION) | to_item(decision.model_dump())):
            existing = self.decision(application_id)
            if existing is None:  # released between the two calls: a retry will settle it
                raise StorageError(f"the decision on {application_id} changed while it was being read")
            raise AlreadyDecided(existing)

    def release_decision(self, application_id: str) -> None:
        """Undo a claim the workflow refused (its wait had already ended)."""
        self._client.delete_item(TableName=self._table, Key=application_key(application_id, DECISION))

    def decision(self, application_id: str) -> Decision | None:
        item = self._item(application_id, DECISION)
        return Decision.model_validate(item) if item else None

    def mark_email(self, application_id: str, kind: str, recipient: str, at: str) -> bool:
        """Claim the right to send one email; False when it was sent (or claimed) before."""
        key = application_key(application_id, _email_sort_key(kind, recipient))
        return self._put_new(key | to_item({"kind": kind, "at": at}))

    def unmark_email(self, application_id: str, kind: str, recipient: str) -> None:
        """Give the claim back after a failed send, so the retry sends it."""
        self._client.delete_item(
            TableName=self._table, Key=application_key(application_id, _email_sort_key(kind, recipient))
        )


def _email_sort_key(kind: str, recipient: str) -> str:
    # Hashed so that the key holds no address.
    digest = hashlib.sha256(recipient.casefold().encode()).hexdigest()[:16]
    return f"EMAIL#{kind}#{digest}"
