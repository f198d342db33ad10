"""A stage's stack, `cfp-<stage>`, as CloudFormation describes it: its outputs name the stage's resources, for the
admin's commands (make revoke-overview) and the local run's replays (make bounce), which never guess the names."""

from __future__ import annotations

from chalicelib import aws


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
