"""An upgrade keeps everything: a deployment that ran one call keeps its stage's settings (a flat
CALL_OVERRIDES), its applications and their running executions, its revocations, and every link it already
emailed, signed without a call and at the addresses without a call's part. Through the real state machine.

The data of the one-call versions is this version's already (each application names its call, slots and the
waitlist are under CALL#<id>, executions take the same input, and the worker's messages name no call: it
reads the call from the application); what changed are the links and their addresses, the overview link
(an organiser's place in the one call's list, now a keyed hash of their address) and the revocation's key.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import itsdangerous

from chalicelib import aws, deps
from chalicelib.settings import CALL_OVERRIDES, LINK_SECRET
from chalicelib.stores.table import one_call_revocation_key
from tests.support import DEFAULT_CALL, MODERATOR, OPEN_UNTIL, PROGRAMME, STORY, CfP

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def signed_as_one_call_versions_did(kind: str, payload: dict[str, object]) -> str:
    """A link as the one-call versions signed it: the same secret and salt, a payload that names no call."""
    return itsdangerous.URLSafeTimedSerializer(os.environ[LINK_SECRET], salt=f"cfp.{kind}-link").dumps(payload)


def test_a_one_call_deployment_upgrades_with_its_data_and_its_emailed_links(cfp: CfP) -> None:
    # The stage's settings as a one-call deployment wrote them: a flat object, the default call's.
    os.environ[CALL_OVERRIDES] = json.dumps(
        {"deadline": OPEN_UNTIL, "guest_slots": 1, "approvals_needed": 1, "rejections_needed": 1}
    )
    deps.reset()
    assert (deps.call().guest_slots, deps.call().approvals_needed) == (1, 1)

    # A form cached by a browser, or an API client, posts where the one call's form was.
    sent = cfp.client.http.post("/applications", headers=FORM, body=urlencode(STORY))
    assert sent.status_code == 308 and sent.headers["Location"] == f"./{DEFAULT_CALL}/applications"
    thanks = cfp.follow(cfp.follow(sent, posted_to="/applications", headers=FORM, body=urlencode(STORY)))
    assert thanks.status_code == 200 and "Thank you, Ada Lovelace!" in thanks.body.decode()
    cfp.wait_for_email(MODERATOR, "New application to review")
    [ada] = cfp.applications()
    assert ada.call_id == DEFAULT_CALL

    # Links emailed before the upgrade: GET leads to the call's address (301), and POST too (308: the browser
    # sends it again there).
    old_thanks = signed_as_one_call_versions_did("thanks", {"a": ada.id, "n": True})
    status = signed_as_one_call_versions_did("status", {"a": ada.id})
    approve = signed_as_one_call_versions_did("review", {"a": ada.id, "o": 0, "d": "approve"})
    for old, new in (
        (f"/thanks/{old_thanks}", f"/{DEFAULT_CALL}/thanks/{old_thanks}"),
        (f"/status/{status}", f"/{DEFAULT_CALL}/status/{status}"),
        (f"/status/{status}/withdraw?lang=fr", f"/{DEFAULT_CALL}/status/{status}/withdraw?lang=fr"),
        (f"/review/{approve}", f"/{DEFAULT_CALL}/review/{approve}"),
    ):
        moved = cfp.client.http.get(old)
        assert moved.status_code == 301, old
        landed = cfp.follow(moved, posted_to=old.partition("?")[0])
        assert landed.status_code == 200, new
        assert landed.body == cfp.client.http.get(new).body
    assert (
        "Retirer votre candidature"
        in cfp.follow(
            cfp.client.http.get(f"/status/{status}/withdraw?lang=fr"), posted_to=f"/status/{status}/withdraw"
        ).body.decode()
    )
    redirected = cfp.post(f"/review/{approve}")
    assert redirected.status_code == 308 and redirected.headers["Location"] == f"../{DEFAULT_CALL}/review/{approve}"
    voted = cfp.follow(redirected, posted_to=f"/review/{approve}", headers=FORM)
    assert voted.status_code == 200 and "Vote recorded" in voted.body.decode()

    # The running execution goes on with the call's settings: one approval, the only slot, the speaker's answer.
    cfp.wait_for_email(STORY["email"], "Action required")
    yes = signed_as_one_call_versions_did("attendance", {"a": ada.id, "d": "yes"})
    assert cfp.client.http.get(f"/attendance/{yes}").status_code == 301
    answered = cfp.follow(cfp.post(f"/attendance/{yes}"), posted_to=f"/attendance/{yes}", headers=FORM)
    assert answered.status_code == 200 and "You are confirmed" in answered.body.decode()
    cfp.wait_for_email(STORY["email"], "Confirmed")
    assert cfp.application(ada.id).status == "confirmed" and cfp.store_slots_taken() == 1

    # The overview link named the organiser by their place in the one call's list: it is their overview now.
    overview = f"/overview/{signed_as_one_call_versions_did('overview', {'o': 0})}"
    page = cfp.client.http.get(overview).body.decode()
    assert STORY["title"] in page and f"You are reading as {MODERATOR}" in page
    assert cfp.client.http.get(f"{overview}?format=csv").status_code == 200

    # A revocation written before the upgrade, under the one call's key, still refuses the links signed before it.
    programme = f"/overview/{signed_as_one_call_versions_did('overview', {'o': 1})}"
    assert cfp.client.http.get(programme).status_code == 200
    revoked_at = datetime.now(UTC) + timedelta(seconds=1)
    aws.dynamodb().put_item(
        TableName=cfp.resources.table_name,
        Item=one_call_revocation_key(DEFAULT_CALL, PROGRAMME) | {"revoked_at": {"N": str(revoked_at.timestamp())}},
    )
    refused = cfp.client.http.get(programme)
    assert refused.status_code == 403 and "This link has been revoked." in refused.body.decode()
    assert cfp.client.http.get(overview).status_code == 200  # nobody else's
