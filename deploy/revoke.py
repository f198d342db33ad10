"""`make revoke-overview STAGE=… ORGANISER=…`: one organiser's overview link, and the review links it hands
out, of every call they organise, stop working; every other organiser's links and every applicant's work on
(chalicelib/stores/revocations.py).

    python -m deploy.revoke --stage prod --organiser programme@example.org

The stage's stack, `cfp-<stage>`, names the table. `--stage local` reaches the run of `make run`, on its
emulator (MOTO_PORT, 5000 by default); any other stage is the AWS account of the admin's credentials.
The organiser's next email about an application brings working links.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from chalicelib import aws
from chalicelib.models import EMAIL_PATTERN
from chalicelib.stores.revocations import RevocationStore
from deploy.stack import NoStack, stack_default_call_id, stack_outputs

PROJECT = Path(__file__).resolve().parent.parent


class RevocationFailed(RuntimeError):
    pass


def table_of(stage: str) -> str:
    try:
        outputs = stack_outputs(stage)
    except NoStack as exc:
        raise RevocationFailed(str(exc)) from exc
    if "TableName" not in outputs:
        raise RevocationFailed(f"the stack cfp-{stage} has no TableName output yet")
    return str(outputs["TableName"])


def revoke(stage: str, organiser: str, now: datetime | None = None) -> datetime:
    """Revoke the organiser's links signed until now; returns the revocation in force."""
    revocations = RevocationStore(aws.dynamodb(), table_of(stage), stack_default_call_id(stage))
    return revocations.revoke(organiser, now or datetime.now(UTC))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, help="local, dev or prod")
    parser.add_argument("--organiser", required=True, help="the organiser's address")
    args = parser.parse_args(argv)
    organiser = args.organiser.strip()
    if not EMAIL_PATTERN.match(organiser):
        print(f"✗ {organiser!r} is not an email address: give the organiser's, as in the call's file", file=sys.stderr)
        return 1
    if args.stage == "local":
        from local.emulator import aws_environment, run_endpoint

        os.environ.update(aws_environment(run_endpoint()))
    from botocore.exceptions import BotoCoreError

    try:
        revoked = revoke(args.stage, organiser)
    except RevocationFailed as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    except BotoCoreError as exc:  # no credentials, or nothing answers (is `make run` running, for local?)
        print(f"✗ could not reach the stage's AWS: {exc}", file=sys.stderr)
        return 1
    moment = revoked.isoformat(timespec="seconds")
    print(f"✓ {organiser}'s overview and review links, of every call they organise, signed before {moment}")
    print("  no longer work (stage " + args.stage + "); their next email about an application brings new ones.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
