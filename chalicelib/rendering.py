"""Jinja2 rendering for pages and emails, with one environment compiled once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=PUBLISH"
    content: bytes


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def email(name: str, attachments: tuple[Attachment, ...] = (), **context: Any) -> Email:
    """Render emails/<name>.txt and emails/<name>.html.

    The text template's first line is `Subject: …`, so subject and body are kept together.
    """
    text = environment().get_template(f"emails/{name}.txt").render(**context)
    first_line, _, body = text.partition("\n")
    if not first_line.startswith("Subject: "):
        raise ValueError(f"emails/{name}.txt must start with a 'Subject: ' line")
    subject = " ".join(first_line.removeprefix("Subject: ").split())
    html = environment().get_template(f"emails/{name}.html").render(subject=subject, **context)
    return Email(subject=subject, text=body.lstrip("\n"), html=html, attachments=attachments)
