"""The organisers' overview: one link per organiser, across the calls they organise. With several, it lists
them, each with its counts and exports; for one call (?call=<id>, or their only one) it shows every
application with its status, votes and slot, and the reader's own review links; counts by status and by
kind, the programme of confirmed speakers, filters and sorting (query parameters, so that they work
without JavaScript), and the CSV and JSON exports. An organiser sees no call they do not organise."""

from __future__ import annotations

import csv
import hmac
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalicelib.call import Call, Calls
from chalicelib.i18n import N_, as_datetime
from chalicelib.links import LinkInvalid, LinkRevoked, Links, OverviewClaim, ReviewLinks
from chalicelib.models import Application, Vote
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.revocations import RevocationStore
from chalicelib.stores.slots import SlotStore
from chalicelib.vocabulary import Event, ExperienceKind, Status

CSV_COLUMNS = (
    "reference",
    "submitted_at",
    "status",
    "slot",
    "programme",
    "name",
    "email",
    "email_undeliverable",
    "organisation",
    "kind",
    "title",
    "language",
    "approvals",
    "rejections",
    "votes",
    "summary",
)
# A cell starting with one of these is a formula in a spreadsheet.
FORMULA = ("=", "+", "-", "@")
SLOT = {
    Status.ACCEPTED: "held, awaiting confirmation",
    Status.CONFIRMED: "confirmed",
    Status.WAITLISTED: "waitlisted",
}
STATUS_ORDER = {status: position for position, status in enumerate(Status)}
KIND_ORDER = {kind: position for position, kind in enumerate(ExperienceKind)}


def by_status(applications: Iterable[Application]) -> list[tuple[Status, int]]:
    """How many applications are in each status, in the statuses' order; those with none left out."""
    counts = Counter(a.status for a in applications)
    return [(status, counts[status]) for status in Status if counts[status]]


def _confirmed_at(application: Application) -> datetime:
    """When the speaker confirmed: the history's "confirmed" step (the submission, should it lack one)."""
    step = next((step for step in application.history if step.event == Event.CONFIRMED), None)
    return as_datetime(step.at) if step else application.submitted_at


@dataclass(frozen=True)
class Entry:
    """One application as the reading organiser sees it."""

    application: Application
    # The speaker's place in the programme (1, 2, …), in the order they confirmed; None if not confirmed.
    programme: int | None
    my_vote: Vote | None
    can_vote: bool
    # The reader's own review links, signed as in their emails: each page shows the application and the
    # votes, and the vote button while the reader has not voted and the review is open.
    review: ReviewLinks

    @property
    def kind(self) -> ExperienceKind | None:
        """None once the applicant deleted their data: the kind of a story nobody can read says nothing."""
        return None if self.application.erased else self.application.kind


@dataclass(frozen=True)
class Order:
    """An order the overview offers (?sort=<its name>): what the page calls it, and how it sorts."""

    label: str
    key: Callable[[Entry], Any]


SORTS: dict[str, Order] = {
    "submitted": Order(N_("Oldest first"), lambda e: e.application.submitted_at),
    "newest": Order(N_("Newest first"), lambda e: -e.application.submitted_at.timestamp()),
    "title": Order(N_("Title"), lambda e: e.application.title.casefold()),
    "status": Order(N_("Status"), lambda e: (STATUS_ORDER[e.application.status], e.application.submitted_at)),
    "kind": Order(
        N_("Kind of experience"),
        lambda e: (KIND_ORDER[e.kind] if e.kind else len(KIND_ORDER), e.application.submitted_at),
    ),
    "votes": Order(
        N_("Most approvals first"),
        lambda e: (-e.application.approvals, e.application.rejections, e.application.submitted_at),
    ),
}


class InvalidQuery(Exception):
    """A filter or sort the overview does not have; `parameter` names it, `allowed` lists what it takes."""

    def __init__(self, parameter: str, allowed: tuple[str, ...]) -> None:
        super().__init__(parameter)
        self.parameter = parameter
        self.allowed = allowed


class NotTheirCall(Exception):
    """The overview was asked for a call its organiser does not organise; `theirs` are the ones they do."""

    def __init__(self, call_id: str, theirs: tuple[str, ...]) -> None:
        super().__init__(call_id)
        self.call_id = call_id
        self.theirs = theirs


@dataclass(frozen=True)
class OverviewQuery:
    """What the page shows: ?call=…&status=…&kind=…&sort=…; an empty filter shows everything, and no call
    the organiser's only call, or the list of their calls."""

    status: Status | None = None
    kind: ExperienceKind | None = None
    sort: str = "submitted"
    call_id: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> OverviewQuery:
        status, kind, sort = params.get("status", ""), params.get("kind", ""), params.get("sort", "") or "submitted"
        if status and status not in Status.__members__.values():
            raise InvalidQuery("status", tuple(Status))
        if kind and kind not in ExperienceKind.__members__.values():
            raise InvalidQuery("kind", tuple(ExperienceKind))
        if sort not in SORTS:
            raise InvalidQuery("sort", tuple(SORTS))
        call_id = params.get("call", "") or None
        return cls(Status(status) if status else None, ExperienceKind(kind) if kind else None, sort, call_id)

    def link(self, **changes: str | None) -> str:
        """The query string of this view with some parameters changed (None or "" removes one)."""
        values = {
            "call": self.call_id,
            "status": self.status,
            "kind": self.kind,
            "sort": None if self.sort == "submitted" else self.sort,
        }
        values |= changes
        return "?" + urlencode({name: value for name, value in values.items() if value})

    def shows(self, entry: Entry) -> bool:
        return (self.status is None or entry.application.status is self.status) and (
            self.kind is None or entry.kind is self.kind
        )


@dataclass(frozen=True)
class Overview:
    """One call's applications, as one of its organisers reads them."""

    call: Call
    organiser: str
    # Every application of the call, oldest first.
    entries: list[Entry]
    slots_taken: int
    query: OverviewQuery = field(default_factory=OverviewQuery)
    # How many calls the organiser organises: with more than one, the page leads back to the list of them.
    their_calls: int = 1

    def shown(self) -> list[Entry]:
        """The entries the query selects, in its order."""
        return sorted((e for e in self.entries if self.query.shows(e)), key=SORTS[self.query.sort].key)

    @property
    def orders(self) -> dict[str, Order]:
        """The orders the page offers, by the name the query gives them."""
        return SORTS

    def counts_by_status(self) -> list[tuple[Status, int]]:
        return by_status(e.application for e in self.entries)

    def counts_by_kind(self) -> list[tuple[ExperienceKind, int]]:
        counts = Counter(e.kind for e in self.entries)
        return [(kind, counts[kind]) for kind in ExperienceKind]

    def programme(self) -> list[Entry]:
        """The confirmed speakers, in the order they confirmed."""
        return sorted((e for e in self.entries if e.programme is not None), key=lambda e: e.programme or 0)

    def rows(self) -> list[dict[str, Any]]:
        return [_row(e) for e in self.entries]

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA) else v for k, v in row.items()})
        return buffer.getvalue()


@dataclass(frozen=True)
class CallSummary:
    """One call on the list of an organiser's calls: its counts, and the way to its applications and exports."""

    call: Call
    counts_by_status: list[tuple[Status, int]]
    slots_taken: int

    @property
    def applications(self) -> int:
        return sum(count for _, count in self.counts_by_status)


@dataclass(frozen=True)
class OrganiserCalls:
    """The calls an organiser organises, when there are several."""

    organiser: str
    calls: list[CallSummary]


def _row(entry: Entry) -> dict[str, Any]:
    """One application as the exports write it."""
    a = entry.application
    return {
        "reference": a.id,
        "submitted_at": a.submitted_at.isoformat(timespec="seconds"),
        "status": a.status.value,
        "slot": SLOT.get(a.status, ""),
        "programme": entry.programme or "",
        "name": a.name,
        "email": a.email,
        # "bounce" or "complaint": SES reported it, and nothing more is sent to it.
        "email_undeliverable": a.email_bounced or "",
        "organisation": a.organisation or "",
        "kind": entry.kind.value if entry.kind else "",
        "title": a.title,
        "language": a.language,
        "approvals": a.approvals,
        "rejections": a.rejections,
        "votes": "; ".join(f"{v.organiser}: {v.outcome.value}" for v in a.votes),
        "summary": a.summary,
    }


class OverviewDesk:
    def __init__(
        self, store: ApplicationStore, slots: SlotStore, links: Links, calls: Calls, revocations: RevocationStore
    ) -> None:
        self._store = store
        self._slots = slots
        self._links = links
        self._calls = calls
        self._revocations = revocations

    def open(self, token: str, query: OverviewQuery | None = None) -> Overview | OrganiserCalls:
        """The call the query names (or the organiser's only call), else the list of their calls.

        Raises a LinkError (LinkRevoked when the organiser's links signed then were revoked), or
        NotTheirCall when the query names a call they do not organise."""
        query = query or OverviewQuery()
        claim = self._links.read_overview(token)
        organiser = self._organiser(claim)
        if not self._revocations.allows(organiser, claim.issued_at):
            raise LinkRevoked()
        theirs = self._calls.organised_by(organiser)
        if not theirs:
            raise LinkInvalid(N_("This overview link is of someone who organises no call any more."))
        if query.call_id is None and len(theirs) > 1:
            return OrganiserCalls(organiser, [self._summary(call) for call in theirs])
        call = theirs[0] if query.call_id is None else next((c for c in theirs if c.id == query.call_id), None)
        if call is None:
            raise NotTheirCall(str(query.call_id), tuple(c.id for c in theirs))
        return self._overview(call, organiser, query, len(theirs))

    def _organiser(self, claim: OverviewClaim) -> str:
        """The address the link was signed for: by its keyed hash, among every call's organisers, or, in a
        link signed before calls had ids, by its place among the default call's."""
        if claim.organiser_index is not None:
            organisers = self._calls.default.organisers
            if not 0 <= claim.organiser_index < len(organisers):
                raise LinkInvalid(N_("This overview link is not valid for this call."))
            return organisers[claim.organiser_index]
        for call in self._calls:
            for address in call.organisers:
                if hmac.compare_digest(self._links.organiser_key(address), str(claim.organiser)):
                    return address
        raise LinkInvalid(N_("This overview link is of someone who organises no call any more."))

    def _summary(self, call: Call) -> CallSummary:
        return CallSummary(call, by_status(self._store.applications(call.id)), self._slots.slots_taken(call.id))

    def _overview(self, call: Call, organiser: str, query: OverviewQuery, their_calls: int) -> Overview:
        index = call.organiser_index(organiser)
        if index is None:
            raise ValueError("an overview is built only of a call its reader organises")
        applications = list(self._store.applications(call.id))
        confirmed = sorted((a for a in applications if a.status is Status.CONFIRMED), key=_confirmed_at)
        programme = {a.id: place for place, a in enumerate(confirmed, start=1)}
        entries = [self._entry(call, index, a, programme.get(a.id)) for a in applications]
        taken = self._slots.slots_taken(call.id)
        return Overview(call, call.organisers[index], entries, taken, query, their_calls)

    def _entry(self, call: Call, index: int, application: Application, programme: int | None) -> Entry:
        """One application as organiser `index` of the call sees it, with their vote links."""
        my_vote = application.vote_of(call.organisers[index])
        return Entry(
            application=application,
            programme=programme,
            my_vote=my_vote,
            can_vote=my_vote is None and application.review_is_open(call.approvals_needed, call.rejections_needed),
            review=self._links.review_links(call.id, application.id, index),
        )
