"""Organisers' votes: each written once, in one transaction with the application's tally."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chalicelib.aws import error_code
from chalicelib.models import Application, Vote
from chalicelib.stores.table import StorageError, TableStore, application_key, to_item, vote_sort_key
from chalicelib.vocabulary import Outcome, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# Why DynamoDB may cancel a transaction that the same transaction, tried again, gets through:
# another write touched one of its items, or the table throttled it. Not a verdict on the vote.
PASSING_CANCELLATIONS = {"TransactionConflict", "ThrottlingError"}
VOTE_ATTEMPTS = 4
VOTE_BACKOFF_SECONDS = 0.05


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


class VoteStore(TableStore):
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
                    "Item": application_key(application_id, vote_sort_key(organiser_index))
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
                return self._application(application_id)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    application = self._application(application_id)
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
