"""The zip's compiled templates render every page and every email exactly as the source templates do:
the gallery (tests/gallery.py), which holds every page and email in both languages, is rendered both ways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2 import FileSystemLoader, ModuleLoader

from chalicelib import rendering
from tests.gallery import Rendered, everything

# As the local run and the tests render them: from the source templates.
assert isinstance(rendering.environment().loader, FileSystemLoader)
FROM_SOURCE = everything()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The templates as `make package` compiles them into the zip."""
    target = tmp_path_factory.mktemp("compiled")
    rendering.compile_templates(target)
    return target


@pytest.fixture
def from_modules(compiled: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Rendered]]:
    """The gallery rendered as the zip renders it: from the compiled modules, through rendering's own loader."""
    monkeypatch.setattr(rendering, "COMPILED_TEMPLATES_DIR", compiled)
    rendering.environment.cache_clear()
    rendering._loader.cache_clear()
    try:
        assert isinstance(rendering.environment().loader, ModuleLoader)
        yield everything()
    finally:
        rendering.environment.cache_clear()
        rendering._loader.cache_clear()


def test_every_template_is_compiled(compiled: Path) -> None:
    every = FileSystemLoader(rendering.TEMPLATES_DIR).list_templates()
    assert {path.name for path in compiled.iterdir()} == {ModuleLoader.get_module_filename(name) for name in every}
    assert len(every) > 40


def test_every_page_and_email_renders_the_same_compiled(from_modules: list[Rendered]) -> None:
    assert len(FROM_SOURCE) == len(from_modules) > 140
    for source, module in zip(FROM_SOURCE, from_modules, strict=True):
        assert unsigned(source) == unsigned(module), source.name


# A signed link carries the second it was signed in: the two renderings may straddle one.
SIGNED = re.compile(r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}\b")


def unsigned(item: Rendered) -> tuple[str, ...]:
    return tuple(SIGNED.sub(".<signed>", part) for part in (item.name, item.subject, item.text, item.html))
