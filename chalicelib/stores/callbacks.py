"""The workflow's callbacks: the one it waits on (its task token), and the speaker's answer to it."""

from __future__ import annotations

from chalicelib.models import Answer, Wait
from chalicelib.stores.table import ANSWER, WAIT, StorageError, TableStore, application_key, to_item


class AlreadyAnswered(StorageError):
    def __init__(self, answer: Answer) -> None:
        super().__init__(f"already answered {answer.answer}")
        self.answer = answer


class AnswerChanging(StorageError):
    """Another answer was in place, then released before it could be read: the next try settles it."""

    def __init__(self, application_id: str) -> None:
        super().__init__(f"the answer on {application_id} changed while it was being read")
        self.application_id = application_id


class CallbackStore(TableStore):
    def save_wait(self, wait: Wait) -> None:
        # Overwriting is right: each wait replaces the one before it.
        self._client.put_item(
            TableName=self._table,
            Item=application_key(wait.application_id, WAIT) | to_item(wait.model_dump(mode="json")),
        )

    def clear_wait(self, wait: Wait) -> None:
        """Forget an answered wait, unless a newer one replaced it meanwhile."""
        self._delete_if(
            application_key(wait.application_id, WAIT),
            "#token = :token",
            {"#token": "task_token"},
            {":token": {"S": wait.task_token}},
        )

    def wait(self, application_id: str) -> Wait | None:
        item = self._item(application_key(application_id, WAIT))
        return Wait.model_validate(item) if item else None

    def claim_answer(self, application_id: str, answer: Answer, expires_at: int | None = None) -> None:
        """Record the speaker's answer unless one exists (it expires with the application, at `expires_at`);
        raises AlreadyAnswered with the first, or AnswerChanging when that one was released between the two calls."""
        item = application_key(application_id, ANSWER) | to_item(answer.model_dump() | {"expires_at": expires_at})
        if not self._put_new(item):
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
