"""Answers the callback an application's workflow is waiting on, whoever answers it."""

from __future__ import annotations

from typing import Any

from chalicelib.stores.callbacks import CallbackStore
from chalicelib.vocabulary import WaitKind
from chalicelib.workflow import WaitEnded, Workflow


class Callbacks:
    def __init__(self, store: CallbackStore, workflow: Workflow) -> None:
        self._store = store
        self._workflow = workflow

    def answer(self, application_id: str, kind: WaitKind, output: dict[str, Any]) -> bool:
        """Wake the workflow if it waits on `kind`; False if it does not (or no longer) wait on it.

        Callers write their fact (a vote, an answer) before calling this, and the worker that
        stores a new wait reads those facts after storing it, so neither side can miss the other.
        """
        wait = self._store.wait(application_id)
        if wait is None or wait.kind is not kind:
            return False
        try:
            self._workflow.task_succeeded(wait.task_token, output)
        except WaitEnded:
            return False
        self._store.clear_wait(wait)  # answered: a second click finds nothing to answer
        return True

    def fail(self, application_id: str, error: str, cause: str) -> None:
        """Fail whatever the workflow waits on with an error its Catch names."""
        wait = self._store.wait(application_id)
        if wait is not None:
            self._workflow.task_failed(wait.task_token, error, cause)
