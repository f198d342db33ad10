"""Creates the local resources from infra/resources.json: the very template that deploys."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import aws, settings
from infra import RESOURCES, definition_text

if TYPE_CHECKING:
    from chalicelib.call import Calls


@dataclass(frozen=True)
class Resources:
    table_name: str
    table_stream_arn: str
    task_queue_name: str
    task_queue_url: str
    dead_letter_queue_url: str
    state_machine_arn: str
    # SES's bounces and complaints go to this topic; locally a queue subscribed to it plays the
    # topic's subscription of the record_email_events function (local/pump.py).
    email_events_topic_arn: str
    email_events_queue_url: str
    # The SSM parameter that holds a stage's link secret (the LinkSecretParameter output).
    link_secret_parameter: str

    def environment(self) -> dict[str, str]:
        return {
            settings.TABLE_NAME: self.table_name,
            settings.TABLE_STREAM_ARN: self.table_stream_arn,
            settings.TASK_QUEUE_NAME: self.task_queue_name,
            settings.STATE_MACHINE_ARN: self.state_machine_arn,
        }


STATE_MACHINE = "ReviewStateMachine"
# Gaps: moto's CloudFormation has no SES identity, and creates no CloudWatch alarm (its stack
# resource comes back without ids). The sender is verified below; the dead-letter queue is shown
# on the outbox page instead of alarming.
NOT_IN_MOTO = {
    "AWS::SES::EmailIdentity",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SNS::TopicPolicy",
    "AWS::CloudWatch::Alarm",
}
# Locally the API is `chalice local`'s, not API Gateway's: its gateway responses have nothing to attach to.
API_GATEWAY_ONLY = {"AWS::ApiGateway::GatewayResponse"}


def local_template() -> tuple[dict[str, Any], dict[str, Any]]:
    """The deploy template as a stack of its own, without its state machine, and that state machine's properties.

    Resources without a Type, and Globals, add to the functions that `chalice package` generates;
    locally `chalice local` and the event-source runner play those functions, so they are left out.

    Gap: moto's CloudFormation creates state machines in a Step Functions backend that does not
    execute them (the executing one is switched on by `stepfunctions.execute_state_machine`).
    So the state machine declared in the template is created through the Step Functions API
    instead, from the same ASL file and the same DefinitionSubstitutions.
    """
    template: dict[str, Any] = json.loads(RESOURCES.read_text())
    template.pop("Globals", None)
    machine: dict[str, Any] = template["Resources"].pop(STATE_MACHINE)["Properties"]
    left_out = {STATE_MACHINE} | {
        name
        for name, resource in template["Resources"].items()
        if "Type" not in resource or resource["Type"] in NOT_IN_MOTO | API_GATEWAY_ONLY
    }
    template["Resources"] = {name: r for name, r in template["Resources"].items() if name not in left_out}
    template["Outputs"] = {
        key: output
        for key, output in template["Outputs"].items()
        if not any(name in json.dumps(output) for name in left_out)
    }
    return template, machine


def create(stage: str, calls: Calls) -> Resources:
    """Create the stack `cfp-<stage>` and its state machine, and verify the calls' senders with SES: the default
    call's is the deployment's (the template's SenderAddress), the others those of calls that send from another
    address."""
    cloudformation = aws.client("cloudformation")
    name = f"cfp-{stage}"
    template, machine = local_template()
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": stage},
            {"ParameterKey": "SenderAddress", "ParameterValue": calls.default.sender_address},
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    outputs = _wait_for_outputs(cloudformation, name)
    _recovery_and_expiry(outputs["TableName"], template)
    # moto also lists the resources a condition left out (the alarm topic, without AlarmEmail), with no ids.
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        if "LogicalResourceId" in r
    }
    state_machine_arn = aws.stepfunctions().create_state_machine(
        name=f"cfp-{stage}-review",
        definition=_definition(machine, physical),
        roleArn=_role_arn(physical[machine["RoleArn"]["Fn::GetAtt"][0]]),
        type="STANDARD",
    )["stateMachineArn"]
    # The template's SenderIdentity, which moto's CloudFormation lacks (NOT_IN_MOTO).
    for address in dict.fromkeys(call.sender_address for call in calls):
        aws.sesv2().create_email_identity(EmailIdentity=address)
    topic_arn = outputs["EmailEventsTopicArn"]
    return Resources(
        table_name=outputs["TableName"],
        table_stream_arn=outputs["TableStreamArn"],
        task_queue_name=outputs["TaskQueueName"],
        task_queue_url=outputs["TaskQueueUrl"],
        dead_letter_queue_url=outputs["DeadLetterQueueUrl"],
        state_machine_arn=state_machine_arn,
        email_events_topic_arn=topic_arn,
        email_events_queue_url=_subscribed_queue(f"cfp-{stage}-email-events-local", topic_arn),
        link_secret_parameter=outputs["LinkSecretParameter"],
    )


def keep_link_secret(resources: Resources, secret: str) -> None:
    """The run's link secret in the emulator's SSM, where make deploy keeps a stage's: make smoke reads it there."""
    aws.ssm().put_parameter(Name=resources.link_secret_parameter, Value=secret, Type="SecureString", Overwrite=True)


def _recovery_and_expiry(table_name: str, template: dict[str, Any]) -> None:
    """The table's point-in-time recovery and TTL, as the template declares them: moto's CloudFormation skips both
    (make restore reads the first)."""
    [table] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    dynamodb = aws.dynamodb()
    dynamodb.update_continuous_backups(
        TableName=table_name, PointInTimeRecoverySpecification=table["PointInTimeRecoverySpecification"]
    )
    dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=table["TimeToLiveSpecification"])


def _subscribed_queue(name: str, topic_arn: str) -> str:
    """A queue that receives the topic's messages, for the pump to hand to the topic's function."""
    sqs = aws.client("sqs")
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def _definition(machine: dict[str, Any], physical: dict[str, str]) -> str:
    """The ASL file with its ${...} substitutions applied, as Step Functions does on AWS."""
    definition = definition_text(str(machine["DefinitionS3Location"]))
    for key, value in machine["DefinitionSubstitutions"].items():
        definition = definition.replace("${" + key + "}", physical[value["Ref"]])
    return definition


def _role_arn(role_name: str) -> str:
    arn: str = aws.client("iam").get_role(RoleName=role_name)["Role"]["Arn"]
    return arn


def _wait_for_outputs(cloudformation: Any, name: str, seconds: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] == "CREATE_COMPLETE":
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if stack["StackStatus"].endswith("FAILED") or "ROLLBACK" in stack["StackStatus"]:
            raise RuntimeError(f"stack {name} failed: {stack.get('StackStatusReason', stack['StackStatus'])}")
        time.sleep(0.2)
    raise RuntimeError(f"stack {name} was not created within {seconds:.0f} s")
