"""The organisers' overview, through the real state machine: each row with the reader's own review links and
the story's summary, counts, the programme in the order speakers confirmed, filters and sorting in the
address, exports with the language and the programme; and one organiser's links revoked alone."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from datetime import UTC, datetime

import pytest

from chalicelib import deps
from deploy import revoke
from tests.support import MODERATOR, PROGRAMME, STORY, TRACK, CfP, token_of

# The third organiser of the default call, and of no other: their overview is that call's applications.

GRACE = STORY | {"name": "Grace Hopper", "email": "grace@example.org", "title": "Procurement, debugged", "kind": "good"}
LINUS = STORY | {"name": "Linus", "email": "linus@example.org", "title": "The CLA that nobody signed", "kind": "bad"}
EMILE = STORY | {"name": "Émile Zola", "email": "emile@example.org", "title": "J'accuse the licence", "kind": "good"}


def rows(page: str) -> list[str]:
    return re.findall(r"<tr>\s*<td class=\"story-cell\">.*?</tr>", page, flags=re.S)


def test_an_organiser_works_in_the_overview(cfp: CfP) -> None:
    cfp = cfp.with_call(guest_slots=3, approvals_needed=1, rejections_needed=1)
    # Ada applied first, Grace second; Grace confirmed first, so she opens the programme.
    cfp.submit(STORY)
    grace = cfp.confirmed_speaker(GRACE)
    cfp.vote(MODERATOR, "Approve")
    cfp.wait_for_email(STORY["email"], "Action required")
    cfp.post(cfp.attendance_link("yes"))
    cfp.wait_for_email(STORY["email"], "Confirmed")
    cfp.submit(LINUS | {"language": "fr"})
    cfp.wait_for_email(PROGRAMME, LINUS["title"])
    cfp.submit(EMILE)
    emile_status = cfp.path(cfp.link(cfp.wait_for_email(EMILE["email"], "We received"), "Follow its status here"))
    cfp.post(f"{emile_status}/delete")
    applications = {a.title: a for a in cfp.applications()}
    cfp.wait_for_execution(applications["(deleted)"].id, "SUCCEEDED")  # the withdrawal the deletion asked for
    linus = applications[LINUS["title"]]

    link = cfp.overview_link(TRACK)
    page = cfp.client.http.get(link).body.decode()
    assert 'class="page full"' in page  # as wide as the screen on a desktop
    assert '<meta name="robots" content="noindex">' in page
    # Counts by status and by kind, each a link to the rows it counts; a deleted story's kind is not counted.
    assert '<a href="?status=confirmed">confirmed</a>: 2' in page
    assert '<a href="?status=in_review">in review</a>: 1' in page
    assert '<a href="?status=withdrawn">withdrawn</a>: 1' in page
    for kind, count in (("good", 1), ("bad", 1), ("ugly", 1)):
        assert f'<a href="?kind={kind}">{kind}</a>: {count}' in page
    # The programme: confirmed speakers in the order they confirmed.
    programme = re.search(r'<ol class="programme">(.*?)</ol>', page, flags=re.S)
    assert programme and re.findall(r"<strong>([^<,]+)", programme.group(1)) == ["Grace Hopper", "Ada Lovelace"]

    # Each row shows the summary and the reader's own review links, signed as in their emails.
    [linus_row] = [row for row in rows(page) if LINUS["title"] in row]
    assert STORY["summary"] in linus_row
    approve = re.search(r'<a class="vote approve" href="([^"]+)"', linus_row)
    assert approve
    claim = deps.links().read_review(token_of(approve.group(1)))
    assert (claim.application_id, claim.organiser_index, claim.outcome) == (linus.id, 2, "approve")
    review = cfp.client.http.get(cfp.path(approve.group(1))).body.decode()
    assert f"You are voting as {TRACK}" in review and "Vote to approve" in review
    # The moderator voted on Ada's story: their overview says so, and links to the review without a button.
    moderator_page = cfp.client.http.get(cfp.overview_link(MODERATOR)).body.decode()
    [ada_row] = [row for row in rows(moderator_page) if STORY["title"] in row]
    assert "You voted to approve." in ada_row and 'class="vote' not in ada_row
    seen = re.search(r'<a href="([^"]+)">See the review', ada_row)
    assert seen and "<form" not in cfp.client.http.get(cfp.path(seen.group(1))).body.decode()
    # A deleted application shows nothing of its story, not even its kind.
    [deleted] = [row for row in rows(page) if "Deleted at the applicant's request." in row]
    assert "· good" not in deleted and EMILE["name"] not in deleted and 'class="vote' not in deleted

    # Filters and order are query parameters of a form that works without JavaScript.
    assert '<form method="get" action="' in page and '<select id="filter-status" name="status">' in page
    confirmed = cfp.client.http.get(f"{link}?status=confirmed&sort=newest").body.decode()
    assert [GRACE["title"] in row for row in rows(confirmed)] == [True, False]  # Grace applied after Ada
    assert "2 of 4 shown · Newest first" in confirmed
    bad = cfp.client.http.get(f"{link}?kind=bad").body.decode()
    assert len(rows(bad)) == 1 and LINUS["title"] in rows(bad)[0]
    by_title = cfp.client.http.get(f"{link}?sort=title").body.decode()
    titles = (STORY["title"], GRACE["title"], LINUS["title"])
    order = [next((t for t in titles if t in row), "(deleted)") for row in rows(by_title)]
    assert order == sorted([*titles, "(deleted)"], key=str.casefold)
    wrong = cfp.client.http.get(f"{link}?status=lost")
    assert wrong.status_code == 400 and "“status” must be one of: submitted," in wrong.body.decode()

    # The exports gain the language and the programme's order.
    exported = list(csv.DictReader(io.StringIO(cfp.client.http.get(f"{link}?format=csv").body.decode())))
    by_title_row = {row["title"]: row for row in exported}
    assert (by_title_row[GRACE["title"]]["programme"], by_title_row[STORY["title"]]["programme"]) == ("1", "2")
    assert (by_title_row[LINUS["title"]]["programme"], by_title_row[LINUS["title"]]["language"]) == ("", "fr")
    assert by_title_row["(deleted)"]["kind"] == ""
    data = json.loads(cfp.client.http.get(f"{link}?format=json").body)
    assert {a["reference"]: (a["programme"], a["language"]) for a in data["applications"]}[grace] == (1, "en")


def test_one_organiser_s_links_are_revoked_alone(cfp: CfP) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    cfp.submit()
    ada_status = cfp.path(cfp.link(cfp.wait_for_email(STORY["email"], "We received"), "Follow its status here"))
    moderator_reject = cfp.review_link(MODERATOR, "Reject")
    cfp.wait_for_email(PROGRAMME, "New application to review")
    moderator_overview, programme_overview = cfp.overview_link(MODERATOR), cfp.overview_link(PROGRAMME)
    stage = cfp.resources.table_name.removeprefix("cfp-").removesuffix("-applications")

    assert revoke.main(["--stage", stage, "--organiser", MODERATOR]) == 0

    for path in (moderator_overview, f"{moderator_overview}?format=csv", moderator_reject):
        refused = cfp.client.http.get(path)
        assert refused.status_code == 403, path
        assert "This link has been revoked." in refused.body.decode()
    assert cfp.post(moderator_reject).status_code == 403
    assert cfp.application(cfp.applications()[0].id).votes == []
    # Every other organiser's links and every applicant's work on.
    assert cfp.client.http.get(programme_overview).status_code == 200
    assert cfp.client.http.get(cfp.review_link(PROGRAMME, "Approve")).status_code == 200
    assert cfp.client.http.get(ada_status).status_code == 200

    # The moderator's next email brings working links (links are stamped in whole seconds: the next one).
    time.sleep(1 - datetime.now(UTC).microsecond / 1e6)
    cfp.submit(STORY | {"title": "A story after the revocation", "email": "grace@example.org"})
    fresh = cfp.wait_for_email(MODERATOR, "A story after the revocation")
    assert cfp.client.http.get(cfp.path(cfp.link(fresh, "All applications of the call"))).status_code == 200
    assert cfp.client.http.get(cfp.path(cfp.link(fresh, "Approve"))).status_code == 200
    assert cfp.client.http.get(moderator_overview).status_code == 403


def test_the_revoke_command_says_what_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    before = dict(os.environ)
    assert revoke.main(["--stage", "local", "--organiser", "not-an-address"]) == 1
    assert "'not-an-address' is not an email address" in capsys.readouterr().err
    assert dict(os.environ) == before  # it reached for no emulator
