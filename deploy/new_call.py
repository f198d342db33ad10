"""`make new-call ID=…`: a new call's file, chalicelib/calls/<ID>.toml, written from deploy/new_call.toml with every
setting commented, its deadline a month ahead and its session a fortnight later; no Python to write.

    python -m deploy.new_call --id ow2con25-ospo-heroes

The file is checked at once, with every other call, as `make package` will check it; the admin then edits it.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from chalicelib import call_file
from chalicelib.call import CALL_ID_PATTERN, CALLS_DIR, ROUTE_WORDS, CallFileError
from chalicelib.settings import DEFAULT_CALL_FILE

TEMPLATE = Path(__file__).resolve().parent / "new_call.toml"


class NewCallRefused(RuntimeError):
    pass


def new_call(
    call_id: str, calls_dir: Path = CALLS_DIR, today: date | None = None, default_file: str = DEFAULT_CALL_FILE
) -> Path:
    """Write the call's file and check it with the others of `calls_dir` (`default_file` is the deployment's
    default call, which must be there); returns its path. Raises NewCallRefused, and then writes nothing."""
    if not re.fullmatch(CALL_ID_PATTERN, call_id):
        raise NewCallRefused(
            f"{call_id!r} cannot be a call's id: use 3 to 63 lower-case letters, digits and dashes, such as "
            "ow2con25-ospo-heroes (it is the first part of the call's address)"
        )
    if call_id in ROUTE_WORDS or call_id in call_file.CallFile.model_fields:
        raise NewCallRefused(f"{call_id!r} is a word the app's addresses or settings use: choose another id")
    path = calls_dir / f"{call_id}.toml"
    if path.exists():
        raise NewCallRefused(f"{path} exists already: edit it, or choose another id")
    day = today or date.today()
    deadline = datetime.combine(day + timedelta(days=30), time(23, 59), ZoneInfo("Europe/Paris"))
    text = TEMPLATE.read_text(encoding="utf-8")
    for placeholder, value in (
        ("{id}", call_id),
        ("{date}", (day + timedelta(days=45)).isoformat()),
        ("{deadline}", deadline.isoformat()),
    ):
        text = text.replace(placeholder, value)
    path.write_text(text, encoding="utf-8")
    try:
        call_file.packaged_calls("", default_file, calls_dir)
    except CallFileError as exc:
        path.unlink()
        raise NewCallRefused(f"the new call does not pass the checks, so it was not written:\n{exc}") from exc
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--id", required=True, help="the call's id: the first part of its address, e.g. ow2con25-ospo")
    arguments = parser.parse_args(argv)
    try:
        path = new_call(arguments.id.strip())
    except NewCallRefused as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    print(f"✓ wrote {call_file.shown(path)}: edit each of its settings (each is commented), then")
    print(f"  make run              it is at http://127.0.0.1:8000/{arguments.id.strip()}/ beside the other calls")
    print("  make package          checks every call file again and packs them all into the zip")
    print('  make deploy STAGE=…   serves it from the deployment (README, "Configuration")')
    return 0


if __name__ == "__main__":
    sys.exit(main())
