"""`make new-call ID=…`: a call without Python, its file written from the commented template and checked with the
other calls, as `make package` checks them."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from chalicelib import call_file
from chalicelib.call import CALLS_DIR, Call
from deploy.new_call import NewCallRefused, main, new_call
from tests.support import DEFAULT_CALL


@pytest.fixture
def calls_dir(tmp_path: Path) -> Path:
    """A copy of chalicelib/calls/: the deployment's calls, where the new one goes."""
    for path in CALLS_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path)
    return tmp_path


def test_a_new_call_is_a_commented_file_that_passes_the_checks(calls_dir: Path) -> None:
    path = new_call("ow2con25-ospo-heroes", calls_dir, today=date(2025, 3, 1))
    text = path.read_text()
    assert path == calls_dir / "ow2con25-ospo-heroes.toml"
    assert 'id = "ow2con25-ospo-heroes"' in text and "http://127.0.0.1:8000/ow2con25-ospo-heroes/" in text
    # Every setting of a call is there to edit, none left to guess.
    lines = text.splitlines()
    for setting in call_file.CallFile.model_fields:
        assert [line for line in lines if line.startswith(f"{setting} = ") or line == f"[{setting}.fr]"], setting
    packaged = call_file.packaged_calls("", f"{DEFAULT_CALL}.toml", calls_dir)
    call = Call.from_validated(packaged["calls"]["ow2con25-ospo-heroes"]["call"])
    assert (call.deadline.isoformat(), call.date.isoformat()) == ("2025-03-31T23:59:00+02:00", "2025-04-15")
    assert call.is_open(call.deadline) and call.in_language("fr").title == "Le titre de la session"


@pytest.mark.parametrize(
    ("call_id", "why"),
    [
        ("Ow2con", "cannot be a call's id: use 3 to 63 lower-case letters"),
        ("overview", "is a word the app's addresses or settings use"),
        ("deadline", "is a word the app's addresses or settings use"),
        (DEFAULT_CALL, "exists already: edit it, or choose another id"),
    ],
)
def test_an_id_that_cannot_be_a_new_call_s_is_refused_and_nothing_is_written(
    calls_dir: Path, call_id: str, why: str
) -> None:
    before = sorted(calls_dir.iterdir())
    with pytest.raises(NewCallRefused, match=why):
        new_call(call_id, calls_dir)
    assert sorted(calls_dir.iterdir()) == before


def test_a_file_that_gives_its_id_to_another_is_refused_too(calls_dir: Path) -> None:
    """A file of another name with the same id: the two calls would share an address."""
    (calls_dir / "copy.toml").write_text((calls_dir / f"{DEFAULT_CALL}.toml").read_text())
    (calls_dir / f"{DEFAULT_CALL}.toml").rename(calls_dir / "original.toml")
    with pytest.raises(NewCallRefused, match="is the id of"):
        new_call("ow2con25-other", calls_dir, default_file="original.toml")
    assert not (calls_dir / "ow2con25-other.toml").exists()


def test_the_command_says_what_it_wrote_and_what_comes_next(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--id", "Not An Id"]) == 1
    assert "✗ 'Not An Id' cannot be a call's id" in capsys.readouterr().err
    assert not list(CALLS_DIR.glob("Not*"))
