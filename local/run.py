"""`make run`: the whole CfP on this machine, on an emulated AWS. Ctrl-C stops everything it started."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType

from chalicelib.i18n import LANGUAGES, SOURCE_LANGUAGE, catalogue
from chalicelib.settings import CALL_FILE, CALL_OVERRIDES, CFP_FAULTS, DEFAULT_CALL_FILE
from local import stack
from local.emulator import Emulator, EmulatorError, aws_environment, port_is_free
from local.outbox import serve as serve_outbox
from local.pump import Pump

PROJECT = Path(__file__).resolve().parent.parent
STAGE = "local"


def say(message: str) -> None:
    print(message, flush=True)


def main() -> int:
    host = "127.0.0.1"
    port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5000"))
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

    say(f"… starting the emulated AWS (moto) on {host}:{moto_port}")
    emulator = Emulator(moto_port)
    try:
        emulator.start(log_path=str(log_dir / "moto.log"))
    except EmulatorError as exc:
        say(f"✗ {exc}; its log is {log_dir / 'moto.log'}")
        return 1
    try:
        return _serve(emulator, host, port, outbox_port)
    finally:
        emulator.stop()


def _serve(emulator: Emulator, host: str, port: int, outbox_port: int) -> int:
    from chalice.cli import factory
    from chalice.local import LocalDevServer

    app_url = f"http://{host}:{port}"
    os.environ.update(aws_environment(emulator.endpoint))
    cli = factory.CLIFactory(project_dir=str(PROJECT))
    config = cli.create_config_obj(chalice_stage_name=STAGE)
    environment = dict(config.environment_variables)
    # The caller's environment wins for these: a rehearsal with other call settings, or faults.
    environment |= {name: os.environ[name] for name in (CALL_FILE, CALL_OVERRIDES, CFP_FAULTS) if name in os.environ}

    from chalicelib.call import CallFileError, load_call

    try:  # validated with pydantic, as make package does, before anything is served
        call = load_call(environment.get(CALL_FILE, DEFAULT_CALL_FILE), environment.get(CALL_OVERRIDES, "").strip())
    except CallFileError as exc:
        say(f"✗ the call cannot be run:\n{exc}")
        return 1
    say("… creating the resources from infra/resources.json and infra/review.asl.json")
    resources = stack.create(STAGE, call.sender)
    environment |= resources.environment() | aws_environment(emulator.endpoint)
    environment["PUBLIC_URL"] = app_url
    # A fresh signing key per run: links from an earlier run point at data that is gone anyway.
    environment["LINK_SECRET"] = secrets.token_urlsafe(32)
    os.environ.update(environment)
    config.environment_variables.update(environment)  # chalice local applies these again

    app = cli.load_chalice_app(environment)
    pump = Pump.for_app(app, resources.table_stream_arn, resources.task_queue_url)
    pump.start()
    outbox = serve_outbox(host, outbox_port, emulator.endpoint, app_url, resources.dead_letter_queue_url)
    server: LocalDevServer = cli.create_local_server(app, config, host, port)
    # socketserver listens with a backlog of 5: more clients connecting at once are reset.
    server.server.socket.listen(128)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    say("✓ ready\n")
    say(f"  Call for participation (form):  {app_url}/")
    say(f"  Outbox (emails SES accepted):   http://{host}:{outbox_port}/")
    say(f"  Emulated AWS endpoint (moto):   {emulator.endpoint}   (dashboard: {emulator.endpoint}/moto-api/)")
    say(f"\n  Logs: {PROJECT / '.local'}. Press Ctrl-C to stop.\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("\n… stopping")
    finally:
        pump.stop()
        outbox.shutdown()
    say("✓ stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
