"""make deploy and make destroy against a stand-in `aws` command that records what it is asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The slow layer (tests/conftest.py): the deploy scripts, each in a shell.
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
ENDPOINT = "https://abc123.execute-api.eu-west-3.amazonaws.com/api/"

# A stand-in for the AWS CLI: it keeps what exists in state.json and logs each call in calls.json.
FAKE_AWS = f"""#!{sys.executable}
import json, os, pathlib, sys
home = pathlib.Path(os.environ["FAKE_AWS_HOME"])
state = json.loads((home / "state.json").read_text()) if (home / "state.json").exists() else {{}}
calls = json.loads((home / "calls.json").read_text()) if (home / "calls.json").exists() else []
args = sys.argv[1:]
calls.append(args)
(home / "calls.json").write_text(json.dumps(calls))
def save():
    (home / "state.json").write_text(json.dumps(state))
def missing():
    sys.exit(254)
command = " ".join(args[:2])
def value(flag):
    return args[args.index(flag) + 1]
if command == "sts get-caller-identity":
    print("123456789012")
elif command == "s3api head-bucket":
    value("--bucket") in state.get("buckets", []) or missing()
elif command == "s3 mb":
    state.setdefault("buckets", []).append(args[2].removeprefix("s3://")); save()
elif command == "ssm get-parameter":
    value("--name") in state.get("parameters", {{}}) or missing()
elif command == "ssm put-parameter":
    state.setdefault("parameters", {{}})[value("--name")] = pathlib.Path(value("--value").removeprefix("file://")).read_text()
    save()
elif command == "cloudformation describe-stacks":
    if os.environ.get("FAKE_AWS_UNREACHABLE"):
        print("Could not connect to the endpoint URL", file=sys.stderr)
        sys.exit(255)
    name = value("--stack-name")
    stack = state.get("stacks", {{}}).get(name)
    if stack is None:
        print(f"An error occurred (ValidationError) when calling the DescribeStacks operation: "
              f"Stack with id {{name}} does not exist", file=sys.stderr)
        sys.exit(254)
    query = value("--query")
    if "EndpointURL" in query:
        print("{ENDPOINT}")
    elif "StateMachineArn" in query:
        print("arn:aws:states:eu-west-3:123456789012:stateMachine:" + name + "-review")
    elif "PublicUrl" in query:
        print(stack["parameters"].get("PublicUrl", ""))
    else:
        print(stack["status"])
elif command == "cloudformation package":
    pathlib.Path(value("--output-template-file")).write_text(pathlib.Path(value("--template-file")).read_text())
elif command == "cloudformation deploy":
    if os.environ.get("FAKE_AWS_FAIL_DEPLOY") == str(len([c for c in calls if c[:2] == args[:2]])):
        sys.exit(255)  # this deploy is cut off: the stack keeps what it had
    # As the real command: parameters left out keep their previous values.
    stack = state.setdefault("stacks", {{}}).setdefault(value("--stack-name"), {{"parameters": {{}}}})
    stack["status"] = "UPDATE_COMPLETE" if "status" in stack else "CREATE_COMPLETE"
    stack["parameters"].update(p.split("=", 1) for p in args[args.index("--parameter-overrides") + 1:])
    save()
elif command == "stepfunctions list-executions":
    print("\t".join(state.get("running", [])) or "None")
elif command == "apigateway get-account":
    print(state.get("apigateway_logs_role", "None"))
elif command == "apigateway update-account":
    state["apigateway_logs_role"] = value("--patch-operations").rpartition("value=")[2]; save()
elif command == "iam get-role":
    print(state["roles"][value("--role-name")]) if value("--role-name") in state.get("roles", {{}}) else missing()
elif command == "iam create-role":
    arn = "arn:aws:iam::123456789012:role/" + value("--role-name")
    state.setdefault("roles", {{}})[value("--role-name")] = arn; save()
    print(arn)
elif command == "dynamodb describe-table":
    value("--table-name") in state.get("tables", []) or missing()
elif command == "dynamodb delete-table":
    state["tables"].remove(value("--table-name")); save()
"""


@pytest.fixture
def fake_aws(tmp_path: Path) -> dict[str, str]:
    """An environment whose `aws` is the stand-in, with a region and no real credentials."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sam.json").write_text("{}")
    inputs = {"STAGE", "SENDER", "ORGANISERS", "PUBLIC_URL", "CREATE_SENDER_IDENTITY", "DEPLOY_BUCKET", "ALARM_EMAIL"}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in inputs}
    return environment | {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_AWS_HOME": str(tmp_path),
        "AWS_REGION": "eu-west-3",
        "STAGE": "prod",
    }


def deploy(environment: dict[str, str], **variables: str) -> subprocess.CompletedProcess[str]:
    out = Path(environment["FAKE_AWS_HOME"]) / "out"
    return subprocess.run(
        ["bash", str(PROJECT / "deploy" / "deploy.sh"), str(out)],
        env=environment | variables,
        capture_output=True,
        text=True,
        check=False,
    )


def calls(environment: dict[str, str]) -> list[list[str]]:
    logged: list[list[str]] = json.loads((Path(environment["FAKE_AWS_HOME"]) / "calls.json").read_text())
    return logged


def overrides(call: list[str]) -> list[str]:
    return call[call.index("--parameter-overrides") + 1 :]


def test_a_first_deploy_makes_the_bucket_and_secret_then_deploys_twice_for_its_own_url(
    fake_aws: dict[str, str],
) -> None:
    result = deploy(fake_aws, SENDER="cfp@example.org", ORGANISERS="ada@example.org,grace@example.org")
    assert result.returncode == 0, result.stderr

    made = [c[:2] for c in calls(fake_aws) if c[:2] in (["s3", "mb"], ["ssm", "put-parameter"])]
    assert made == [["s3", "mb"], ["ssm", "put-parameter"]]
    put = next(c for c in calls(fake_aws) if c[:2] == ["ssm", "put-parameter"])
    state = json.loads((Path(fake_aws["FAKE_AWS_HOME"]) / "state.json").read_text())
    secret = state["parameters"]["/cfp/prod/link-secret"]
    assert len(secret) >= 40 and secret not in " ".join(put), "the secret never appears on a command line"
    assert put[put.index("--type") + 1] == "SecureString"

    deploys = [c for c in calls(fake_aws) if c[:2] == ["cloudformation", "deploy"]]
    assert overrides(deploys[0]) == [
        "Stage=prod",
        "SenderAddress=cfp@example.org",
        "Organisers=ada@example.org,grace@example.org",
    ]
    assert overrides(deploys[1]) == [*overrides(deploys[0]), "PublicUrl=" + ENDPOINT.rstrip("/")]
    assert "CAPABILITY_AUTO_EXPAND" in deploys[0]
    # The packaged template is over the 51,200 bytes CloudFormation takes inline.
    assert deploys[0][deploys[0].index("--s3-bucket") + 1] == "cfp-deploy-123456789012-eu-west-3"
    assert f"The calls for participation: {ENDPOINT}" in result.stderr


def test_an_update_keeps_the_secret_and_the_stacks_parameters(fake_aws: dict[str, str]) -> None:
    assert deploy(fake_aws, SENDER="cfp@example.org").returncode == 0
    first = len(calls(fake_aws))

    result = deploy(fake_aws)

    assert result.returncode == 0, result.stderr
    update = calls(fake_aws)[first:]
    assert not [c for c in update if c[:2] in (["s3", "mb"], ["ssm", "put-parameter"])]
    deploys = [c for c in update if c[:2] == ["cloudformation", "deploy"]]
    assert [overrides(d) for d in deploys] == [["Stage=prod"]]


def test_an_alarm_email_is_a_parameter_of_the_stack(fake_aws: dict[str, str]) -> None:
    result = deploy(fake_aws, SENDER="cfp@example.org", ALARM_EMAIL="ops@example.org")

    assert result.returncode == 0, result.stderr
    first = next(c for c in calls(fake_aws) if c[:2] == ["cloudformation", "deploy"])
    assert "AlarmEmail=ops@example.org" in overrides(first)


def test_a_new_stack_needs_a_sender(fake_aws: dict[str, str]) -> None:
    result = deploy(fake_aws)

    assert result.returncode == 1
    assert "a new stack needs SENDER=" in result.stderr
    assert not [c for c in calls(fake_aws) if c[0] in {"s3", "ssm"} or c[:2] == ["cloudformation", "deploy"]]


def test_a_first_deploy_cut_off_before_its_url_gets_it_on_the_next_run(fake_aws: dict[str, str]) -> None:
    cut_off = deploy(fake_aws | {"FAKE_AWS_FAIL_DEPLOY": "2"}, SENDER="cfp@example.org")
    assert cut_off.returncode != 0
    first = len(calls(fake_aws))

    result = deploy(fake_aws)

    assert result.returncode == 0, result.stderr
    deploys = [c for c in calls(fake_aws)[first:] if c[:2] == ["cloudformation", "deploy"]]
    assert [overrides(d) for d in deploys] == [["Stage=prod"], ["Stage=prod", "PublicUrl=" + ENDPOINT.rstrip("/")]]


def test_a_stack_left_by_a_failed_create_is_not_updated(fake_aws: dict[str, str]) -> None:
    stacks = {"cfp-prod": {"status": "ROLLBACK_COMPLETE", "parameters": {}}}
    (Path(fake_aws["FAKE_AWS_HOME"]) / "state.json").write_text(json.dumps({"stacks": stacks}))

    result = deploy(fake_aws, SENDER="cfp@example.org")

    assert result.returncode == 1
    assert "ROLLBACK_COMPLETE" in result.stderr and "make destroy STAGE=prod" in result.stderr
    assert not [c for c in calls(fake_aws) if c[:2] == ["cloudformation", "deploy"]]


def test_an_unreachable_aws_is_not_taken_for_a_missing_stack(fake_aws: dict[str, str]) -> None:
    result = deploy(fake_aws | {"FAKE_AWS_UNREACHABLE": "1"}, SENDER="cfp@example.org")

    assert result.returncode == 1
    assert "cannot read the stack cfp-prod: Could not connect" in result.stderr
    assert not [c for c in calls(fake_aws) if c[0] in {"s3", "ssm"} or c[:2] == ["cloudformation", "deploy"]]


def test_destroy_stops_the_running_reviews_then_deletes_the_stack_its_secret_and_its_table(
    fake_aws: dict[str, str],
) -> None:
    running = ["arn:aws:states:eu-west-3:123456789012:execution:cfp-prod-review:a", "arn:…:cfp-prod-review:b"]
    stacks = {"cfp-prod": {"status": "UPDATE_COMPLETE", "parameters": {}}}
    state = {"stacks": stacks, "running": running, "tables": ["cfp-prod-applications"]}
    (Path(fake_aws["FAKE_AWS_HOME"]) / "state.json").write_text(json.dumps(state))

    result = subprocess.run(
        ["bash", str(PROJECT / "deploy" / "destroy.sh")], env=fake_aws, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    # A running execution would hold the state machine, and its name, in DELETING.
    assert [c[:2] for c in calls(fake_aws)] == [
        ["cloudformation", "describe-stacks"],
        ["stepfunctions", "list-executions"],
        ["stepfunctions", "stop-execution"],
        ["stepfunctions", "stop-execution"],
        ["cloudformation", "delete-stack"],
        ["cloudformation", "wait"],
        ["ssm", "delete-parameter"],
        ["dynamodb", "describe-table"],
        ["dynamodb", "delete-table"],
        ["dynamodb", "wait"],
    ]
    stopped = [
        c[c.index("--execution-arn") + 1] for c in calls(fake_aws) if c[:2] == ["stepfunctions", "stop-execution"]
    ]
    assert stopped == running
    # The README says the same: the table goes with the stage, and DynamoDB keeps its last state 35 days.
    assert "with its table cfp-prod-applications" in result.stderr
    assert "make restore STAGE=prod BACKUP=" in result.stderr and "--backup-type SYSTEM" in result.stderr
    readme = (PROJECT / "README.md").read_text()
    assert "make restore STAGE=dev BACKUP=" in readme and "35 days" in readme


def test_plain_http_links_are_refused_before_anything_is_made(fake_aws: dict[str, str]) -> None:
    result = deploy(fake_aws, SENDER="cfp@example.org", PUBLIC_URL="http://cfp.example.org")

    assert result.returncode == 1
    assert "PUBLIC_URL=http://cfp.example.org: a deployed stage's links must start with https://" in result.stderr
    assert not (Path(fake_aws["FAKE_AWS_HOME"]) / "calls.json").exists()


def test_api_gateway_gets_a_role_for_its_logs_once_per_account(fake_aws: dict[str, str]) -> None:
    """The API's access log needs API Gateway's CloudWatch Logs role, an account setting: set if none is."""
    assert deploy(fake_aws | {"IAM_WAIT_SECONDS": "0"}, SENDER="cfp@example.org").returncode == 0
    made = [c for c in calls(fake_aws) if c[0] in {"iam", "apigateway"} and c[1] != "get-account"]
    assert [c[:2] for c in made] == [
        ["iam", "get-role"],
        ["iam", "create-role"],
        ["iam", "attach-role-policy"],
        ["apigateway", "update-account"],
    ]
    assert made[2][-1] == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    first = len(calls(fake_aws))

    assert deploy(fake_aws | {"STAGE": "dev"}, SENDER="cfp@example.org").returncode == 0
    assert [c[:2] for c in calls(fake_aws)[first:] if c[0] in {"iam", "apigateway"}] == [["apigateway", "get-account"]]
