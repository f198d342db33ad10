"""The calls' files: validated with pydantic by make package, the tests and the local run, each mistake
named with the file, the setting and what to change; and read back without pydantic from the zip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib import call_file
from chalicelib.call import CALLS_DIR, ROUTE_WORDS, Call, CallFileError, CallText, load_call, load_calls
from chalicelib.settings import DEFAULT_CALL_FILE
from deploy.package import PackagingFailed, validated_calls
from local import process
from tests.support import DEFAULT_CALL, SECOND_CALL

CALL_FILE = CALLS_DIR / DEFAULT_CALL_FILE


def broken_copy(directory: Path, old: str, new: str, name: str = "broken.toml") -> Path:
    text = CALL_FILE.read_text()
    assert old in text
    path = directory / name
    path.write_text(text.replace(old, new))
    return path


def test_the_dataclass_has_the_fields_of_the_schema() -> None:
    """The running app's Call and the schema that validates the file cannot drift apart."""
    assert [f.name for f in dataclasses.fields(Call)] == list(call_file.CallFile.model_fields)
    assert [f.name for f in dataclasses.fields(CallText)] == list(call_file.CallTextFile.model_fields)


def test_the_packaged_call_is_the_call_of_the_file() -> None:
    """What make package writes (JSON) makes the same call as the file read and validated at run time."""
    packaged = json.loads(json.dumps(call_file.packaged_calls("")))
    assert packaged["overrides"] == "" and packaged["default"] == DEFAULT_CALL
    assert sorted(packaged["calls"]) == [DEFAULT_CALL, SECOND_CALL]
    call_id, entry = DEFAULT_CALL, packaged["calls"][DEFAULT_CALL]
    assert entry["file"] == DEFAULT_CALL_FILE
    from_package = Call.from_validated(entry["call"])
    from_file = call_file.read(CALL_FILE)
    assert from_package == from_file
    assert from_file.id == call_id == "ow2con24-ospo-heroes"
    assert from_file.starts_at.isoformat() == "2024-06-11T16:40:00+02:00"
    assert from_file.deadline.isoformat() == "2024-06-02T23:59:00+02:00"
    assert from_file.in_language("fr").title == "OSPO, vous pouvez être des héros\u202f!"
    assert from_file.in_language("fr").conference == "OW2con'24"  # not in [text.fr]: as written


@pytest.mark.parametrize(
    ("old", "new", "mistake"),
    [
        ("guest_slots = 5", "guest_slots = 0", "guest_slots = 0: input should be greater than or equal to 1;"),
        ('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"', "timezone = 'Europe/Pariss': is not a time zone"),
        ('title = "OSPO, you can be heroes!"\n', "", "title is missing: add it to the file"),
        ("guest_slots = 5", "guest_slot = 5", "guest_slot is not a setting of a call: remove it from the file, or"),
        ('room = "Salle February"', 'salle = "February"', "text.fr.salle is not a setting of a call"),
        ("approvals_needed = 2", "approvals_needed = 4", "approvals_needed cannot exceed the number of organisers (3)"),
        ("deadline = 2024-06-02T23:59:00+02:00", "deadline = 2024-06-02T23:59:00", "needs a UTC offset"),
    ],
)
def test_a_mistake_names_the_file_the_setting_and_what_to_change(
    tmp_path: Path, old: str, new: str, mistake: str
) -> None:
    broken_copy(tmp_path, old, new)
    with pytest.raises(CallFileError) as raised:
        call_file.packaged_calls("", "broken.toml", tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'broken.toml'}: the call has mistakes:\n  - ")
    assert mistake in str(raised.value)


def test_every_file_is_checked_and_each_call_has_its_own_id(tmp_path: Path) -> None:
    broken_copy(tmp_path, "guest_slots = 5", "guest_slots = 5", "a.toml")
    broken_copy(tmp_path, "guest_slots = 5", "guest_slots = 5", "b.toml")
    broken_copy(tmp_path, "talk_minutes = 3", 'talk_minutes = "three"', "c.toml")
    with pytest.raises(CallFileError) as raised:
        call_file.packaged_calls("", "a.toml", tmp_path)
    lines = str(raised.value).splitlines()
    assert (
        f"{tmp_path / 'b.toml'}: id = 'ow2con24-ospo-heroes' is the id of a.toml too: give each call its own id"
        in lines
    )
    assert "  - talk_minutes = 'three': input should be a valid integer, unable to parse string as an integer; " in (
        str(raised.value)
    )


def test_a_stage_s_overrides_are_named_as_the_place_to_change(tmp_path: Path) -> None:
    with pytest.raises(CallFileError, match=r"guest_slots = -1: .*; change it in CALL_OVERRIDES$"):
        call_file.read(CALL_FILE, '{"guest_slots": -1}')
    with pytest.raises(CallFileError, match="CALL_OVERRIDES is not JSON"):
        call_file.read(CALL_FILE, "{guest_slots: 2}")
    with pytest.raises(CallFileError, match="CALL_OVERRIDES must be a JSON object"):
        call_file.read(CALL_FILE, "[2]")
    with pytest.raises(CallFileError, match=r"chalicelib/calls/nowhere.toml: cannot be read \(No such file"):
        load_call("nowhere.toml")


def test_make_package_stops_at_a_mistake_in_the_stage_s_overrides(packaged: Path) -> None:
    template: dict[str, Any] = json.loads((packaged / "sam.json").read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["Environment"]["Variables"]["CALL_OVERRIDES"] = '{"review_window_hours": 0}'
    with pytest.raises(PackagingFailed) as raised:
        validated_calls(template)
    assert str(raised.value) == (
        "the calls cannot be packaged:\n"
        f"chalicelib/calls/{DEFAULT_CALL_FILE}: the call has mistakes:\n"
        "  - review_window_hours = 0: input should be greater than 0; change it in CALL_OVERRIDES"
    )


def test_a_deployment_with_too_few_organisers_for_the_quorum_is_refused() -> None:
    with pytest.raises(CallFileError, match=r"CALL_ORGANISERS names too few organisers .* approvals_needed cannot"):
        load_call(DEFAULT_CALL_FILE, "", None, ("ada@example.org",))


@pytest.mark.slow  # the local run's start, in a process
def test_the_local_run_does_not_start_with_a_mistake_in_the_call() -> None:
    with pytest.raises(RuntimeError) as raised:
        process.start({"CALL_OVERRIDES": '{"guest_slots": 0}'})
    assert "✗ the calls cannot be run:\nchalicelib/calls/ow2con24-ospo-heroes.toml: the call has mistakes:" in str(
        raised.value
    )
    assert "guest_slots = 0: input should be greater than or equal to 1; change it in CALL_OVERRIDES" in str(
        raised.value
    )


@pytest.mark.parametrize("word", [*sorted(word for word in ROUTE_WORDS if "." not in word), "deadline", "title"])
def test_a_call_cannot_be_called_as_an_address_of_the_app_or_a_setting(tmp_path: Path, word: str) -> None:
    """A call lives at /<id>/: /status/ or /overview/ are the app's own; and in CALL_OVERRIDES a call's id
    must not read as a setting's name."""
    broken_copy(tmp_path, 'id = "ow2con24-ospo-heroes"', f'id = "{word}"')
    with pytest.raises(CallFileError) as raised:
        call_file.packaged_calls("", "broken.toml", tmp_path)
    assert f"id = {word!r}: is a word the app's addresses or settings use: choose another id than {word!r}" in str(
        raised.value
    )


def test_overrides_are_by_call_and_star_is_every_call() -> None:
    calls = load_calls(json.dumps({"*": {"guest_slots": 4}, SECOND_CALL: {"guest_slots": 1, "room": "Hall"}}))
    assert (calls.of(DEFAULT_CALL).guest_slots, calls.of(SECOND_CALL).guest_slots) == (4, 1)
    assert (calls.of(DEFAULT_CALL).room, calls.of(SECOND_CALL).room) == ("February room", "Hall")


def test_the_flat_overrides_of_one_call_deployments_change_the_default_call() -> None:
    """A stage configured before calls had ids kept a flat object of settings: it is the default call's."""
    calls = load_calls('{"guest_slots": 2}')
    assert (calls.default.id, calls.default.guest_slots, calls.of(SECOND_CALL).guest_slots) == (DEFAULT_CALL, 2, 3)
    other_default = load_calls('{"guest_slots": 1}', f"{SECOND_CALL}.toml")
    assert (other_default.default.id, other_default.of(SECOND_CALL).guest_slots) == (SECOND_CALL, 1)


def test_overrides_of_a_call_that_does_not_exist_are_refused() -> None:
    with pytest.raises(CallFileError) as raised:
        call_file.packaged_calls(json.dumps({"ow2con24-ospo-heros": {"guest_slots": 2}}))
    assert str(raised.value) == (
        "CALL_OVERRIDES names 'ow2con24-ospo-heros', which is no call's id: the calls are "
        f"{DEFAULT_CALL}, {SECOND_CALL} ('*' changes every call)"
    )
    with pytest.raises(CallFileError, match=r"CALL_OVERRIDES\['\*'\] must be a JSON object of that call's settings"):
        call_file.packaged_calls('{"*": 2}')
    with pytest.raises(CallFileError, match=rf"{SECOND_CALL}.toml: the call has mistakes:\n  - guest_slots = 0: .*"):
        call_file.packaged_calls(json.dumps({SECOND_CALL: {"guest_slots": 0}}))


def test_only_the_deployment_s_organisers_change_the_default_call() -> None:
    """make deploy ORGANISERS=… (CALL_ORGANISERS) replaces the default call's organisers only; SENDER
    (CALL_SENDER) is the address every call sends from, each with its own display name."""
    calls = load_calls("", DEFAULT_CALL_FILE, "cfp@example.org", ("a@example.org", "b@example.org"))
    assert calls.default.organisers == ("a@example.org", "b@example.org")
    assert calls.of(SECOND_CALL).organisers == load_calls("").of(SECOND_CALL).organisers
    assert calls.default.sender == "OW2con'24 CfP <cfp@example.org>"
    assert calls.of(SECOND_CALL).sender == "OW2con'24 public sector session <cfp@example.org>"
