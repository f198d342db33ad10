"""Organisers' decisions from their review links: a GET previews, only a POST decides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.applications import utc_now
from chalicelib.call import Call
from chalicelib.links import LinkInvalid, Links, ReviewClaim
from chalicelib.models import Application, Decision, Status
from chalicelib.storage import AlreadyDecided, ApplicationNotFound, ApplicationStore
from chalicelib.workflow import ReviewClosed, Workflow


@dataclass(frozen=True)
class ReviewView:
    application: Application
    claim: ReviewClaim
    organiser: str
    decision: Decision | None
    closed: bool


class ReviewDesk:
    def __init__(
        self,
        store: ApplicationStore,
        workflow: Workflow,
        links: Links,
        call: Call,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._workflow = workflow
        self._links = links
        self._call = call
        self._clock = clock

    def open(self, token: str) -> ReviewView:
        """What the link will do, and whether it still can. Changes nothing."""
        claim = self._links.read_review(token)
        try:
            organiser = self._call.organisers[claim.organiser_index]
            application = self._store.get(claim.application_id)
        except (IndexError, ApplicationNotFound) as exc:
            raise LinkInvalid("This review link points to an application that does not exist.") from exc
        return ReviewView(
            application=application,
            claim=claim,
            organiser=organiser,
            decision=self._store.decision(application.id),
            closed=application.status in {Status.EXPIRED, Status.FAILED},
        )

    def decide(self, token: str, note: str = "") -> Decision:
        """Take the decision once; raises AlreadyDecided, ReviewClosed or a LinkError."""
        view = self.open(token)
        if view.decision is not None:
            raise AlreadyDecided(view.decision)
        request = self._store.review_request(view.application.id)
        if view.closed or request is None:
            raise ReviewClosed(view.application.id)
        decision = Decision(
            outcome=view.claim.outcome,
            organiser=view.organiser,
            decided_at=self._clock().isoformat(timespec="seconds"),
            note=note.strip()[:2000],
        )
        self._store.claim_decision(view.application.id, decision)
        try:
            self._workflow.task_succeeded(request.task_token, decision.model_dump())
        except ReviewClosed:
            self._store.release_decision(view.application.id)
            raise
        return decision
