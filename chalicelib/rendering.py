"""Jinja2 rendering for pages and emails, with one environment per language.

The deployment zip carries the templates compiled to Python modules (`make package` writes them into
chalicelib/packaged/templates/, with bytecode), so a cold start compiles no template; elsewhere, as in
the local run and the tests, the source templates are read, so an edit shows at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    ModuleLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from chalicelib import i18n, vocabulary
from chalicelib.call import Call
from chalicelib.i18n import SOURCE_LANGUAGE, Language

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Only in the zip: its presence is what makes the app use them.
COMPILED_TEMPLATES_DIR = Path(__file__).parent / "packaged" / "templates"


@cache
def _loader() -> BaseLoader:
    if COMPILED_TEMPLATES_DIR.is_dir():
        return ModuleLoader(COMPILED_TEMPLATES_DIR)
    return FileSystemLoader(TEMPLATES_DIR)


@cache
def environment(language: Language = SOURCE_LANGUAGE) -> Environment:
    return build_environment(language, _loader())


def compile_templates(target: Path) -> None:
    """Every template as a Python module in `target`, for ModuleLoader (`make package` does this).

    The compiled code depends on the environment's options (block trimming, the i18n extension and
    its policies, autoescape, the filters it may call), not on the language: one set serves every language.
    """
    source = build_environment(SOURCE_LANGUAGE, FileSystemLoader(TEMPLATES_DIR))
    source.compile_templates(str(target), zip=None, ignore_errors=False)


def build_environment(language: Language, loader: BaseLoader) -> Environment:
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %} blocks are one message each, whatever the template's line breaks (babel.cfg says the same).
    env.policies["ext.i18n.trimmed"] = True
    # Added by the i18n extension, which the type stubs of Environment do not know.
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    # In its place, the same functions that fill in a message's values as i18n.fill does (French elision).
    env.globals |= _gettext_callables(language) | {"language": language, "languages": i18n.NAMES} | _vocabulary()
    env.filters["moment"] = partial(i18n.moment, language=language)
    env.filters["html_datetime"] = i18n.html_datetime
    env.filters["quoted"] = quoted
    return env


def _vocabulary() -> dict[str, Any]:
    """The workflow's names as templates use them: `application.status == Status.ACCEPTED`, `status in
    WITHDRAWABLE`, never a name spelled again (StrictUndefined fails on one that does not exist)."""
    return {
        "Status": vocabulary.Status,
        "Event": vocabulary.Event,
        "Undeliverable": vocabulary.Undeliverable,
        "AttendanceAnswer": vocabulary.AttendanceAnswer,
        "WITHDRAWABLE": vocabulary.WITHDRAWABLE,
        "CANCELLABLE": vocabulary.CANCELLABLE,
        "HOLDING_A_SLOT": vocabulary.HOLDING_A_SLOT,
        "UNDECIDED": vocabulary.UNDECIDED,
        "kind_choices": vocabulary.KIND_CHOICES,
        "status_words": vocabulary.status_words,
        "event_words": vocabulary.event_words,
        "next_step_words": vocabulary.next_step_words,
        "kind_words": vocabulary.kind_words,
        "outcome_words": vocabulary.outcome_words,
    }


def _gettext_callables(language: Language) -> dict[str, Any]:
    """Jinja's new-style gettext and ngettext (a message and its values in one call), filling the values
    in with i18n.fill: in an autoescaped template, the message is Markup and the values are escaped."""
    words = i18n.translations(language)

    def finish(context: Context, message: str, values: dict[str, Any]) -> str:
        return i18n.fill(Markup(message) if context.eval_ctx.autoescape else message, values, language)

    # Positional-only: a message's values may be called anything, `message` and `count` included.
    @pass_context
    def gettext(context: Context, message: str, /, **values: Any) -> str:
        return finish(context, words.gettext(message), values)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, number: int, /, **values: Any) -> str:
        return finish(context, words.ngettext(singular, plural, number), {"num": number} | values)

    return {"gettext": gettext, "ngettext": ngettext}


def quoted(text: str) -> str:
    """An applicant's text in a plain-text email, each line behind "> ": it cannot pass for the
    email's own words, such as a fake "Approve" line with a link of its own."""
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _in_language(language: Language, context: dict[str, Any]) -> dict[str, Any]:
    """The call's own text, in the reader's language when its file has it."""
    call = context.get("call")
    if isinstance(call, Call):
        return context | {"call": call.in_language(language)}
    return context


def page(template: str, language: Language = SOURCE_LANGUAGE, **context: Any) -> str:
    return environment(language).get_template(template).render(**_in_language(language, context))


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; charset=utf-8; method=PUBLISH"; text needs its charset
    content: bytes


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


# Any run of white space but the no-break spaces a translation sets on purpose (French « », :).
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")


def email(
    name: str, attachments: tuple[Attachment, ...] = (), language: Language = SOURCE_LANGUAGE, **context: Any
) -> Email:
    """Render emails/<name>.txt and emails/<name>.html, in the recipient's language.

    The text template's first line is `Subject: …`, so subject and body are kept together.
    """
    context = _in_language(language, context)
    env = environment(language)
    text = env.get_template(f"emails/{name}.txt").render(**context)
    first_line, _, body = text.partition("\n")
    if not first_line.startswith("Subject: "):
        raise ValueError(f"emails/{name}.txt must start with a 'Subject: ' line")
    subject = _SPACES.sub(" ", first_line.removeprefix("Subject: ")).strip()
    html = env.get_template(f"emails/{name}.html").render(subject=subject, **context)
    return Email(subject=subject, text=body.lstrip("\n"), html=html, attachments=attachments)
