"""`make run`: the whole CfP on this machine, on an emulated AWS. Ctrl-C stops everything it started."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import sys
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from chalicelib.i18n import LANGUAGES, SOURCE_LANGUAGE, catalogue
from chalicelib.settings import CALL_FILE, CALL_OVERRIDES, CFP_FAULTS, DEFAULT_CALL_FILE
from local import stack
from local.emulator import Emulator, EmulatorError, aws_environment, port_is_free, run_port
from local.gateway import local_server
from local.outbox import serve as serve_outbox
from local.pump import Pump

PROJECT = Path(__file__).resolve().parent.parent
STAGE = "local"


def say(message: str) -> None:
    print(message, flush=True)


def main() -> int:
    host = "127.0.0.1"
    port = int(os.environ.get("PORT", "8000"))
    moto_port = run_port()
    outbox_port = int(os.environ.get("OUTBOX_PORT", str(port + 1)))
    for name, value in (("PORT", port), ("OUTBOX_PORT", outbox_port), ("MOTO_PORT", moto_port)):
        if not port_is_free(value):
            say(f"✗ port {value} is already in use: stop what uses it, or run with {name}=<another port>.")
            return 1
    for language in LANGUAGES:
        if language != SOURCE_LANGUAGE and not catalogue(language).exists():
            say(f"✗ {catalogue(language).relative_to(PROJECT)} is not compiled: `make run` compiles it first.")
            return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    log_dir = PROJECT / ".local"
    log_dir.mkdir(exist_ok=True)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # A stop (Ctrl-C, or SIGTERM from a supervisor) at any moment, during start-up too, stops what has
    # started so far, in the reverse order, with a message rather than a traceback.
    signal.signal(signal.SIGTERM, interrupt)
    with ExitStack() as started:
        try:
            code = _start_and_serve(started, host, port, moto_port, outbox_port, log_dir)
        except KeyboardInterrupt:
            say("\n… stopping")
            code = 0
    say("✓ stopped")
    return code


def _start_and_serve(started: ExitStack, host: str, port: int, moto_port: int, outbox_port: int, log_dir: Path) -> int:
    from chalice.cli import factory

    say(f"… starting the emulated AWS (moto) on {host}:{moto_port}")
    emulator = Emulator(moto_port)
    started.callback(emulator.stop)
    try:
        emulator.start(log_path=str(log_dir / "moto.log"))
    except EmulatorError as exc:
        say(f"✗ {exc}; its log is {log_dir / 'moto.log'}")
        return 1

    app_url = f"http://{host}:{port}"
    os.environ.update(aws_environment(emulator.endpoint))
    cli = factory.CLIFactory(project_dir=str(PROJECT))
    config = cli.create_config_obj(chalice_stage_name=STAGE)
    environment = dict(config.environment_variables)
    # The caller's environment wins for these: a rehearsal with other call settings, or faults.
    environment |= {name: os.environ[name] for name in (CALL_FILE, CALL_OVERRIDES, CFP_FAULTS) if name in os.environ}

    if os.environ.get("SESSION_IN_MINUTES"):
        environment[CALL_OVERRIDES] = _session_soon(environment, float(os.environ["SESSION_IN_MINUTES"]))
    from chalicelib.call import CallFileError, load_calls

    try:  # validated with pydantic, as make package does, before anything is served
        calls = load_calls(environment.get(CALL_OVERRIDES, "").strip(), environment.get(CALL_FILE, DEFAULT_CALL_FILE))
    except CallFileError as exc:
        say(f"✗ the calls cannot be run:\n{exc}")
        return 1
    say("… creating the resources from infra/resources.json and infra/review.asl.json")
    resources = stack.create(STAGE, calls)
    environment |= resources.environment() | aws_environment(emulator.endpoint)
    environment["PUBLIC_URL"] = app_url
    # A fresh signing key per run: links from an earlier run point at data that is gone anyway. The emulator's
    # SSM holds it too, where make deploy keeps a stage's: make smoke reads it there.
    environment["LINK_SECRET"] = secrets.token_urlsafe(32)
    stack.keep_link_secret(resources, environment["LINK_SECRET"])
    os.environ.update(environment)
    config.environment_variables.update(environment)  # chalice local applies these again

    app = cli.load_chalice_app(environment)
    pump = Pump.for_app(app, resources)
    pump.start()
    started.callback(pump.stop)
    outbox = serve_outbox(host, outbox_port, emulator.endpoint, app_url, resources.dead_letter_queue_url)
    started.callback(outbox.shutdown)
    server = local_server(app, config, host, port)
    started.callback(server.server.server_close)
    # socketserver listens with a backlog of 5: more clients connecting at once are reset.
    server.server.socket.listen(128)

    say("✓ ready\n")
    say(f"  Calls for participation:        {app_url}/")
    for call in calls:
        say(f"    {call.id + ':':<30}{app_url}/{call.id}/")
    say(f"  Outbox (emails SES accepted):   http://{host}:{outbox_port}/")
    say(f"  Emulated AWS endpoint (moto):   {emulator.endpoint}   (dashboard: {emulator.endpoint}/moto-api/)")
    say(f"\n  Logs: {PROJECT / '.local'}. Press Ctrl-C to stop.\n")
    server.serve_forever()
    return 0


def _session_soon(environment: dict[str, str], minutes: float) -> str:
    """The stage's call overrides with the default call's session `minutes` from now, its reminder halfway:
    the tour's last steps (the reminder, then nobody can cancel) in minutes instead of a day."""
    from chalicelib.call import load_calls
    from chalicelib.call_file import split_overrides

    stage_overrides = environment.get(CALL_OVERRIDES, "").strip()
    call = load_calls(stage_overrides, environment.get(CALL_FILE, DEFAULT_CALL_FILE)).default
    starts = (datetime.now(ZoneInfo(call.timezone)) + timedelta(minutes=minutes)).replace(microsecond=0)
    ends = min(starts + (call.ends_at - call.starts_at), starts.replace(hour=23, minute=59, second=59))
    soon = {
        "date": starts.date().isoformat(),
        "starts": starts.time().isoformat(),
        "ends": ends.time().isoformat(),
        "session_reminder_hours": minutes / 2 / 60,
    }
    by_call, flat = split_overrides(stage_overrides)
    overrides = flat | soon if flat else by_call | {call.id: by_call.get(call.id, {}) | soon}
    say(
        f"… the session starts at {starts:%H:%M:%S} ({call.timezone}); its reminder goes {minutes / 2:g} minutes before"
    )
    return json.dumps(overrides)


if __name__ == "__main__":
    sys.exit(main())
