"""A stage's stack, `cfp-<stage>`, as CloudFormation describes it: its outputs name the stage's resources, for the
admin's commands (make revoke-overview, make smoke, make restore) and the local run's replays (make bounce), which
never guess the names; and the stage's default call, as .chalice/config.json sets it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from chalicelib import aws
from chalicelib.call import load_calls
from chalicelib.settings import CALL_FILE, CALL_OVERRIDES, DEFAULT_CALL_FILE

PROJECT = Path(__file__).resolve().parent.parent


class NoStack(RuntimeError):
    pass


def stack_outputs(stage: str) -> dict[str, str]:
    """The outputs of the stack `cfp-<stage>` (TableName, EmailEventsTopicArn...) by key; raises NoStack."""
    from botocore.exceptions import ClientError

    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=f"cfp-{stage}")["Stacks"]
    except ClientError as exc:
        raise NoStack(f"no stack cfp-{stage} here: {exc.response.get('Error', {}).get('Message')}") from exc
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def stack_default_call_id(stage: str) -> str:
    """The stage's default call (CALL_FILE in .chalice/config.json; a stage unknown there: the default)."""
    stages = json.loads((PROJECT / ".chalice" / "config.json").read_text())["stages"]
    environment = stages.get(stage, {}).get("environment_variables", {})
    call_file = os.environ.get(CALL_FILE) or environment.get(CALL_FILE, DEFAULT_CALL_FILE)
    return load_calls(environment.get(CALL_OVERRIDES, ""), call_file).default_id
