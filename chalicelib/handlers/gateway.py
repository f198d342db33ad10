"""What the API answers beyond its routes' own pages: Chalice's 405 and 415, and an address with no route.

Chalice answers a method a route does not take (405) and a body type it does not take (415) with JSON of
its own, before any view runs. This middleware puts in their place what every other refusal gets: a page
for a browser, JSON with a title and a detail for an API client, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Blueprint, Request, Response

from chalicelib.i18n import N_
from chalicelib.web import media_type, problem

bp = Blueprint(__name__)

# Chalice's error codes for the refusals it makes before a view runs.
CHALICE_REFUSALS = {405: "MethodNotAllowedError", 415: "UnsupportedMediaType"}
NO_ROUTE_DETAIL = N_(
    "There is no page at this address. The calls for participation and their forms are listed at the start."
)


@bp.middleware("http")
def refusals_as_pages(request: Request, get_response: Callable[[Request], Response]) -> Response:
    response = get_response(request)
    body = response.body
    if not isinstance(body, dict) or body.get("Code") != CHALICE_REFUSALS.get(response.status_code):
        return response
    if response.status_code == 405:
        allowed = str(response.headers.get("Allow", ""))
        page = problem(
            request,
            405,
            N_("This address does not take that request"),
            N_("It answers %(allowed)s, not %(method)s: open it with its link, or use the buttons on its page."),
            headers={"Allow": allowed},
            allowed=allowed,
            method=request.method,
        )
        return page
    return problem(
        request,
        415,
        N_("The request could not be read"),
        N_(
            "This address takes a form or JSON, not %(type)s: send the form from its page, or JSON with "
            "Content-Type: application/json."
        ),
        type=media_type(request) or "a body without a type",
    )


def no_route(request: Request) -> Response:
    """The answer for an address that no route serves: on AWS, the stack's gateway response says the same
    in JSON (infra/resources.json); the local run answers with this page (local/gateway.py)."""
    return problem(request, 404, N_("Page not found"), NO_ROUTE_DETAIL)
