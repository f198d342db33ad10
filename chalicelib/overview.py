"""The organisers' overview of a call: every application with its status, votes and slot, and exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from chalicelib.call import Call
from chalicelib.i18n import N_
from chalicelib.links import LinkInvalid, Links
from chalicelib.models import Application
from chalicelib.stores.applications import ApplicationStore
from chalicelib.stores.slots import SlotStore
from chalicelib.vocabulary import Status

CSV_COLUMNS = (
    "reference",
    "submitted_at",
    "status",
    "slot",
    "name",
    "email",
    "email_undeliverable",
    "organisation",
    "kind",
    "title",
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


@dataclass(frozen=True)
class Overview:
    call: Call
    organiser: str
    applications: list[Application]
    slots_taken: int

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "reference": a.id,
                "submitted_at": a.submitted_at.isoformat(timespec="seconds"),
                "status": a.status.value,
                "slot": SLOT.get(a.status, ""),
                "name": a.name,
                "email": a.email,
                # "bounce" or "complaint": SES reported it, and nothing more is sent to it.
                "email_undeliverable": a.email_bounced or "",
                "organisation": a.organisation or "",
                "kind": a.kind.value,
                "title": a.title,
                "approvals": a.approvals,
                "rejections": a.rejections,
                "votes": "; ".join(f"{v.organiser}: {v.outcome.value}" for v in a.votes),
                "summary": a.summary,
            }
            for a in self.applications
        ]

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA) else v for k, v in row.items()})
        return buffer.getvalue()


class OverviewDesk:
    def __init__(self, store: ApplicationStore, slots: SlotStore, links: Links, call: Call) -> None:
        self._store = store
        self._slots = slots
        self._links = links
        self._call = call

    def open(self, token: str) -> Overview:
        index = self._links.read_overview(token)
        if not 0 <= index < len(self._call.organisers):
            raise LinkInvalid(N_("This overview link is not valid for this call."))
        return Overview(
            call=self._call,
            organiser=self._call.organisers[index],
            applications=list(self._store.applications(self._call.id)),
            slots_taken=self._slots.slots_taken(self._call.id),
        )
