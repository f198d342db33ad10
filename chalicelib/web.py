"""HTTP helpers for the handlers: reading bodies, and answering in HTML or JSON."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Request, Response

from chalicelib import rendering

HTML = "text/html; charset=utf-8"
JSON = "application/json"
# Routes that take a body accept both what a browser form sends and what an API client sends.
FORM_OR_JSON = ["application/x-www-form-urlencoded", JSON]


class BadBody(Exception):
    """The body cannot be read as the content type it claims."""


class BodyTooLarge(Exception):
    """The body is over the configured maximum (MAX_BODY_BYTES)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is over {limit} bytes. Shorten the text and send it again.")


def wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    return content_type.startswith(JSON) or (JSON in accept and "text/html" not in accept)


def read_fields(request: Request, max_bytes: int) -> dict[str, Any]:
    """The submitted fields, from a JSON object or an urlencoded form."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise BodyTooLarge(max_bytes)
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody("The request body must be UTF-8 text.") from exc
    if not text.strip():
        return {}
    if request.headers.get("content-type", "").startswith(JSON):
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadBody(f"The request body is not valid JSON: {exc.msg} at position {exc.pos}.") from exc
        if not isinstance(fields, dict):
            raise BadBody("The request body must be a JSON object with the application's fields.")
        return fields
    form = parse_qs(text, keep_blank_values=True)
    return {key: values[-1] for key, values in form.items()}


def html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(
        body=rendering.page(template, **context),
        status_code=status,
        headers={"Content-Type": HTML, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def json_response(body: Any, status: int = 200) -> Response:
    return Response(body=json.dumps(body), status_code=status, headers={"Content-Type": JSON})


def client_address(request: Request) -> str:
    """The caller's IP address as API Gateway saw it."""
    return str((request.context or {}).get("identity", {}).get("sourceIp", ""))


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error people can act on: a JSON object for API clients, a page for browsers."""
    if wants_json(request):
        body: dict[str, Any] = {"title": title, "detail": detail}
        if errors:
            body["errors"] = errors
        response = json_response(body, status)
    else:
        response = html("error.html", status=status, title=title, detail=detail)
    response.headers.update(headers or {})
    return response
