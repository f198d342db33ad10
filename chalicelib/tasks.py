"""The task queue's worker: renders and sends each email a workflow step asks for, then reports back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import rendering
from chalicelib.applications import utc_now
from chalicelib.call import Call
from chalicelib.links import Links
from chalicelib.mailer import EmailRejected, Mailer
from chalicelib.models import Application, Outcome, ReviewRequest, TaskMessage
from chalicelib.storage import ApplicationNotFound, ApplicationStore
from chalicelib.workflow import Workflow


class TaskWorker:
    def __init__(
        self,
        store: ApplicationStore,
        mailer: Mailer,
        workflow: Workflow,
        links: Links,
        call: Call,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._workflow = workflow
        self._links = links
        self._call = call
        self._clock = clock

    def run(self, message: TaskMessage) -> None:
        """Do one task. EmailThrottled propagates so that SQS delivers the message again;
        permanent failures are reported to the workflow under the names its Catch uses."""
        try:
            application = self._store.get(message.application_id)
        except ApplicationNotFound:
            self._workflow.task_failed(message.task_token, "ApplicationMissing", message.application_id)
            return
        try:
            if message.task == "request_review":
                self._request_review(application, message.task_token)
                return  # the organiser's decision answers this task, not the worker
            self._tell_applicant(application, message.task)
        except EmailRejected as exc:
            self._workflow.task_failed(message.task_token, "EmailRejected", str(exc))
            return
        self._workflow.task_succeeded(message.task_token, {"sent": message.task})

    def _request_review(self, application: Application, task_token: str) -> None:
        self._store.save_review_request(
            ReviewRequest(
                application_id=application.id,
                task_token=task_token,
                requested_at=self._clock().isoformat(timespec="seconds"),
            )
        )
        for index, organiser in enumerate(self._call.organisers):
            self._send(
                application,
                "review_request",
                organiser,
                approve_url=self._links.review_url(application.id, index, Outcome.APPROVE),
                reject_url=self._links.review_url(application.id, index, Outcome.REJECT),
            )

    def _tell_applicant(self, application: Application, task: str) -> None:
        template = task.removeprefix("announce_")
        context: dict[str, Any] = {}
        if task == "announce_decline":
            decision = self._store.decision(application.id)
            context["note"] = decision.note if decision else ""
        self._send(application, template, application.email, application.name, **context)

    def _send(
        self, application: Application, template: str, recipient: str, recipient_name: str = "", **context: Any
    ) -> None:
        """Send once: a marker written with a conditional put stops a redelivered task from repeating it."""
        if not self._store.mark_email(application.id, template, recipient, self._clock().isoformat()):
            return
        message = rendering.email(
            template,
            application=application,
            call=self._call,
            status_url=self._links.status_url(application.id),
            **context,
        )
        try:
            self._mailer.send(recipient, message, recipient_name)
        except Exception:
            self._store.unmark_email(application.id, template, recipient)
            raise
