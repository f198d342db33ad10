"""HTTP helpers for the handlers: reading bodies, and answering in HTML or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode

from chalice.app import Request, Response

from chalicelib import rendering
from chalicelib.i18n import N_, SOURCE_LANGUAGE, Language, from_accept_language, is_language, translate
from chalicelib.settings import strict_transport_security

HTML = "text/html; charset=utf-8"
JSON = "application/json"
# Routes that take a body accept both what a browser form sends and what an API client sends.
FORM_OR_JSON = ["application/x-www-form-urlencoded", JSON]
# The language switch's cookie: a year, on every path of the app.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Pages load nothing but the app's own stylesheet, script and icon, and are framed by nobody. connect-src
# 'self' lets a crawler's tools read the site's /robots.txt from the page (Lighthouse does); no script fetches.
PAGE_HEADERS = {
    "Content-Type": HTML,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept-Language, Cookie",
}


def https_only(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware: every response of a deployed stage asks browsers to come back over https only (HSTS); the
    local run, over http, asks nothing."""
    response = get_response(request)
    policy = strict_transport_security()
    if policy:
        response.headers["Strict-Transport-Security"] = policy
    return response


class BadBody(Exception):
    """The body cannot be read as the content type it claims."""


class BodyTooLarge(Exception):
    """The body is over the configured maximum (MAX_BODY_BYTES)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


TOO_LARGE = N_("The request body is over %(limit)s bytes. Shorten the text and send it again.")
NOT_FLAT = N_("The request body is not a flat JSON object: its values must be text or booleans.")
LONG_NUMBER = N_(
    "The request body holds a number with more digits than can be read. Send the fields as text or booleans."
)


def media_type(request: Request) -> str:
    """The body's media type without its parameters; media types are case-insensitive."""
    return str(request.headers.get("content-type", "")).partition(";")[0].strip().lower()


def _charset(request: Request) -> str:
    for parameter in str(request.headers.get("content-type", "")).split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return media_type(request) == JSON or (JSON in accept and "text/html" not in accept)


def read_fields(request: Request, max_bytes: int) -> dict[str, Any]:
    """The submitted fields, from a JSON object or an urlencoded form."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise BodyTooLarge(max_bytes)
    if isinstance(raw, str):
        raw = raw.encode()
    if _charset(request) not in {"utf-8", "utf8", "us-ascii"}:
        raise BadBody(N_("The request body must be UTF-8 text: send it as UTF-8, with charset=utf-8."))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(N_("The request body must be UTF-8 text.")) from exc
    if not text.strip():
        return {}
    if media_type(request) == JSON:
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadBody(f"The request body is not valid JSON: {exc.msg} at position {exc.pos}.") from exc
        except ValueError as exc:  # an integer longer than Python reads (sys.set_int_max_str_digits)
            raise BadBody(LONG_NUMBER) from exc
        except RecursionError as exc:  # the parser gives up on deep nesting before the size limit does
            raise BadBody(NOT_FLAT) from exc
        if not isinstance(fields, dict):
            raise BadBody(N_("The request body must be a JSON object with the application's fields."))
        return fields
    form = parse_qs(text, keep_blank_values=True)
    return {key: values[-1] for key, values in form.items()}


def _switched_to(request: Request) -> str | None:
    """The language the page's switch asks for, if it was followed."""
    return request.query_params.get("lang") if request.query_params else None


def chosen_language(request: Request, submitted: object = None, preferred: Language | None = None) -> Language:
    """The reader's language: the switch (?lang=), the form's own, the switch's cookie, then `preferred`
    (an applicant's pages open in the language they applied in), then the browser's."""
    asked = _switched_to(request)
    if is_language(asked):
        return asked
    if is_language(submitted):
        return submitted
    try:
        cookie = SimpleCookie(request.headers.get("cookie", "")).get(LANGUAGE_COOKIE)
    except CookieError:
        cookie = None
    if cookie is not None and is_language(cookie.value):
        return cookie.value
    return preferred or from_accept_language(request.headers.get("accept-language", "")) or SOURCE_LANGUAGE


def app_root(request: Request) -> str:
    """The relative path from this page back to the app's root.

    Links are relative because on API Gateway the app lives under its stage's path (/api/). A call's page
    is reached as /<call id>/ (a folder, to the browser) or /<call id>: the gateway routes both to /{call},
    and keeps the slash in the request's own path.
    """
    resource = str(request.context.get("resourcePath", "/"))
    depth = resource.count("/") - 1
    if resource != "/" and str(request.context.get("path", "")).endswith("/"):
        depth += 1
    return "../" * depth or "./"


def address_kind(request: Request) -> str:
    """What the request's address serves, by its first fixed part: /{call_id}/review/{token} is "review",
    /overview/{token} "overview", /{call_id}/applications "applications". A link's part is its kind, as
    chalicelib/links.py names it."""
    return next((part for part in request.path.split("/") if part and not part.startswith("{")), "")


def html(
    request: Request, template: str, status: int = 200, language: Language | None = None, **context: Any
) -> Response:
    """A page in the reader's language; following the language switch also remembers it in a cookie."""
    language = language or chosen_language(request)
    headers: dict[str, str | list[str]] = dict(PAGE_HEADERS)
    if is_language(_switched_to(request)):
        headers["Set-Cookie"] = f"{LANGUAGE_COOKIE}={language}; Path=/; Max-Age={LANGUAGE_COOKIE_MAX_AGE}; SameSite=Lax"
    body = rendering.page(template, language, root=app_root(request), **context)
    return Response(body=body, status_code=status, headers=headers)


def see_other(request: Request, path: str) -> Response:
    """303 See Other: after a form's POST, the browser GETs `path` (relative to the app's root), so that
    reloading the page, or coming Back to it, does not send the form again."""
    headers: dict[str, str | list[str]] = {"Location": app_root(request) + path, "Cache-Control": "no-store"}
    return Response(body="", status_code=303, headers=headers)


def moved(request: Request, path: str) -> Response:
    """A permanent redirect to `path` (relative to the app's root), with the same query: 301 Moved Permanently
    for a GET, 308 Permanent Redirect for any other method, which the browser sends again to `path`, with its
    body. The addresses of the one-call versions, in emails already sent, lead to their call's."""
    params = request.query_params
    query = urlencode([(name, value) for name in params for value in params.getlist(name)]) if params else ""
    location = app_root(request) + path + (f"?{query}" if query else "")
    headers: dict[str, str | list[str]] = {"Location": location, "Cache-Control": "no-store"}
    return Response(body="", status_code=301 if request.method in {"GET", "HEAD"} else 308, headers=headers)


def json_response(body: Any, status: int = 200) -> Response:
    # Answers hold applications and personal data: no cache keeps them.
    headers: dict[str, str | list[str]] = {
        "Content-Type": JSON,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=json.dumps(body), status_code=status, headers=headers)


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
    language: Language | None = None,
    **values: Any,
) -> Response:
    """An error people can act on: a JSON object for API clients, a page for browsers.

    `title` and `detail` are messages of the catalogue, translated here (in `language`, else the reader's);
    `values` fill the detail's %(name)s.
    """
    language = language or chosen_language(request)
    title = translate(language, title)
    detail = translate(language, detail, **values)
    if wants_json(request):
        body: dict[str, Any] = {"title": title, "detail": detail}
        if errors:
            body["errors"] = errors
        response = json_response(body, status)
    else:
        response = html(request, "error.html", status=status, language=language, title=title, detail=detail)
    response.headers.update(headers or {})
    return response
