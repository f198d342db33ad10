"""Applications, votes, workflow callbacks, slots and email markers in the one DynamoDB table.

Keys (partition key `pk`, sort key `sk`):

    pk = APP#<application id>   sk = APPLICATION       the application: status, history, tallies, votes, and
                                                       `recorded`, the workflow steps its tasks wrote
    pk = APP#<application id>   sk = VOTE#<n>          organiser n's vote; written once, with the tally
    pk = APP#<application id>   sk = WAIT              the callback the workflow waits on (its task
                                                       token, which never leaves the server)
    pk = APP#<application id>   sk = ANSWER            the speaker's attendance answer; written once
    pk = APP#<application id>   sk = EMAIL#<kind>#<round>#<hash>
                                                       an email sent, so a retried task never repeats it
    pk = CALL#<call id>         sk = SLOTS             the call's slot counter `taken`, and `offers`: the
                                                       ids of applications whose freed slot, still
                                                       counted as taken, is offered to the head of the
                                                       waitlist; only the workflow changes them,
                                                       conditionally
    pk = CALL#<call id>         sk = WAITLIST#<since>#<application id>
                                                       a waitlisted application's place in the queue
    pk = RATE#<scope>#<hash>#<window end>  sk = RATE   submissions counted for rate limiting; the
                                                       TTL attribute `expires_at` removes it

Applications and votes carry `expires_at` too: the call's retention, enforced by DynamoDB's TTL.

The index `by_call` (call_id, submitted_at) lists a call's applications; only APPLICATION items
carry both attributes. The table's stream (NEW_IMAGE) starts one workflow per new APPLICATION.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.models import Answer, Application, Outcome, Record, Vote, Wait
from chalicelib.vocabulary import WITHDRAWABLE, Status

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# boto3 and botocore are imported by the methods that talk to DynamoDB, not by this module: the
# handlers import its exceptions, and the form GET must not pay ~120 ms for boto3 (bench/cold_start.py).

APPLICATION = "APPLICATION"
WAIT = "WAIT"
ANSWER = "ANSWER"
SLOTS = "SLOTS"
WAITLIST = "WAITLIST#"
BY_CALL = "by_call"
# Why DynamoDB may cancel a transaction that the same transaction, tried again, gets through:
# another write touched one of its items, or the table throttled it. Not a verdict on the vote.
PASSING_CANCELLATIONS = {"TransactionConflict", "ThrottlingError"}
VOTE_ATTEMPTS = 4
VOTE_BACKOFF_SECONDS = 0.05


@cache
def _types() -> tuple[TypeSerializer, TypeDeserializer]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


class StorageError(Exception):
    """Base of the storage layer's named errors."""


class ApplicationNotFound(StorageError):
    pass


class AlreadyVoted(StorageError):
    def __init__(self, vote: Vote) -> None:
        super().__init__(f"{vote.organiser} already voted {vote.outcome}")
        self.vote = vote


class ReviewOver(StorageError):
    """The review has ended (decided, expired or withdrawn): no vote counts any more."""

    def __init__(self, application: Application) -> None:
        super().__init__(f"the review of {application.id} is over: {application.status}")
        self.application = application


class VoteContended(StorageError):
    """The vote's transaction kept colliding with other writes, or DynamoDB kept throttling it: nothing was counted."""

    def __init__(self, application_id: str) -> None:
        super().__init__(f"the vote on {application_id} kept colliding with other writes")
        self.application_id = application_id


class AlreadyAnswered(StorageError):
    def __init__(self, answer: Answer) -> None:
        super().__init__(f"already answered {answer.answer}")
        self.answer = answer


class AnswerChanging(StorageError):
    """Another answer was in place, then released before it could be read: the next try settles it."""

    def __init__(self, application_id: str) -> None:
        super().__init__(f"the answer on {application_id} changed while it was being read")
        self.application_id = application_id


class CannotWithdraw(StorageError):
    def __init__(self, application: Application) -> None:
        super().__init__(f"{application.id} is {application.status} and can no longer be withdrawn")
        self.application = application


@dataclass(frozen=True)
class WaitlistEntry:
    key: str
    application_id: str
    task_token: str


def application_key(application_id: str, sort_key: str = APPLICATION) -> dict[str, Any]:
    return {"pk": {"S": f"APP#{application_id}"}, "sk": {"S": sort_key}}


def call_key(call_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"CALL#{call_id}"}, "sk": {"S": sort_key}}


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    serializer = _types()[0]
    return {key: serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = _types()[1]
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def application_from_item(item: dict[str, Any]) -> Application:
    return Application.model_validate(from_item(item))


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class ApplicationStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # Applications ---------------------------------------------------------------------

    def submit(self, application: Application) -> tuple[Application, bool]:
        """Store a new application; if it exists already, return the stored one and False."""
        item = application_key(application.id) | to_item(application.model_dump(mode="json"))
        if self._put_new(item):
            return application, True
        return self.get(application.id), False

    def get(self, application_id: str) -> Application:
        item = self._item(application_key(application_id))
        if item is None:
            raise ApplicationNotFound(application_id)
        return Application.model_validate(item)

    def record_step(self, application_id: str, record: Record, round_: int, at: str) -> bool:
        """Write a workflow step's status and history event, once: False if this step (its event in
        this round) was recorded before, by an earlier delivery of the same task."""
        from botocore.exceptions import ClientError

        step = f"{record.event.value}#{round_}"
        update = "SET history = list_append(history, :event)"
        values: dict[str, Any] = {":event": [{"event": record.event.value, "at": at}], ":step": {step}, ":name": step}
        if record.status is not None:
            update += ", #status = :status"
            values[":status"] = record.status.value
        try:
            self._client.update_item(
                TableName=self._table,
                Key=application_key(application_id),
                UpdateExpression=f"{update} ADD #recorded :step",
                ConditionExpression="attribute_exists(pk) AND NOT contains(#recorded, :name)",
                ExpressionAttributeNames={"#recorded": "recorded"} | ({"#status": "status"} if record.status else {}),
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

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

    # Votes ----------------------------------------------------------------------------

    def record_vote(
        self,
        application_id: str,
        organiser_index: int,
        vote: Vote,
        approvals_needed: int,
        rejections_needed: int,
        expires_at: int | None = None,
    ) -> Application:
        """Count one organiser's vote, once, and only while the review is open.

        Raises AlreadyVoted (this organiser voted before) or ReviewOver (a quorum, an expiry
        or a withdrawal ended the review). Vote and tally are one transaction, tried again with a
        short backoff while DynamoDB cancels it for a passing conflict; VoteContended if that lasts.
        """
        tally = "approvals" if vote.outcome is Outcome.APPROVE else "rejections"
        transaction: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": application_key(application_id, f"VOTE#{organiser_index}")
                    | to_item(vote.model_dump(mode="json") | {"expires_at": expires_at}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": application_key(application_id),
                    "UpdateExpression": f"ADD {tally} :one SET votes = list_append(votes, :vote)",
                    "ConditionExpression": "#status = :in_review AND approvals < :approvals_needed "
                    "AND rejections < :rejections_needed AND withdraw_requested = :no",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":one": 1,
                            ":vote": [vote.model_dump(mode="json")],
                            ":in_review": Status.IN_REVIEW.value,
                            ":approvals_needed": approvals_needed,
                            ":rejections_needed": rejections_needed,
                            ":no": False,
                        }
                    ),
                }
            },
        ]
        from botocore.exceptions import ClientError

        attempts = 0
        while True:
            try:
                self._client.transact_write_items(TransactItems=transaction)
                return self.get(application_id)
            except ClientError as exc:
                if _error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    application = self.get(application_id)
                    earlier = application.vote_of(vote.organiser)
                    if earlier is not None or reasons[0] == "ConditionalCheckFailed":
                        raise AlreadyVoted(earlier or vote) from exc
                    raise ReviewOver(application) from exc
                if not PASSING_CANCELLATIONS & set(reasons):
                    raise
                attempts += 1
                if attempts == VOTE_ATTEMPTS:
                    raise VoteContended(application_id) from exc
                time.sleep(VOTE_BACKOFF_SECONDS * 2**attempts)

    # The workflow's callbacks -----------------------------------------------------------

    def save_wait(self, wait: Wait) -> None:
        # Overwriting is right: each wait replaces the one before it.
        self._client.put_item(
            TableName=self._table,
            Item=application_key(wait.application_id, WAIT) | to_item(wait.model_dump(mode="json")),
        )

    def clear_wait(self, wait: Wait) -> None:
        """Forget an answered wait, unless a newer one replaced it meanwhile."""
        from botocore.exceptions import ClientError

        try:
            self._client.delete_item(
                TableName=self._table,
                Key=application_key(wait.application_id, WAIT),
                ConditionExpression="task_token = :token",
                ExpressionAttributeValues={":token": {"S": wait.task_token}},
            )
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise

    def wait(self, application_id: str) -> Wait | None:
        item = self._item(application_key(application_id, WAIT))
        return Wait.model_validate(item) if item else None

    def claim_answer(self, application_id: str, answer: Answer) -> None:
        """Record the speaker's answer unless one exists; raises AlreadyAnswered with the first, or
        AnswerChanging when that one was released between the two calls."""
        if not self._put_new(application_key(application_id, ANSWER) | to_item(answer.model_dump())):
            existing = self._item(application_key(application_id, ANSWER))
            if existing is None:
                raise AnswerChanging(application_id)
            raise AlreadyAnswered(Answer.model_validate(existing))

    def release_answer(self, application_id: str) -> None:
        """Undo a claim the workflow refused (its wait had already ended)."""
        self._client.delete_item(TableName=self._table, Key=application_key(application_id, ANSWER))

    def answer(self, application_id: str) -> Answer | None:
        item = self._item(application_key(application_id, ANSWER))
        return Answer.model_validate(item) if item else None

    def request_withdrawal(self, application_id: str) -> Application:
        """Flag the application as withdrawn by its applicant; the workflow does the rest."""
        from botocore.exceptions import ClientError

        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=application_key(application_id),
                UpdateExpression="SET withdraw_requested = :yes",
                ConditionExpression="attribute_exists(pk) AND #status IN ("
                + ", ".join(f":s{i}" for i in range(len(WITHDRAWABLE)))
                + ")",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {":yes": True} | {f":s{i}": status.value for i, status in enumerate(sorted(WITHDRAWABLE))}
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise CannotWithdraw(self.get(application_id)) from exc
        return application_from_item(response["Attributes"])

    # Slots and the waitlist ---------------------------------------------------------------

    def slots_taken(self, call_id: str) -> int:
        item = self._item(call_key(call_id, SLOTS))
        return int(item.get("taken", 0)) if item else 0

    def join_waitlist(self, application: Application, now: str, task_token: str) -> WaitlistEntry:
        """Queue the application with the callback that promotes it; one that comes back keeps its place."""
        response = self._client.update_item(
            TableName=self._table,
            Key=application_key(application.id),
            UpdateExpression="SET waitlisted_at = if_not_exists(waitlisted_at, :now)",
            ExpressionAttributeValues={":now": {"S": now}},
            ReturnValues="ALL_NEW",
        )
        since = response["Attributes"]["waitlisted_at"]["S"]
        entry = WaitlistEntry(f"{WAITLIST}{since}#{application.id}", application.id, task_token)
        self._client.put_item(
            TableName=self._table,
            Item=call_key(application.call_id, entry.key)
            | to_item({"application_id": application.id, "task_token": task_token}),
        )
        return entry

    def waitlist(self, call_id: str) -> list[WaitlistEntry]:
        """The queue, first come first."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"CALL#{call_id}"}, ":prefix": {"S": WAITLIST}},
            ConsistentRead=True,
        )
        return [
            WaitlistEntry(item["sk"]["S"], item["application_id"]["S"], item["task_token"]["S"])
            for item in response["Items"]
        ]

    def leave_waitlist(self, call_id: str, entry: WaitlistEntry) -> bool:
        """Take an entry off the queue; False if it is gone, or was replaced by a newer wait."""
        from botocore.exceptions import ClientError

        try:
            self._client.delete_item(
                TableName=self._table,
                Key=call_key(call_id, entry.key),
                ConditionExpression="task_token = :token",
                ExpressionAttributeValues={":token": {"S": entry.task_token}},
            )
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # Rate limits and personal data --------------------------------------------------------

    def count_hit(self, key: str, window_end: int) -> int:
        """Count one more hit in this window; the count disappears with the window (TTL)."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        scope = key.partition("#")[0]
        response = self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"RATE#{scope}#{digest}#{window_end}"}, "sk": {"S": "RATE"}},
            UpdateExpression="ADD hits :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(window_end + 3600)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["hits"]["N"])

    def erase(self, application_id: str) -> Application:
        """Blank every personal field of the application, and the notes organisers wrote about it."""
        application = self.get(application_id)
        votes = [vote.model_copy(update={"note": ""}).model_dump(mode="json") for vote in application.votes]
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
                    ":event": [{"event": "data_deleted", "at": datetime.now(UTC).isoformat()}],
                }
            ),
            ReturnValues="ALL_NEW",
        )
        # The notes are kept in each vote's own item too; the email markers are keyed by a hash of
        # the address, which can be guessed back. No email goes out once erased, so they are not needed.
        for sort_key in self._sort_keys(application_id):
            key = application_key(application_id, sort_key)
            if sort_key.startswith("VOTE#"):
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET note = :blank",
                    ExpressionAttributeValues={":blank": {"S": ""}},
                )
            elif sort_key == ANSWER or sort_key.startswith("EMAIL#"):
                self._client.delete_item(TableName=self._table, Key=key)
        return application_from_item(response["Attributes"])

    def _sort_keys(self, application_id: str) -> list[str]:
        """The sort keys of all of an application's items, read in one query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"APP#{application_id}"}},
            ProjectionExpression="sk",
        )
        return [item["sk"]["S"] for page in pages for item in page["Items"]]

    # Email markers ----------------------------------------------------------------------

    def mark_email(self, application_id: str, kind: str, recipient: str, at: str) -> bool:
        """Claim the right to send one email; False when it was sent (or claimed) before."""
        key = application_key(application_id, _email_sort_key(kind, recipient))
        return self._put_new(key | to_item({"kind": kind, "at": at}))

    def unmark_email(self, application_id: str, kind: str, recipient: str) -> None:
        """Give the claim back after a failed send, so the retry sends it."""
        self._client.delete_item(
            TableName=self._table, Key=application_key(application_id, _email_sort_key(kind, recipient))
        )

    # The two primitives --------------------------------------------------------------------

    def _item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Write an item that must not exist yet; False (and nothing written) if it does."""
        from botocore.exceptions import ClientError

        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _email_sort_key(kind: str, recipient: str) -> str:
    # Hashed so that the key holds no address.
    digest = hashlib.sha256(recipient.casefold().encode()).hexdigest()[:16]
    return f"EMAIL#{kind}#{digest}"
