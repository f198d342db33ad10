"""The pages' stylesheet, script and icon, and robots.txt, served by the app: nothing is loaded from elsewhere."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

bp = Blueprint(__name__)


@cache
def _assets() -> dict[str, str]:
    """The files of chalicelib/static/, read once per process; nothing else is served."""
    return {p.name: p.read_text(encoding="utf-8") for p in STATIC_DIR.iterdir() if p.suffix in CONTENT_TYPES}


@bp.route("/static/{name}", methods=["GET"])
def static_asset(name: str) -> Response:
    return _asset(name)


@bp.route("/robots.txt", methods=["GET"])
def robots() -> Response:
    return _asset("robots.txt")


@bp.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """Where browsers and tools look for an icon without reading the page: the same SVG (browsers go by
    its Content-Type); pages link to /static/favicon.svg."""
    return _asset("favicon.svg")


def _asset(name: str) -> Response:
    body = _assets().get(name)
    if body is None:
        return Response(body="Not found.", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
    return Response(
        body=body,
        headers={
            "Content-Type": CONTENT_TYPES[Path(name).suffix],
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        },
    )
