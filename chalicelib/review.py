"""Organisers' votes from their review links: a GET previews, only a POST votes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.call import Call, CallOf
from chalicelib.callbacks import Callbacks
from chalicelib.clock import utc_now
from chalicelib.i18n import N_, SOURCE_LANGUAGE, Language
from chalicelib.links import LinkInvalid, LinkRevoked, Links, ReviewClaim, belonging
from chalicelib.models import NOTE_MAX_CHARS, Application, InvalidFields, Vote, VoteForm, validated
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.revocations import RevocationStore
from chalicelib.stores.table import ApplicationNotFound
from chalicelib.stores.votes import AlreadyVoted, ReviewOver, VoteStore
from chalicelib.vocabulary import WaitKind


class InvalidNote(InvalidFields):
    """The review page sent a note that cannot be kept: too long, not text, or with control characters."""


def read_note(fields: Mapping[str, Any], language: Language = SOURCE_LANGUAGE) -> str:
    return validated(VoteForm, fields, InvalidNote, language).note


@dataclass(frozen=True)
class ReviewView:
    application: Application
    claim: ReviewClaim
    # The application's call, whose organiser the link was signed for.
    call: Call
    organiser: str
    my_vote: Vote | None
    votes_count: bool

    @property
    def approving(self) -> bool:
        return self.claim.outcome.value == "approve"

    @property
    def note_max_chars(self) -> int:
        return NOTE_MAX_CHARS


class ReviewDesk:
    def __init__(
        self,
        store: ApplicationStore,
        votes: VoteStore,
        callbacks: Callbacks,
        links: Links,
        call_of: CallOf,
        revocations: RevocationStore,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._votes = votes
        self._callbacks = callbacks
        self._links = links
        self._call_of = call_of
        self._revocations = revocations
        self._clock = clock

    def check(self, token: str) -> ReviewClaim:
        """The link's claim, if its signature holds and it has not expired; raises a LinkError. Reads nothing."""
        return self._links.read_review(token)

    def open(self, token: str, route_call_id: str | None = None) -> ReviewView:
        """What the link will do, and whether a vote still counts. Changes nothing.

        The link is an organiser's of one call: it works only on an application of that call, and only at
        that call's address (`route_call_id`; None: wherever it is opened).
        Raises a LinkError: LinkRevoked when the organiser's links signed then were revoked (the overview
        hands out review links, so revoking it revokes them too), LinkOfAnotherCall at another call's address."""
        claim = self._links.read_review(token)
        try:
            application = self._store.get(claim.application_id)
            call = self._call_of(belonging(claim.call_id, application, route_call_id))
            organiser = call.organisers[claim.organiser_index]
        except (IndexError, ApplicationNotFound) as exc:
            raise LinkInvalid(N_("This review link points to an application that does not exist.")) from exc
        if not self._revocations.allows(organiser, claim.issued_at):
            raise LinkRevoked()
        return _view(application, claim, call, organiser)

    def vote(self, token: str, note: str = "", route_call_id: str | None = None) -> ReviewView:
        """Count this organiser's vote; returns the link's view with the vote counted. Raises AlreadyVoted,
        ReviewOver, VoteContended or a LinkError."""
        view = self.open(token, route_call_id)
        if view.my_vote is not None:
            raise AlreadyVoted(view.my_vote)
        if not view.votes_count:
            raise ReviewOver(view.application)
        vote = Vote(
            organiser=view.organiser,
            outcome=view.claim.outcome,
            at=self._clock().isoformat(timespec="seconds"),
            note=note,
        )
        application = self._votes.record_vote(
            view.application.id,
            view.claim.organiser_index,
            vote,
            view.call.approvals_needed,
            view.call.rejections_needed,
            view.application.expires_at,
        )
        self._callbacks.answer(application.id, WaitKind.VOTE, application.tally())
        return _view(application, view.claim, view.call, view.organiser)


def _view(application: Application, claim: ReviewClaim, call: Call, organiser: str) -> ReviewView:
    return ReviewView(
        application=application,
        claim=claim,
        call=call,
        organiser=organiser,
        my_vote=application.vote_of(organiser),
        votes_count=application.review_is_open(call.approvals_needed, call.rejections_needed),
    )
