"""The deployment, checked offline: the packaged template, its IAM, its zip, and a stack in moto."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from jinja2 import ModuleLoader
from moto import mock_aws

from bench.common import unpacked_read_only
from chalicelib.stores.table import APPLICATION
from deploy.package import package
from infra import DEFINITION as ASL
from tests.unpacked import run_from

# The slow layer (tests/conftest.py): chalice package, cfn-lint and node's asl-validator.
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
ASL_VALIDATOR = PROJECT / "node_modules" / ".bin" / "asl-validator"
REGION = "eu-west-3"
PARAMETERS = {"Stage": "prod", "SenderAddress": "cfp@example.org", "PublicUrl": "https://cfp.example.org"}

# Statements whose resources are not this stack's own, and why. Every other resource must name
# one of the template's resources (Ref, GetAtt or ${...} in a Sub).
IAM_EXCEPTIONS = {
    "ReadLinkSecret": "the SecureString /cfp/<stage>/link-secret: CloudFormation cannot create one, make deploy does",
    "SendFromTheCallSender": "SES identity/*: in the sandbox each recipient's identity is authorised too; "
    "the ses:FromAddress condition pins the sender",
    "DeliverErrorLogs": "Step Functions' log delivery: logs:CreateLogDelivery and its kin take no resource "
    "(AWS's own policy for a state machine's logging names *)",
}

# What moto 5.2.5's CloudFormation cannot create; the checks above cover them instead.
MOTO_GAPS = {
    "AWS::SES::EmailIdentity": "not implemented (moto warns and skips it)",
    "AWS::ApiGateway::RestApi": "needs a Name, and ignores the OpenAPI Body: its Deployment fails for want of methods",
    "AWS::ApiGateway::Deployment": "see RestApi",
    "AWS::ApiGateway::Stage": "see RestApi",
    "AWS::ApiGateway::GatewayResponse": "see RestApi",
}


@pytest.fixture(scope="session")
def template(packaged: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((packaged / "sam.json").read_text())
    return loaded


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """An in-process moto account; boto3 must reach AWS's own host names for moto to answer."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


def sam_transform(template: dict[str, Any], code_uri: str) -> dict[str, Any]:
    """What CloudFormation's AWS::Serverless transform makes of the template, without AWS."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = json.loads(json.dumps(template))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri  # as aws cloudformation package does
    transformed: dict[str, Any] = transform(template, PARAMETERS, NoManagedPolicies())
    return transformed


def references(value: object) -> set[str]:
    """The logical ids an intrinsic function names."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {str(value["Ref"])}
        if "Fn::GetAtt" in value:
            return {str(value["Fn::GetAtt"][0])}
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
    return set()


# The template ---------------------------------------------------------------------------


def test_cfn_lint_finds_nothing_in_the_packaged_template(packaged: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(packaged / "sam.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_cfn_lint_checks_the_state_machine_definition(packaged: Path, tmp_path: Path) -> None:
    broken = json.loads((packaged / "sam.json").read_text())
    broken["Resources"]["ReviewStateMachine"]["Properties"]["Definition"]["States"]["Acknowledge"]["Type"] = "Tusk"
    (tmp_path / "sam.json").write_text(json.dumps(broken))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(tmp_path / "sam.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode & 2, "cfn-lint reports errors with bit 2 of its exit code"
    assert "E3601 'Tusk' is not one of" in result.stdout


def test_the_state_machine_is_the_asl_file_with_its_substitutions(template: dict[str, Any]) -> None:
    machine = template["Resources"]["ReviewStateMachine"]["Properties"]
    assert machine["Definition"] == json.loads(ASL.read_text())
    assert "DefinitionS3Location" not in machine
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))
    assert placeholders == set(machine["DefinitionSubstitutions"]) == {"TableName", "TaskQueueUrl"}
    assert machine["DefinitionSubstitutions"] == {
        "TableName": {"Ref": "ApplicationsTable"},
        "TaskQueueUrl": {"Ref": "TaskQueue"},
    }


def test_the_table_is_on_demand_streamed_expiring_recoverable_and_encrypted(template: dict[str, Any]) -> None:
    table = template["Resources"]["ApplicationsTable"]
    # Kept when the stack is deleted, but not when a first create rolls back: a leftover table
    # would make every later create fail.
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert {k: v for k, v in table["Properties"].items() if k not in {"AttributeDefinitions", "KeySchema"}} == {
        "TableName": {"Fn::Sub": "cfp-${Stage}-applications"},
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_call",
                "KeySchema": [
                    {"AttributeName": "call_id", "KeyType": "HASH"},
                    {"AttributeName": "submitted_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }


def test_the_queue_outlasts_six_runs_of_its_worker(template: dict[str, Any]) -> None:
    worker_timeout = template["Resources"]["RunTask"]["Properties"]["Timeout"]
    assert template["Resources"]["TaskQueue"]["Properties"]["VisibilityTimeout"] >= 6 * worker_timeout


def test_each_function_has_its_own_memory_timeout_and_role(template: dict[str, Any]) -> None:
    functions = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    settings = {
        name: (p["MemorySize"], p["Timeout"], p.get("ReservedConcurrentExecutions")) for name, p in functions.items()
    }
    # Nothing reserved: a new account's concurrency quota of 10 leaves none to reserve, and the deploy would fail.
    assert settings == {
        "APIHandler": (512, 15, None),
        "StartReview": (256, 30, None),
        "RunTask": (256, 30, None),
        "RecordEmailEvents": (256, 30, None),
    }
    assert len({json.dumps(p["Role"]) for p in functions.values()}) == 4


def test_at_most_two_workers_send_email_at_once(template: dict[str, Any]) -> None:
    """SES's sending rate is protected on the queue's side, which needs no reserved concurrency."""
    queue = template["Resources"]["RunTask"]["Properties"]["Events"]["RunTaskSqsEventSource"]["Properties"]
    assert queue["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert queue["BatchSize"] == 1


def test_the_event_sources_are_the_stacks_stream_and_queue(template: dict[str, Any]) -> None:
    stream = template["Resources"]["StartReview"]["Properties"]["Events"]["StartReviewDynamodbEventSource"]
    queue = template["Resources"]["RunTask"]["Properties"]["Events"]["RunTaskSqsEventSource"]
    assert stream["Properties"]["Stream"] == {"Fn::GetAtt": ["ApplicationsTable", "StreamArn"]}
    assert queue["Properties"]["Queue"] == {"Fn::Sub": "${TaskQueue.Arn}"}


def test_only_new_applications_invoke_the_stream_function(template: dict[str, Any]) -> None:
    """Every write to the table is a stream record; Lambda drops all but new applications before invoking."""
    stream = template["Resources"]["StartReview"]["Properties"]["Events"]["StartReviewDynamodbEventSource"]
    [only] = stream["Properties"]["FilterCriteria"]["Filters"]
    pattern = json.loads(only["Pattern"])
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [APPLICATION]}}}}


def test_an_unknown_address_on_api_gateway_is_a_404_that_says_where_the_call_is(template: dict[str, Any]) -> None:
    """API Gateway answers a path with no route 403 "Missing Authentication Token" unless told otherwise."""
    response = template["Resources"]["NotFoundResponse"]["Properties"]
    assert (response["ResponseType"], response["StatusCode"], response["RestApiId"]) == (
        "MISSING_AUTHENTICATION_TOKEN",
        "404",
        {"Ref": "RestAPI"},
    )
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["title"] == "Not found" and "calls for participation" in body["detail"]


def test_the_senders_domain_signs_with_easy_dkim(template: dict[str, Any]) -> None:
    """DKIM aligned with the From domain is what lets DMARC pass; the README says which records to publish."""
    domain = {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "SenderAddress"}]}]}
    identity = template["Resources"]["SenderDomainIdentity"]
    assert (identity["Type"], identity["Condition"]) == ("AWS::SES::EmailIdentity", "CreateSenderIdentity")
    assert identity["Properties"]["EmailIdentity"] == domain
    assert identity["Properties"]["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["Properties"]["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    # Until its MX and SPF records exist, SES keeps sending from its own MAIL FROM domain.
    assert identity["Properties"]["MailFromAttributes"] == {
        "MailFromDomain": {"Fn::Sub": ["bounce.${Domain}", {"Domain": domain}]},
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }
    records = json.dumps(template["Outputs"]["SenderDkimRecords"]["Value"])
    for n in (1, 2, 3):
        assert f'["SenderDomainIdentity", "DkimDNSTokenName{n}"]' in records
        assert f'["SenderDomainIdentity", "DkimDNSTokenValue{n}"]' in records


def test_the_asl_file_passes_asl_validator() -> None:
    assert ASL_VALIDATOR.exists(), "run `make node` (npm ci) first: make test does"
    result = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(ASL)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def test_asl_validator_rejects_a_state_that_leads_nowhere(tmp_path: Path) -> None:
    broken = tmp_path / "review.asl.json"
    definition = json.loads(ASL.read_text())
    definition["States"]["Acknowledge"]["Next"] = "Nowhere"
    broken.write_text(json.dumps(definition))
    result = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "Missing 'StartAt'|'Next'|'Default' target: Nowhere" in result.stdout + result.stderr


# IAM --------------------------------------------------------------------------------------


def test_no_iam_statement_reaches_beyond_this_stack(template: dict[str, Any]) -> None:
    transformed = sam_transform(template, "s3://artifacts/deployment.zip")
    resources = transformed["Resources"]
    statements = [
        (name, statement)
        for name, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role"
        for policy in resource["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert {name for name, _ in statements} == {
        "ApiHandlerRole",
        "StartReviewRole",
        "RunTaskRole",
        "RecordEmailEventsRole",
        "ReviewStateMachineRole",
    }
    assert not [r for r in resources.values() if r["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}]
    for name, statement in statements:
        where = f"{name} {statement.get('Sid', '')}"
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not [a for a in actions if "*" in a], f"{where}: a wildcard action"
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement.get("Sid") in IAM_EXCEPTIONS:
            continue
        assert "*" not in targets, f"{where}: Resource *"
        for target in targets:
            # The partition, region and account only place the ARN; it must name one of the stack's resources.
            named = {name for name in references(target) if not name.startswith("AWS::")}
            assert named and named <= set(resources), f"{where}: {target}"


def test_the_exceptions_are_as_narrow_as_they_can_be(template: dict[str, Any]) -> None:
    policies = {
        statement["Sid"]: statement
        for role in ("ApiHandlerRole", "RunTaskRole", "RecordEmailEventsRole", "ReviewStateMachineRole")
        for statement in template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    }
    secret = policies["ReadLinkSecret"]
    assert secret["Action"] == "ssm:GetParameter"
    assert secret["Resource"]["Fn::Sub"].endswith(":parameter/cfp/${Stage}/link-secret")
    sending = policies["SendFromTheCallSender"]
    assert sending["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SenderAddress"}}}
    assert sending["Resource"]["Fn::Sub"].startswith("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:")
    assert {action for action in policies["DeliverErrorLogs"]["Action"]} == {
        f"logs:{verb}"
        for verb in (
            "CreateLogDelivery",
            "GetLogDelivery",
            "UpdateLogDelivery",
            "DeleteLogDelivery",
            "ListLogDeliveries",
            "PutResourcePolicy",
            "DescribeResourcePolicies",
            "DescribeLogGroups",
        )
    }
    assert set(IAM_EXCEPTIONS) == {"ReadLinkSecret", "SendFromTheCallSender", "DeliverErrorLogs"}


def test_the_secret_is_only_named_never_given(template: dict[str, Any]) -> None:
    config = json.loads((PROJECT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        assert "LINK_SECRET" not in config["stages"][stage]["environment_variables"]
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert "LINK_SECRET" not in shared
    assert shared["LINK_SECRET_PARAMETER"] == {"Fn::Sub": "/cfp/${Stage}/link-secret"}
    for resource in template["Resources"].values():
        assert "LINK_SECRET" not in resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        assert resource["Type"] not in {"AWS::SSM::Parameter", "AWS::SecretsManager::Secret"}


# Every failure path alarms (README, "Runbook") ------------------------------------------------

ALARM_EMAILED = {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}
FUNCTIONS = ("APIHandler", "StartReview", "RunTask", "RecordEmailEvents")


def alarms_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def watched(alarm: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(namespace, metric, what it is about) of each metric an alarm reads, alone or in a sum."""
    metrics = (
        [alarm] if "MetricName" in alarm else [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    )
    return {
        (
            metric["Namespace"],
            metric["MetricName"],
            json.dumps([d["Value"] for d in metric["Dimensions"]], sort_keys=True),
        )
        for metric in metrics
    }


def test_every_failure_path_has_an_alarm_emailed_to_alarm_email(template: dict[str, Any]) -> None:
    alarms = alarms_of(template)
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == ALARM_EMAILED, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["AlarmName"]["Fn::Sub"].startswith("cfp-${Stage}-"), name
    topic = template["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]

    def ref(name: str) -> str:
        return json.dumps([{"Ref": name}])

    def queue(name: str) -> str:
        return json.dumps([{"Fn::GetAtt": [name, "QueueName"]}])

    table = {"Ref": "ApplicationsTable"}
    expected = {
        ("AWS/States", "ExecutionsFailed", ref("ReviewStateMachine")): 0,
        ("AWS/States", "ExecutionsTimedOut", ref("ReviewStateMachine")): 0,
        ("AWS/States", "ExecutionsAborted", ref("ReviewStateMachine")): 0,
        ("AWS/ApiGateway", "5XXError", json.dumps([{"Fn::Sub": "cfp-${Stage}"}, "api"])): 0,
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", queue("TaskQueue")): 600,
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue("TaskDeadLetterQueue")): 0,
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue("ReviewStartFailureQueue")): 0,
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue("EmailEventsDeadLetterQueue")): 0,
        ("AWS/DynamoDB", "ReadThrottleEvents", json.dumps([table])): 0,
        ("AWS/DynamoDB", "WriteThrottleEvents", json.dumps([table])): 0,
        ("AWS/DynamoDB", "ReadThrottleEvents", json.dumps([table, "by_call"])): 0,
        ("AWS/DynamoDB", "WriteThrottleEvents", json.dumps([table, "by_call"])): 0,
        # SES reviews an account at these rates, and may pause its sending above them.
        ("AWS/SES", "Reputation.BounceRate", "[]"): 0.05,
        ("AWS/SES", "Reputation.ComplaintRate", "[]"): 0.001,
    } | {("AWS/Lambda", metric, ref(f)): 0 for f in FUNCTIONS for metric in ("Errors", "Throttles")}
    thresholds = {metric: alarm["Threshold"] for alarm in alarms.values() for metric in watched(alarm)}
    assert thresholds == expected
    assert all(alarm["ComparisonOperator"] == "GreaterThanThreshold" for alarm in alarms.values())


def test_the_bounce_handler_keeps_what_it_failed_on_in_a_dead_letter_queue(template: dict[str, Any]) -> None:
    """SNS invokes the function asynchronously: Lambda retries it twice, then sends the event to the destination."""
    invoke = template["Resources"]["RecordEmailEvents"]["Properties"]["EventInvokeConfig"]
    assert invoke == {
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {
            "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["EmailEventsDeadLetterQueue", "Arn"]}}
        },
    }
    # Chalice's role, not SAM's: the destination is written with the function's own permission.
    statements = template["Resources"]["RecordEmailEventsRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert {
        "Sid": "KeepFailedNotifications",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": {"Fn::GetAtt": ["EmailEventsDeadLetterQueue", "Arn"]},
    } in statements["Statement"]
    queue = template["Resources"]["EmailEventsDeadLetterQueue"]["Properties"]
    assert (queue["MessageRetentionPeriod"], queue["SqsManagedSseEnabled"]) == (1209600, True)


def test_one_dashboard_shows_every_alarm(template: dict[str, Any]) -> None:
    [dashboard] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert dashboard["DashboardName"] == {"Fn::Sub": "cfp-${Stage}"}
    body = json.loads(dashboard["DashboardBody"]["Fn::Sub"])
    [states] = [w for w in body["widgets"] if w["type"] == "alarm"]
    names = {alarm["AlarmName"]["Fn::Sub"] for alarm in alarms_of(template).values()}
    assert {arn.rpartition(":alarm:")[2] for arn in states["properties"]["alarms"]} == names
    graphs = json.dumps([w for w in body["widgets"] if w["type"] == "metric"])
    for metric in (
        "ExecutionsFailed",
        "Throttles",
        "5XXError",
        "ApproximateAgeOfOldestMessage",
        "Reputation.BounceRate",
    ):
        assert metric in graphs


def test_the_readme_has_a_runbook_line_for_each_alarm(template: dict[str, Any]) -> None:
    """Each alarm's email says what it means and what to do; the README's runbook says the same, word for word."""
    from infra.monitoring import alarms

    readme = (PROJECT / "README.md").read_text()
    every = alarms("api")
    assert {f"cfp-${{Stage}}-{alarm.name}" for alarm in every} == {
        a["AlarmName"]["Fn::Sub"] for a in alarms_of(template).values()
    }
    for alarm in every:
        assert f"| `cfp-<stage>-{alarm.name}` | {alarm.means} | {alarm.action} |" in readme, alarm.name
        assert len(alarm.description) <= 1024, alarm.name  # CloudWatch's limit


# Least privilege and data --------------------------------------------------------------------


def role_policy(template: dict[str, Any], role: str) -> dict[str, Any]:
    policy: dict[str, Any] = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    return policy


def test_every_write_to_the_table_names_the_partitions_and_attributes_it_may_touch(template: dict[str, Any]) -> None:
    """dynamodb:LeadingKeys on every DynamoDB statement of the table, dynamodb:Attributes on every write but the
    API's deletes (README, "Who may write what"); tests/fast/test_item_privileges.py checks what each refuses."""
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    for role in ("ApiHandlerRole", "StartReviewRole", "RunTaskRole", "RecordEmailEventsRole", "ReviewStateMachineRole"):
        for statement in role_policy(template, role)["Statement"]:
            actions = set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
            if statement["Resource"] != {"Fn::GetAtt": ["ApplicationsTable", "Arn"]}:
                assert not actions & writes, f"{role} {statement['Sid']}"
                continue
            condition = statement["Condition"]
            assert condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], f"{role} {statement['Sid']}"
            assert "*" not in condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            if actions & writes and statement["Sid"] != "ForgetAnApplicationsItems":
                attributes = condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]
                assert {"pk", "sk"} <= set(attributes), f"{role} {statement['Sid']}: DynamoDB needs the key's names"


def test_both_topics_are_encrypted_with_a_key_cloudwatch_and_ses_may_use(template: dict[str, Any]) -> None:
    """The AWS managed key alias/aws/sns would do for a topic only principals of the account publish to; its
    policy cannot be changed to let CloudWatch (the alarms) or SES (bounces) publish (SNS developer guide,
    "Enable compatibility between event sources from AWS services and encrypted topics")."""
    key = {"Fn::GetAtt": ["TopicKey", "Arn"]}
    assert template["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == key
    assert template["Resources"]["EmailEventsTopic"]["Properties"]["KmsMasterKeyId"] == key
    properties = template["Resources"]["TopicKey"]["Properties"]
    # Not rotated: it wraps the data keys of messages SNS holds only until delivered (README, "What it costs").
    assert properties["EnableKeyRotation"] is False
    services = {
        statement["Principal"]["Service"]: statement
        for statement in properties["KeyPolicy"]["Statement"]
        if "Service" in statement["Principal"]
    }
    assert set(services) == {"cloudwatch.amazonaws.com", "ses.amazonaws.com"}
    for statement in services.values():
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_api_logs_each_requests_route_never_its_path(template: dict[str, Any]) -> None:
    """An emailed link's token is in its path: the access log holds the route it matched ({token}), not the path."""
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["Name"] == {"Fn::Sub": "cfp-${Stage}"}  # the ApiName of its metrics, one per stage
    setting = api["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(setting["Format"])
    assert fields["route"] == "$context.resourcePath" and fields["requestId"] == "$context.requestId"
    assert not [value for value in fields.values() if value in {"$context.path", "$context.identity.sourceIp"}]
    group = template["Resources"]["ApiAccessLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    transformed = sam_transform(template, "s3://artifacts/deployment.zip")
    [stage] = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["AccessLogSetting"] == setting


def test_step_functions_logs_every_error_without_the_executions_data(template: dict[str, Any]) -> None:
    machine = template["Resources"]["ReviewStateMachine"]["Properties"]
    assert machine["LoggingConfiguration"] == {
        "Level": "ERROR",
        "IncludeExecutionData": False,  # an execution's input and outputs name applications, not people, but stay out
        "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["ReviewLogGroup", "Arn"]}}}],
    }
    group = template["Resources"]["ReviewLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/vendedlogs/states/cfp-${Stage}-review"}
    statements = {s["Sid"]: s for s in role_policy(template, "ReviewStateMachineRole")["Statement"]}
    assert "logs:CreateLogDelivery" in statements["DeliverErrorLogs"]["Action"]


def test_deployed_stages_send_hsts_and_the_local_run_does_not(template: dict[str, Any]) -> None:
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    max_age = int(shared["STRICT_TRANSPORT_SECURITY"].removeprefix("max-age="))
    assert max_age >= 365 * 24 * 3600
    config = json.loads((PROJECT / ".chalice" / "config.json").read_text())
    assert "STRICT_TRANSPORT_SECURITY" not in config["stages"]["local"]["environment_variables"]


def test_public_url_must_be_https(template: dict[str, Any]) -> None:
    from deploy.package import PackagingFailed, refuse_plain_http

    pattern = re.compile(template["Parameters"]["PublicUrl"]["AllowedPattern"])
    assert pattern.match("https://cfp.example.org") and pattern.match("")
    assert not pattern.match("http://cfp.example.org")
    assert "https://" in template["Parameters"]["PublicUrl"]["ConstraintDescription"]
    plain = json.loads(json.dumps(template))
    for function in FUNCTIONS:  # a stage's environment is every function's
        plain["Resources"][function]["Properties"]["Environment"]["Variables"]["PUBLIC_URL"] = "http://cfp.example.org"
    with pytest.raises(PackagingFailed, match="must start with https://"):
        refuse_plain_http(plain)
    refuse_plain_http(template)


# The stack, in moto's CloudFormation --------------------------------------------------------


def test_the_packaged_template_creates_its_stack(
    packaged: Path, template: dict[str, Any], offline_aws: boto3.session.Session
) -> None:
    s3 = offline_aws.client("s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.upload_file(str(packaged / "deployment.zip"), "artifacts", "deployment.zip")
    transformed = sam_transform(template, "s3://artifacts/deployment.zip")
    left_out = {name for name, r in transformed["Resources"].items() if r["Type"] in MOTO_GAPS}
    left_out |= {name for name, r in transformed["Resources"].items() if references_any(r, left_out)}
    assert left_out == {
        "SenderIdentity",
        "SenderDomainIdentity",
        "RestAPI",
        "NotFoundResponse",
        "APIHandlerInvokePermission",
        *(n for n in transformed["Resources"] if n.startswith(("RestAPIDeployment", "RestAPIapiStage"))),
    }
    transformed["Resources"] = {n: r for n, r in transformed["Resources"].items() if n not in left_out}
    transformed["Outputs"] = {k: o for k, o in transformed["Outputs"].items() if not references_any(o, left_out)}

    cloudformation = offline_aws.client("cloudformation")
    cloudformation.create_stack(
        StackName="cfp-prod",
        TemplateBody=json.dumps(transformed),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cloudformation.describe_stacks(StackName="cfp-prod")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    table = offline_aws.client("dynamodb").describe_table(TableName="cfp-prod-applications")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    # moto creates the table without its TTL, PITR and SSE settings: the template test checks them.
    assert outputs["TableStreamArn"] == table["LatestStreamArn"]

    sqs = offline_aws.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="cfp-prod-tasks")["QueueUrl"]
    dead_letter_url = sqs.get_queue_url(QueueName="cfp-prod-tasks-dead-letter")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"]
    assert queue["VisibilityTimeout"] == "180"
    assert json.loads(queue["RedrivePolicy"])["deadLetterTargetArn"] == dead_letter_arn["QueueArn"]

    machines = offline_aws.client("stepfunctions").list_state_machines()["stateMachines"]
    assert [m["stateMachineArn"] for m in machines] == [outputs["StateMachineArn"]]
    assert machines[0]["name"] == "cfp-prod-review"

    lambda_ = offline_aws.client("lambda")
    mappings = {
        m["FunctionArn"].rsplit(":", 1)[1]: m for m in lambda_.list_event_source_mappings()["EventSourceMappings"]
    }
    assert mappings["cfp-prod-start-review"]["EventSourceArn"] == table["LatestStreamArn"]
    assert mappings["cfp-prod-run-task"]["EventSourceArn"] == queue["QueueArn"]
    environment = lambda_.get_function(FunctionName="cfp-prod-run-task")["Configuration"]["Environment"]["Variables"]
    assert environment == {
        "STAGE": "prod",
        "CALL_FILE": "ow2con24-ospo-heroes.toml",
        "CALL_OVERRIDES": '{"*": {"verify_email": true}}',
        "TABLE_NAME": "cfp-prod-applications",
        "TABLE_STREAM_ARN": table["LatestStreamArn"],
        "TASK_QUEUE_NAME": "cfp-prod-tasks",
        "STATE_MACHINE_ARN": outputs["StateMachineArn"],
        "PUBLIC_URL": "https://cfp.example.org",
        "LINK_SECRET_PARAMETER": "/cfp/prod/link-secret",
        "CALL_SENDER": "cfp@example.org",
        "CALL_ORGANISERS": "",
        "EMAIL_EVENTS_TOPIC": "cfp-prod-email-events",
        "STRICT_TRANSPORT_SECURITY": "max-age=31536000",
    }


# Imports the app, serves the form, then imports every module of chalicelib, counting what Python compiled.
IMPORT_EVERYTHING = """
import importlib, importlib.machinery, pkgutil
compiled = []
compile_source = importlib.machinery.SourceFileLoader.source_to_code
def counted(self, data, path, *args, **kwargs):
    compiled.append(str(path))
    return compile_source(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = counted
response = serve_the_form()
import chalicelib
names = [m.name for m in pkgutil.walk_packages(chalicelib.__path__, "chalicelib.")]
for name in names:
    importlib.import_module(name)
report({"status": response["statusCode"], "chalicelib_modules": len(names),
        "compiled": [path for path in compiled if path.startswith(ROOT)]})
"""


def references_any(value: object, names: set[str]) -> bool:
    text = json.dumps(value)
    return any(f'"{n}"' in text or "${" + n in text for n in names)


# The zip ----------------------------------------------------------------------------------

SHIPPED_TOP_LEVEL = {
    "app.py",
    "chalice",  # Chalice's runtime: app.py and __init__.py
    "chalicelib",
    "annotated_types",
    "dateutil",  # icalendar's
    "icalendar",
    "tzdata",  # the call's time zone, wherever Lambda's image lacks it
    "itsdangerous",
    "jinja2",
    "markupsafe",
    "pydantic",
    "pydantic_core",
    "typing_extensions.py",
    "typing_inspection",
    "__pycache__",  # typing_extensions.py's bytecode
}


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_the_zip_holds_the_app_and_its_runtime_dependencies_only(packaged: Path) -> None:
    names = zip_names(packaged / "deployment.zip")
    top_level = {n.split("/", 1)[0] for n in names if ".dist-info/" not in n}
    assert top_level == SHIPPED_TOP_LEVEL
    for never in ("tests/", "local/", "deploy/", "infra/", ".venv/", "node_modules/", "boto3/", "botocore/", "moto/"):
        assert not [n for n in names if n.startswith(never)], never
    assert sorted(n.split("/", 1)[1] for n in names if n.startswith("chalice/") and n.endswith(".py")) == [
        "__init__.py",
        "app.py",
    ]
    assert {
        "app.py",
        "chalicelib/handlers/events.py",
        "chalicelib/calls/ow2con24-ospo-heroes.toml",
        "chalicelib/templates/emails/acknowledge.html",
        "chalicelib/templates/emails/acknowledge.txt",
        "chalicelib/locale/fr/LC_MESSAGES/messages.mo",  # compiled by `make translations`
        "chalicelib/static/style.css",
        "chalicelib/static/form.js",
        "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so",
        # The templates compiled by make package, which the app uses where it finds them.
        f"chalicelib/packaged/templates/{ModuleLoader.get_module_filename('form.html')}",
    } <= set(names)


# Python 3.11's bytecode magic number (CPython's Lib/importlib/_bootstrap_external.py), as a .pyc starts.
MAGIC_NUMBERS = {"python3.11": (3495).to_bytes(2, "little") + b"\r\n"}


def test_every_shipped_module_has_its_bytecode_for_the_templates_runtime(
    packaged: Path, template: dict[str, Any]
) -> None:
    """Lambda's /var/task is read-only: without bytecode in the zip, every cold start compiles every module."""
    runtimes = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert runtimes == {"python3.11"}
    [runtime] = runtimes
    cache_tag = runtime.replace("python", "cpython-").replace(".", "")
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = set(archive.namelist())
        modules = sorted(n for n in names if n.endswith(".py"))
        assert len(modules) > 200 and "app.py" in modules and "chalicelib/call.py" in modules
        for module in modules:
            folder, _, file_name = module.rpartition("/")
            bytecode = f"{folder + '/' if folder else ''}__pycache__/{file_name[:-3]}.{cache_tag}.pyc"
            assert bytecode in names, f"{module} has no {bytecode}"
            header = archive.read(bytecode)[:16]
            assert header[:4] == MAGIC_NUMBERS[runtime], f"{bytecode} is not {runtime}'s bytecode"
            # Hash-based and unchecked (flags 0b01): used as is, whatever the dates of the unpacked files.
            assert int.from_bytes(header[4:8], "little") == 0b01, bytecode
            assert header[8:16] == importlib.util.source_hash(archive.read(module)), f"{bytecode} is not {module}'s"
        assert not [n for n in names if n.endswith(".pyc") and "__pycache__/" not in n]
        orphans = {n.replace("__pycache__/", "").rsplit(".", 2)[0] + ".py" for n in names if n.endswith(".pyc")}
        assert orphans <= names


def test_the_app_from_the_read_only_zip_compiles_nothing(packaged: Path) -> None:
    """As on Lambda: the unpacked zip read-only, nothing written (-B), every module of chalicelib imported."""
    with unpacked_read_only(packaged / "deployment.zip") as root:
        before = sorted(root.rglob("*"))
        loaded = run_from(root, IMPORT_EVERYTHING)
        assert loaded["status"] == 200
        assert loaded["compiled"] == []
        assert loaded["chalicelib_modules"] > 20
        assert sorted(root.rglob("*")) == before


def test_packaging_is_reproducible(packaged: Path, tmp_path: Path) -> None:
    again = tmp_path / "prod"
    package("prod", again)

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest(again / "deployment.zip") == digest(packaged / "deployment.zip")
    assert digest(again / "sam.json") == digest(packaged / "sam.json")
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        # Chalice writes every entry with the same date, so a fresh clone packs the same bytes.
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    shutil.rmtree(again)
