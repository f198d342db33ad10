"""The workflow's main paths on two interpreters, moto's and npm's aws-local-stepfunctions (tests/interpreter.mjs):
each path ends the same on both.

One season of the two calls per interpreter, its paths side by side so that their waits overlap: accepted and
confirmed (until the session, and past it); rejected; expired; waitlisted and promoted; confirmed then cancelled;
withdrawn; an acknowledgement throttled past the queue's last delivery. Its ending is what a person sees of each
application (the execution's status, the stored status and history, the applicant's emails) and the slots taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import aws, deps
from chalicelib.tasks import MAX_DELIVERIES
from local.emulator import Emulator, free_port
from local.outbox import OutboxMessage
from tests.interpreter import ENDPOINT_VARIABLE, SecondInterpreter
from tests.support import CHAIR, DEFAULT_CALL, GRACE, LINUS, MODERATOR, SECOND_CALL, STORY, CfP
from tests.test_session import session_in

MOTO = "moto"
SECOND = "aws-local-stepfunctions"

# Ada, Grace and Linus apply to the default call; its one slot and one-vote quorum make the waitlist.
MARGARET = STORY | {"name": "Margaret Hamilton", "email": "margaret@example.org", "title": "The OSPO that withdrew"}
KATHERINE = STORY | {"name": "Katherine Johnson", "email": "katherine@example.org", "title": "The OSPO SES throttled"}
# To the second call, whose review window is 7.2 s with one reminder, and whose session is over.
RADIA = STORY | {"name": "Radia Perlman", "email": "radia@example.org", "title": "The OSPO nobody reviewed"}
BARBARA = STORY | {"name": "Barbara Liskov", "email": "barbara@example.org", "title": "The OSPO that spoke"}
SETTINGS: dict[str, dict[str, Any]] = {
    DEFAULT_CALL: {"guest_slots": 1, "approvals_needed": 1, "rejections_needed": 1, **session_in(3600, 60)},
    SECOND_CALL: {"approvals_needed": 1, "review_window_hours": 0.002, "review_reminders": 1},
}
ACKNOWLEDGED = ["submitted", "acknowledgement_sent", "review_requested"]
ACCEPTED = [*ACKNOWLEDGED, "approved", "slot_taken"]
ADA = "accepted, confirmed, then cancelled"


def received(story: dict[str, str]) -> str:
    return f"We received your application: “{story['title']}”"


HEROES = "“OSPO, you can be heroes!”"
PUBLIC_SECTOR = "“Open source in the public sector: tales from the field”"
ENDING: dict[str, Any] = {
    "slots taken": {DEFAULT_CALL: 1, SECOND_CALL: 1},
    "accepted, confirmed, the session held": (
        "SUCCEEDED",
        "confirmed",
        [*ACCEPTED, "confirmed"],
        [
            received(BARBARA),
            f"Action required: confirm your talk at {PUBLIC_SECTOR}",
            f"Confirmed: you speak at {PUBLIC_SECTOR}",
        ],
    ),
    ADA: (
        "SUCCEEDED",
        "cancelled",
        [*ACCEPTED, "confirmed", "cancelled_after_confirming", "slot_handed_on"],
        [
            received(STORY),
            f"Action required: confirm your talk at {HEROES}",
            f"Confirmed: you speak at {HEROES}",
            f"Cancelled: your story at {HEROES}",
        ],
    ),
    "waitlisted, promoted, confirmed": (
        "RUNNING",
        "confirmed",
        [*ACKNOWLEDGED, "approved", "waitlisted", "promoted_from_waitlist", "slot_taken", "confirmed"],
        [
            received(GRACE),
            f"You are on the waitlist for {HEROES}",
            f"Action required: confirm your talk at {HEROES}",
            f"Confirmed: you speak at {HEROES}",
        ],
    ),
    "rejected": (
        "SUCCEEDED",
        "declined",
        [*ACKNOWLEDGED, "rejected"],
        [received(LINUS), f"About your application “{LINUS['title']}”"],
    ),
    "withdrawn": (
        "SUCCEEDED",
        "withdrawn",
        [*ACKNOWLEDGED, "withdrawn"],
        [received(MARGARET), f"Your application “{MARGARET['title']}” is withdrawn"],
    ),
    "expired": (
        "SUCCEEDED",
        "expired",
        [*ACKNOWLEDGED, "organisers_reminded", "review_expired"],
        [received(RADIA), f"Your application “{RADIA['title']}” could not be reviewed in time"],
    ),
    "throttled, then acknowledged": ("RUNNING", "in_review", ACKNOWLEDGED, [received(KATHERINE)]),
}


@pytest.fixture(scope="module")
def second_interpreter(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecondInterpreter]:
    with (tmp_path_factory.mktemp("interpreter") / "node.log").open("w") as log:
        running = SecondInterpreter(free_port()).start(log)
        yield running
        running.stop()


@pytest.fixture(params=[MOTO, SECOND])
def interpreter(request: pytest.FixtureRequest, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Which Step Functions the app and the tests call: moto's (the emulator's), or the second one."""
    if request.param == SECOND:
        monkeypatch.setenv(ENDPOINT_VARIABLE, request.getfixturevalue("second_interpreter").endpoint)
    yield request.param


@pytest.fixture
def season(interpreter: str, emulator: Emulator) -> Iterator[CfP]:
    emulator.reset()
    harness = CfP.create(emulator, SETTINGS)
    yield harness
    harness.close()


def ending(cfp: CfP, application_id: str, outbox: list[OutboxMessage]) -> tuple[str, str, list[str], list[str]]:
    """What a person sees of an application: its execution's status, its status and history, and the subjects of
    the emails to the applicant (without the moment of the session, which session_in sets from the clock)."""
    stored = cfp.application(application_id)
    return (
        cfp.execution_status(application_id),
        stored.status,
        [step.event for step in stored.history],
        [re.sub(r" on [^“”]*$", "", m.subject) for m in outbox if stored.email in m.recipients],
    )


def application_of(cfp: CfP, story: dict[str, str], call_id: str = DEFAULT_CALL) -> str:
    """Submit a story; its application's id."""
    assert cfp.submit(story, call_id=call_id).status_code == 303
    return next(a.id for a in cfp.applications() if a.title == story["title"])


def test_each_path_ends_the_same_on_both_interpreters(interpreter: str, season: CfP) -> None:
    cfp = season
    # SES throttles Katherine's acknowledgement at every delivery: the last one tells the workflow, whose Retry
    # sends the task again a few seconds later, while the other paths go on.
    cfp.inject({"operation": "sesv2.SendEmail", "error": "TooManyRequestsException", "times": MAX_DELIVERIES})
    cfp.retry_at_once()
    katherine = application_of(cfp, KATHERINE)
    cfp.pump.run_until(lambda: aws.injected()[0].raised == MAX_DELIVERIES)

    radia, barbara = (application_of(cfp, story, SECOND_CALL) for story in (RADIA, BARBARA))
    ada, grace, linus, margaret = (application_of(cfp, story) for story in (STORY, GRACE, LINUS, MARGARET))
    cfp.vote(CHAIR, "Approve", title=BARBARA["title"])
    cfp.vote(MODERATOR, "Approve", title=STORY["title"])
    cfp.vote(MODERATOR, "Reject", title=LINUS["title"])
    cfp.wait_for_email(MODERATOR, f"New application to review: “{MARGARET['title']}”")
    assert "Your application is withdrawn" in cfp.post(f"{cfp.status_link(MARGARET)}/withdraw").body.decode()
    cfp.confirm(BARBARA)
    cfp.confirm(STORY)
    # Ada holds the one slot: Grace, approved now, waits for it until Ada cancels.
    cfp.vote(MODERATOR, "Approve", title=GRACE["title"])
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist")
    cfp.post(f"{cfp.status_link(STORY)}/withdraw", reason="My flight was cancelled.")
    cfp.confirm(GRACE)

    for done in (ada, linus, margaret, radia, barbara):
        cfp.wait_for_execution(done, "SUCCEEDED")
    cfp.wait_for_state(grace, "AwaitSession")
    cfp.wait_for_email(MODERATOR, f"New application to review: “{KATHERINE['title']}”")
    outbox = cfp.outbox()
    assert {
        "slots taken": {call: cfp.store_slots_taken(call) for call in (DEFAULT_CALL, SECOND_CALL)},
        "accepted, confirmed, the session held": ending(cfp, barbara, outbox),
        ADA: ending(cfp, ada, outbox),
        "waitlisted, promoted, confirmed": ending(cfp, grace, outbox),
        "rejected": ending(cfp, linus, outbox),
        "withdrawn": ending(cfp, margaret, outbox),
        "expired": ending(cfp, radia, outbox),
        "throttled, then acknowledged": ending(cfp, katherine, outbox),
    } == ENDING
    # The moments of Ada's history on her status page, two of them written by the interpreter itself
    # ($$.State.EnteredTime: moto writes "+00:00" and microseconds, AWS and the second interpreter "Z").
    [acknowledgement] = [m for m in outbox if m.subject == received(STORY)]
    page = cfp.client.http.get(cfp.path(cfp.link(acknowledgement, "Follow its status here"))).body.decode()
    timeline = re.findall(r"<li><time datetime=\"[^\"]+\">\w+day [^<]+ \(Paris time\)</time> · ", page)
    assert len(timeline) == len(ENDING[ADA][2])

    history = aws.stepfunctions().get_execution_history(executionArn=deps.workflow().execution_arn(katherine))
    failures = [e["taskFailedEventDetails"]["error"] for e in history["events"] if e["type"] == "TaskFailed"]
    if interpreter == SECOND:
        # One SendTaskFailure is one failed attempt, as on AWS; moto's interpreter replays it on the next
        # attempt and counts two (README, "Two interpreters").
        assert failures == ["EmailThrottled"]
    else:
        assert failures and set(failures) == {"EmailThrottled"}
