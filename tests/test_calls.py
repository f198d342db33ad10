"""Two calls side by side, through the real state machine: the root page lists them; their slots and waitlists
are their own; an organiser of one cannot vote on, export or see the other's applications; each export holds
its own call's; a link of one call is refused at the other's address with a page that says so; and a call
whose file is removed runs on, closed, with its applicants' links working."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

from chalicelib import deps
from chalicelib.call import CALLS_DIR
from chalicelib.settings import CALL_FILE
from tests.support import CHAIR, DEFAULT_CALL, MODERATOR, PROGRAMME, SECOND_CALL, STORY, CfP

GRACE = STORY | {"name": "Grace Hopper", "email": "grace@example.org", "title": "Procurement, debugged"}
BEA = STORY | {"name": "Bea", "email": "bea@example.org", "title": "The town hall that forked its website"}


def exported_titles(cfp: CfP, overview: str, call_id: str) -> list[str]:
    response = cfp.client.http.get(f"{overview}?call={call_id}&format=csv")
    assert response.status_code == 200, response.body
    return sorted(row["title"] for row in csv.DictReader(io.StringIO(response.body.decode())))


def test_the_root_page_lists_the_calls_and_each_lives_at_its_own_address(cfp: CfP) -> None:
    both = cfp.client.http.get("/").body.decode()
    assert "2 calls are open: choose yours below." in both
    assert f'href="./{DEFAULT_CALL}/">OSPO, you can be heroes!</a>' in both
    assert f'href="./{SECOND_CALL}/">Open source in the public sector: tales from the field</a>' in both
    french = cfp.client.http.get("/", headers={"Accept-Language": "fr"}).body.decode()
    assert "Appels à participation" in french and "dans le secteur public\u00a0: récits de terrain" in french

    form = cfp.client.http.get(f"/{SECOND_CALL}/").body.decode()
    assert "5-minute story, no slides" in form and "3 guest slots" in form
    assert f'action="../{SECOND_CALL}/applications"' in form
    assert cfp.client.http.get(f"/{SECOND_CALL}").status_code == 200  # without its slash: the same page
    missing = cfp.client.http.get("/ow2con25-nothing/")
    assert missing.status_code == 404 and "Page not found" in missing.body.decode()

    # One call open: the root page says so, and its link is one click away.
    cfp.configure(deadline="2024-06-02T23:59:00+02:00")
    one = cfp.client.http.get("/").body.decode()
    assert f'One call is open: <a href="./{SECOND_CALL}/">' in one
    assert "Closed calls" in one and "OSPO, you can be heroes!" in one


def test_two_calls_keep_their_own_slots_waitlists_organisers_and_exports(cfp: CfP) -> None:
    cfp = cfp.with_calls(
        {
            DEFAULT_CALL: {"guest_slots": 1, "approvals_needed": 1, "rejections_needed": 1},
            SECOND_CALL: {"guest_slots": 1},
        }
    )
    cfp.submit(STORY)
    cfp.submit(GRACE)
    cfp.submit(BEA, call_id=SECOND_CALL)

    # The OSPO breakout's only slot goes to Ada, and Grace waits; the second call's slot is its own, free.
    cfp.vote(MODERATOR, "Approve")
    cfp.wait_for_email(STORY["email"], "Action required")
    cfp.vote(MODERATOR, "Approve", title=GRACE["title"])
    cfp.wait_for_email(GRACE["email"], "You are on the waitlist for “OSPO, you can be heroes!”")
    assert cfp.vote(CHAIR, "Approve", title=BEA["title"]).status_code == 200
    acceptance = cfp.wait_for_email(BEA["email"], "Action required")
    assert (
        acceptance.subject
        == "Action required: confirm your talk at “Open source in the public sector: tales from the field”"
    )
    assert acceptance.sent_by == "OW2con'24 public sector session <cfp@ow2con.example>"
    assert (cfp.store_slots_taken(DEFAULT_CALL), cfp.store_slots_taken(SECOND_CALL)) == (1, 1)
    grace_id = next(a.id for a in cfp.applications() if a.title == GRACE["title"])
    assert [e.application_id for e in deps.slots().waitlist(DEFAULT_CALL)] == [grace_id]
    assert deps.slots().waitlist(SECOND_CALL) == []

    # Each call's organisers hear of their call's applications only.
    assert not [m for m in cfp.emails_to(MODERATOR) if BEA["title"] in m.subject]
    assert not [m for m in cfp.emails_to(CHAIR) if STORY["title"] in m.subject or GRACE["title"] in m.subject]
    assert len([m for m in cfp.emails_to(PROGRAMME) if "New application to review" in m.subject]) == 3

    # Bea cancels: her call's slot is freed (nobody waits there); the OSPO breakout's waitlist is untouched.
    cfp.post(cfp.attendance_link("no", BEA["email"]))
    bea_id = next(a.id for a in cfp.applications() if a.title == BEA["title"])
    cfp.wait_for_execution(bea_id, "SUCCEEDED")
    assert (cfp.store_slots_taken(DEFAULT_CALL), cfp.store_slots_taken(SECOND_CALL)) == (1, 0)
    assert cfp.application(grace_id).status == "waitlisted"

    # The moderator organises the OSPO breakout only: the second call is neither shown nor exported to them.
    moderator = cfp.overview_link(MODERATOR)
    page = cfp.client.http.get(moderator).body.decode()
    assert STORY["title"] in page and BEA["title"] not in page
    for query in (f"?call={SECOND_CALL}", f"?call={SECOND_CALL}&format=csv", f"?call={SECOND_CALL}&format=json"):
        refused = cfp.client.http.get(f"{moderator}{query}")
        assert refused.status_code == 403, query
        assert "Not one of your calls" in refused.body.decode() and BEA["title"] not in refused.body.decode()
    # The programme committee organises both: one link, both calls, each export its own call's only.
    programme = cfp.overview_link(PROGRAMME)
    listed = cfp.client.http.get(programme).body.decode()
    assert "Your calls" in listed and listed.count('<section class="call-summary"') == 2
    assert "2 applications · 1 of 1 slot taken" in listed and "1 application · 0 of 1 slot taken" in listed
    assert exported_titles(cfp, programme, DEFAULT_CALL) == sorted([STORY["title"], GRACE["title"]])
    assert exported_titles(cfp, programme, SECOND_CALL) == [BEA["title"]]
    undecided = cfp.client.http.get(f"{programme}?format=csv")
    assert undecided.status_code == 400 and "“call” must be one of:" in undecided.body.decode()


def test_a_link_of_one_call_is_refused_at_the_other_s_address(cfp: CfP) -> None:
    cfp.submit()
    approve = cfp.review_link(MODERATOR, "Approve")
    status = cfp.path(cfp.link(cfp.wait_for_email(STORY["email"], "We received"), "Follow its status here"))
    assert approve.startswith(f"/{DEFAULT_CALL}/review/") and status.startswith(f"/{DEFAULT_CALL}/status/")

    def elsewhere(link: str) -> str:
        return link.replace(f"/{DEFAULT_CALL}/", f"/{SECOND_CALL}/", 1)

    for response in (
        cfp.client.http.get(elsewhere(approve)),
        cfp.post(elsewhere(approve)),
        cfp.client.http.get(elsewhere(status)),
        cfp.client.http.get(elsewhere(f"{status}/withdraw")),
        cfp.post(elsewhere(f"{status}/withdraw")),
        cfp.post(elsewhere(f"{status}/delete")),
    ):
        page = response.body.decode()
        assert response.status_code == 404
        assert "This link belongs to another call" in page
        assert "It was sent for “OSPO, you can be heroes!”: open it from the email it came in" in page
    [ada] = cfp.applications()
    assert ada.votes == [] and not ada.withdraw_requested
    # At its own address it works.
    assert cfp.post(approve).status_code == 200
    assert cfp.application(ada.id).approvals == 1


def test_a_call_whose_file_is_removed_runs_on_closed(cfp: CfP, tmp_path: Path) -> None:
    """A call of its own file (CALL_FILE may name one outside chalicelib/calls/), then the file is gone: the
    call takes no more applications, its applicants' and organisers' links work until its data is deleted."""
    extra = tmp_path / "ow2con24-extra.toml"
    shutil.copy(CALLS_DIR / f"{SECOND_CALL}.toml", extra)
    extra.write_text(extra.read_text().replace(f'id = "{SECOND_CALL}"', 'id = "ow2con24-extra"'))
    os.environ[CALL_FILE] = str(extra)
    try:
        deps.reset()
        assert cfp.submit(BEA, call_id="ow2con24-extra").status_code == 303
        acknowledgement = cfp.wait_for_email(BEA["email"], "We received")
        approve = cfp.review_link(CHAIR, "Approve", title=BEA["title"])
    finally:
        del os.environ[CALL_FILE]
        deps.reset()

    root = cfp.client.http.get("/").body.decode()
    assert "ow2con24-extra" not in root
    form = cfp.client.http.get("/ow2con24-extra/").body.decode()
    assert "Applications are closed." in form and '<form method="post"' not in form
    assert cfp.submit(GRACE, call_id="ow2con24-extra").status_code == 403
    status = cfp.client.http.get(cfp.path(cfp.link(acknowledgement, "Follow its status here")))
    assert status.status_code == 200 and BEA["title"] in status.body.decode()
    # The review goes on: the chair's vote accepts, and the speaker hears it from the call's own sender.
    assert cfp.post(approve).status_code == 200
    assert cfp.wait_for_email(BEA["email"], "Action required").sent_by.startswith("OW2con'24 public sector session")
