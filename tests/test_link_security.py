"""Decision, attendance and status links are keys: nobody acts who should not, and a mail scanner changes nothing."""

from __future__ import annotations

import inspect
import json
import os
import time

import itsdangerous
import itsdangerous.signer

from chalicelib import deps
from tests.support import APPLICATIONS, GRACE, MODERATOR, PROGRAMME, STORY, TRACK, CfP


def token_parts(path: str) -> tuple[str, str, str, str]:
    kind, token = path.strip("/").split("/", 1)
    payload, stamp, signature = token.split(".")
    return kind, payload, stamp, signature


def nothing_decided(cfp: CfP) -> None:
    for application in cfp.applications():
        assert application.votes == []
        assert application.status in {"submitted", "in_review"}
        assert not application.withdraw_requested


def test_forged_tampered_and_swapped_links_decide_nothing(cfp: CfP) -> None:
    cfp.submit()
    cfp.submit(GRACE)
    ada_approve = cfp.review_link(MODERATOR, "Approve")
    grace_approve = cfp.review_link(MODERATOR, "Approve", title=GRACE["title"])
    _, payload, stamp, signature = token_parts(ada_approve)
    _, grace_payload, grace_stamp, grace_signature = token_parts(grace_approve)
    _, reject_payload, _, _ = token_parts(cfp.review_link(MODERATOR, "Reject"))
    _, other_organiser, _, _ = token_parts(cfp.review_link(PROGRAMME, "Approve"))

    attempts = {
        "forged from nothing": "/review/eyJhIjoiYWRhIiwibyI6MCwiZCI6ImFwcHJvdmUifQ.abcdef.ghijklmnop",
        "signature changed": f"/review/{payload}.{stamp}.{signature[:-4]}AAAA",
        "another application's payload": f"/review/{grace_payload}.{stamp}.{signature}",
        "reject swapped for approve": f"/review/{reject_payload}.{stamp}.{signature}",
        "issued to another organiser": f"/review/{other_organiser}.{stamp}.{signature}",
        "timestamp moved": f"/review/{payload}.{grace_stamp}.{grace_signature}",
        "a status link used as a review link": "/review/" + cfp.path(cfp.links_of(STORY["email"])[0]).split("/")[-1],
    }
    for why, path in attempts.items():
        for response in (cfp.client.http.get(path), cfp.post(path)):
            assert response.status_code == 400, why
            assert "This review link cannot be used" in response.body.decode(), why
    nothing_decided(cfp)


class IssuedNineDaysAgo(itsdangerous.TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 9 * 24 * 3600


def test_an_expired_link_is_refused_with_a_clear_page(cfp: CfP) -> None:
    # The default review window is 7 days; its links live one day longer.
    cfp.submit()
    cfp.review_link(MODERATOR, "Approve")
    [application] = cfp.applications()
    old = itsdangerous.URLSafeTimedSerializer(
        os.environ["LINK_SECRET"], salt="cfp.review-link", signer=IssuedNineDaysAgo
    )
    path = "/review/" + old.dumps({"a": application.id, "o": 0, "d": "approve"})
    for response in (cfp.client.http.get(path), cfp.post(path)):
        assert response.status_code == 400
        assert "This link has expired." in response.body.decode()
    nothing_decided(cfp)


def test_a_replayed_link_after_the_decision_decides_nothing_more(cfp: CfP) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1)
    cfp.submit()
    approve, reject = cfp.review_link(MODERATOR, "Approve"), cfp.review_link(TRACK, "Reject")
    assert cfp.post(approve).status_code == 200
    cfp.wait_for_email(STORY["email"], "Action required")
    for path in (approve, reject, approve):
        replay = cfp.post(path)
        assert replay.status_code == 409
    [application] = cfp.applications()
    assert (application.status, application.approvals, application.rejections) == ("accepted", 1, 0)


def test_a_mail_scanner_following_every_link_changes_nothing(cfp: CfP) -> None:
    cfp = cfp.with_call(approvals_needed=1, rejections_needed=1, guest_slots=1)
    cfp.submit()
    cfp.submit(GRACE)
    cfp.vote(MODERATOR, "Approve")
    cfp.vote(MODERATOR, "Approve", title=GRACE["title"])
    # Whichever workflow takes the one slot first, the other waits; then every link is out there.
    cfp.pump.run_until(lambda: sorted(a.status for a in cfp.applications()) == ["accepted", "waitlisted"])
    cfp.pump.run_until(lambda: sum(m.subject.startswith(("Action required", "You are on")) for m in cfp.outbox()) == 2)
    before = {a.id: (a.status, len(a.votes), a.withdraw_requested) for a in cfp.applications()}
    # What the workflows wait on: a link that answered one would have taken its callback away.
    waits = {a.id: deps.callback_store().wait(a.id) for a in cfp.applications()}
    assert all(wait is not None for wait in waits.values())
    sent = len(cfp.outbox())

    links = [url for message in cfp.outbox() for _, url in message.links]
    assert len(links) >= 10
    for url in links:
        for method in ("GET", "HEAD"):
            response = cfp.client.http.request(method, cfp.path(url))
            assert response.status_code in {200, 405}, (method, url, response.status_code)

    assert {a.id: (a.status, len(a.votes), a.withdraw_requested) for a in cfp.applications()} == before
    assert {a.id: deps.callback_store().wait(a.id) for a in cfp.applications()} == waits
    assert [deps.callback_store().answer(a.id) for a in cfp.applications()] == [None, None]
    assert len(cfp.outbox()) == sent


def test_signatures_are_compared_in_constant_time_by_the_library() -> None:
    # Signer.verify_signature delegates to its algorithm, HMAC, which inherits this comparison.
    algorithm = itsdangerous.signer.HMACAlgorithm
    assert algorithm.verify_signature is itsdangerous.signer.SigningAlgorithm.verify_signature
    assert "hmac.compare_digest" in inspect.getsource(algorithm.verify_signature)


FORGED = "eyJhIjoiYWRhIiwibyI6MCwiZCI6ImFwcHJvdmUifQ.abcdef.ghijklmnop"
# Bodies a forged link could carry to make the server read them: too large, not JSON, a number too long to read.
BODIES = {
    "over the size limit": '{"note": "' + "x" * 40_000 + '"}',
    "not JSON": '{"note": ',
    "a 5,000-digit number": '{"note": ' + "9" * 5_000 + "}",
}


def test_a_forged_link_is_refused_before_its_body_is_read(cfp: CfP) -> None:
    routes = {
        f"/review/{FORGED}": (400, "This review link cannot be used"),
        f"/attendance/{FORGED}": (400, "This link cannot be used"),
        f"/status/{FORGED}/withdraw": (404, "Status link not recognised"),
        f"/status/{FORGED}/delete": (404, "Status link not recognised"),
        f"/verify/{FORGED}": (400, "This link cannot be used"),
    }
    for path, (status, title) in routes.items():
        for what, body in BODIES.items():
            response = cfp.client.http.post(path, headers={"Content-Type": "application/json"}, body=body)
            assert (response.status_code, json.loads(response.body)["title"]) == (status, title), (path, what)


def test_a_number_longer_than_python_reads_is_a_400_on_every_json_endpoint(cfp: CfP) -> None:
    """json.loads refuses integers over 4,300 digits with a ValueError that is not a JSONDecodeError."""
    huge = "9" * 5_000
    response = cfp.client.http.post(
        APPLICATIONS, headers={"Content-Type": "application/json"}, body=f'{{"name": {huge}}}'
    )
    assert response.status_code == 400
    assert "more digits than can be read" in json.loads(response.body)["detail"]
    assert cfp.applications() == []

    cfp.submit()
    reject = cfp.review_link(MODERATOR, "Reject")
    response = cfp.client.http.post(reject, headers={"Content-Type": "application/json"}, body=f'{{"note": {huge}}}')
    assert response.status_code == 400
    assert json.loads(response.body)["title"] == "The request could not be read"
    nothing_decided(cfp)
