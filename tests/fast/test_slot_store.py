"""The waitlist: first come first, an application that comes back keeps its place, and a stale entry is never
removed in place of the newer one."""

from __future__ import annotations

from chalicelib.call import Call
from chalicelib.stores.slots import SlotStore
from tests.fast.conftest import Submit
from tests.support import GRACE

EARLIER, LATER, LATER_STILL = "2024-05-20T09:30:00+00:00", "2024-05-20T10:00:00+00:00", "2024-05-21T08:00:00+00:00"


def test_the_waitlist_is_first_come_first(slots: SlotStore, call: Call, submitted: Submit) -> None:
    grace, ada = submitted(GRACE), submitted()
    slots.join_waitlist(ada, EARLIER, "ada-waits")
    slots.join_waitlist(grace, LATER, "grace-waits")
    assert [(e.application_id, e.task_token) for e in slots.waitlist(call.id)] == [
        (ada.id, "ada-waits"),
        (grace.id, "grace-waits"),
    ]


def test_an_application_that_comes_back_to_the_waitlist_keeps_its_place(
    slots: SlotStore, call: Call, submitted: Submit
) -> None:
    ada, grace = submitted(), submitted(GRACE)
    first = slots.join_waitlist(ada, EARLIER, "ada-waits")
    slots.join_waitlist(grace, LATER, "grace-waits")
    # Ada was woken, found the slot claimed by someone else, and waits again.
    again = slots.join_waitlist(ada, LATER_STILL, "ada-waits-again")

    assert again.key == first.key
    assert [(e.application_id, e.task_token) for e in slots.waitlist(call.id)] == [
        (ada.id, "ada-waits-again"),
        (grace.id, "grace-waits"),
    ]


def test_a_stale_waitlist_entry_is_not_removed_in_place_of_the_newer_one(
    slots: SlotStore, call: Call, submitted: Submit
) -> None:
    ada = submitted()
    stale = slots.join_waitlist(ada, EARLIER, "ada-waits")
    current = slots.join_waitlist(ada, LATER, "ada-waits-again")

    assert slots.leave_waitlist(call.id, stale) is False
    assert slots.waitlist(call.id) == [current]
    assert slots.leave_waitlist(call.id, current) is True
    assert slots.waitlist(call.id) == []
    assert slots.leave_waitlist(call.id, current) is False


def test_no_slot_is_taken_before_the_workflow_counts_one(slots: SlotStore, call: Call) -> None:
    assert slots.slots_taken(call.id) == 0
    assert slots.waitlist(call.id) == []
