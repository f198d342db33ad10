"""Taking in applications: the call must be open, and a repeat returns the first one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.call import Call
from chalicelib.callbacks import Callbacks
from chalicelib.i18n import SOURCE_LANGUAGE, Language
from chalicelib.models import Application, ApplicationForm, field_errors
from chalicelib.storage import ApplicationStore


def utc_now() -> datetime:
    return datetime.now(UTC)


class CallClosed(Exception):
    """The call's deadline has passed."""


class InvalidApplication(Exception):
    """The form has mistakes; `errors` maps each field to a sentence that says what to do."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def read_form(fields: Mapping[str, Any], call: Call, language: Language = SOURCE_LANGUAGE) -> ApplicationForm:
    try:
        return ApplicationForm.model_validate(dict(fields), context={"summary_max_chars": call.summary_max_chars})
    except ValidationError as exc:
        raise InvalidApplication(field_errors(exc, language)) from exc


class Submissions:
    def __init__(self, store: ApplicationStore, call: Call, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._call = call
        self._clock = clock

    def submit(self, fields: Mapping[str, Any], language: Language = SOURCE_LANGUAGE) -> tuple[Application, bool]:
        """Validate and store; returns the application and whether it is new.

        `language` is the one the applicant reads: their mistakes are told in it, and it is stored
        so that every email to them is written in it.
        """
        now = self._clock()
        if not self._call.is_open(now):
            raise CallClosed(self._call.deadline.isoformat())
        form = read_form(fields, self._call, language)
        return self._store.submit(Application.from_form(form, self._call.id, now, language))

    def status(self, application_id: str) -> Application:
        return self._store.get(application_id)


class Withdrawals:
    """An applicant withdrawing from their status link: flag it, then tell the waiting workflow."""

    def __init__(self, store: ApplicationStore, callbacks: Callbacks) -> None:
        self._store = store
        self._callbacks = callbacks

    def withdraw(self, application_id: str) -> Application:
        """Raises CannotWithdraw once the application has reached an end."""
        application = self._store.request_withdrawal(application_id)
        # If the workflow is between two waits, the worker storing the next one sees the flag.
        self._callbacks.fail(application_id, "Withdrawn", "The applicant withdrew.")
        return application
