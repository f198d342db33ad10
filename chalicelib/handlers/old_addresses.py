"""The addresses of the one-call versions, in emails already sent and forms still open, lead to their call's:
301 Moved Permanently for a GET, 308 Permanent Redirect for a POST (the browser sends it again, with its
body, to the call's address, where it acts).

A link's call is read from the link itself, its signature checked first: a forged one is refused here
(handlers/refusals.py, as at the call's address), its body never read.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.web import FORM_OR_JSON, address_kind, moved

bp = Blueprint(__name__)


@bp.route("/thanks/{token}", methods=["GET"])
@bp.route("/status/{token}", methods=["GET"])
@bp.route("/status/{token}/withdraw", methods=["GET"])
@bp.route("/status/{token}/withdraw", methods=["POST"], content_types=FORM_OR_JSON)
@bp.route("/status/{token}/delete", methods=["GET"])
@bp.route("/status/{token}/delete", methods=["POST"], content_types=FORM_OR_JSON)
@bp.route("/verify/{token}", methods=["GET"])
@bp.route("/verify/{token}", methods=["POST"], content_types=FORM_OR_JSON)
@bp.route("/review/{token}", methods=["GET"])
@bp.route("/review/{token}", methods=["POST"], content_types=FORM_OR_JSON)
@bp.route("/attendance/{token}", methods=["GET"])
@bp.route("/attendance/{token}", methods=["POST"], content_types=FORM_OR_JSON)
def to_the_link_s_call(token: str) -> Response:
    """/status/<token>/withdraw to /<its call>/status/<token>/withdraw."""
    request = bp.current_request
    call_id = deps.applicant_links().call_of(address_kind(request), token)
    return moved(request, call_id + request.path.replace("{token}", token))


@bp.route("/applications", methods=["POST"], content_types=FORM_OR_JSON)
@bp.route("/openapi.json", methods=["GET"])
def to_the_default_call() -> Response:
    """The one call's form and its JSON API are the default call's."""
    request = bp.current_request
    return moved(request, deps.call().id + request.path)
