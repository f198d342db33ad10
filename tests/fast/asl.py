"""The committed workflow definition (infra/review.asl.json), run one state at a time, without a state machine.

- `choose(state, input)`: which state a Choice goes to, by its own rules.
- `write(state, input, client, table)`: a DynamoDB task's very updateItem, its `Parameters` resolved
  against the input as Step Functions resolves them, performed on the table; returns the next state,
  or the state its `Catch` names for the error DynamoDB answered.
- `message(state, input, token)`: the message a queue task state puts on the task queue.

Only what the definition uses is understood: JSONPath as `$.a.b`, `$$.State.EnteredTime` and
`$$.Task.Token`, the intrinsics `States.Array` and `States.MathAdd`, `${TableName}`, and the
comparisons of its Choice states. Anything else raises,
so a definition that grows past this helper fails its test instead of passing it by accident.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

import infra

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

State = dict[str, Any]
DEFINITION: dict[str, Any] = json.loads(infra.DEFINITION.read_text())
ENTERED_TIME = "2024-05-20T09:30:00.000Z"


class NotUnderstood(Exception):
    """The definition uses something this helper does not evaluate."""


class Missing:
    """A path that selects nothing."""


MISSING = Missing()


def states(definition: dict[str, Any] = DEFINITION) -> dict[str, State]:
    """Every state, those inside Parallel branches too."""
    found: dict[str, State] = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found |= states(branch)
    return found


def state(name: str) -> State:
    return states()[name]


def select(path: str, document: Any, context: dict[str, Any]) -> Any:
    """A reference path: `$`, `$.a.b`, or `$$.a.b` into the context object."""
    root, _, rest = path.partition(".")
    if root == "$$":
        found: Any = context
    elif root == "$":
        found = document
    else:
        raise NotUnderstood(path)
    for field in rest.split(".") if rest else []:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", field):
            raise NotUnderstood(path)
        if not isinstance(found, dict) or field not in found:
            return MISSING
        found = found[field]
    return found


def _value(expression: str, document: Any, context: dict[str, Any]) -> Any:
    """The value of a `.$` field: a path or an intrinsic function."""
    intrinsic = re.fullmatch(r"States\.(\w+)\((.*)\)", expression)
    if intrinsic is None:
        value = select(expression, document, context)
        if value is MISSING:
            raise KeyError(f"{expression} selects nothing in the input")  # States.Runtime on AWS
        return value
    function, arguments = intrinsic.groups()
    values = [_argument(argument.strip(), document, context) for argument in arguments.split(",")]
    if function == "Array":
        return values
    if function == "MathAdd" and len(values) == 2 and all(isinstance(v, int) for v in values):
        return values[0] + values[1]
    raise NotUnderstood(f"States.{function}")


def _argument(argument: str, document: Any, context: dict[str, Any]) -> Any:
    """An intrinsic's argument: a path, or a number written out."""
    return int(argument) if re.fullmatch(r"-?[0-9]+", argument) else _value(argument, document, context)


def resolve(parameters: Any, document: Any, substitutions: dict[str, str], task_token: str = "") -> Any:
    """`Parameters` as Step Functions passes them on: `.$` fields filled in, `${...}` substituted."""
    context = {"State": {"EnteredTime": ENTERED_TIME}, "Task": {"Token": task_token}}
    if isinstance(parameters, dict):
        resolved: dict[str, Any] = {}
        for key, value in parameters.items():
            if key.endswith(".$"):
                resolved[key.removesuffix(".$")] = _value(value, document, context)
            else:
                resolved[key] = resolve(value, document, substitutions, task_token)
        return resolved
    if isinstance(parameters, list):
        return [resolve(value, document, substitutions, task_token) for value in parameters]
    if isinstance(parameters, str):
        for name, value in substitutions.items():
            parameters = parameters.replace("${" + name + "}", value)
        if "${" in parameters:
            raise NotUnderstood(parameters)
    return parameters


def caught(task: State, error: str) -> str:
    """The state a task's Catch sends this error to; the error itself if nothing catches it."""
    for rule in task.get("Catch", []):
        if error in rule["ErrorEquals"] or "States.ALL" in rule["ErrorEquals"]:
            return str(rule["Next"])
    raise AssertionError(f"nothing catches {error}")


def write(name: str, document: dict[str, Any], client: DynamoDBClient, table: str) -> str:
    """Perform the DynamoDB task `name` as Step Functions would; the state it goes to next."""
    task = state(name)
    if task.get("Resource") != "arn:aws:states:::dynamodb:updateItem":
        raise NotUnderstood(f"{name} is not a dynamodb:updateItem task")
    parameters = resolve(task["Parameters"], document, {"TableName": table})
    try:
        client.update_item(**parameters)
    except ClientError as exc:
        # The service integration names DynamoDB's errors `DynamoDB.<code>`.
        return caught(task, f"DynamoDB.{exc.response['Error']['Code']}")
    return str(task["Next"])


def message(name: str, document: dict[str, Any], task_token: str) -> dict[str, Any]:
    """The body of the message the task state `name` puts on the task queue, as the worker reads it."""
    task = state(name)
    if task.get("Resource") != "arn:aws:states:::sqs:sendMessage.waitForTaskToken":
        raise NotUnderstood(f"{name} is not a queue task")
    body: dict[str, Any] = resolve(task["Parameters"]["MessageBody"], document, {}, task_token)
    return body


# Choice states -------------------------------------------------------------------------------


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_KINDS: dict[str, Callable[[Any], bool]] = {
    "Numeric": _numeric,
    "String": lambda value: isinstance(value, str),
    "Boolean": lambda value: isinstance(value, bool),
}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}
_COMPARISON = re.compile(
    r"(Numeric|String|Boolean)(Equals|LessThan|LessThanEquals|GreaterThan|GreaterThanEquals)(Path)?"
)


def holds(rule: dict[str, Any], document: Any) -> bool:
    """Whether a Choice rule matches the input."""
    if "And" in rule:
        return all(holds(r, document) for r in rule["And"])
    if "Or" in rule:
        return any(holds(r, document) for r in rule["Or"])
    if "Not" in rule:
        return not holds(rule["Not"], document)
    variable = select(rule["Variable"], document, {})
    [(test, expected)] = [(key, value) for key, value in rule.items() if key not in ("Variable", "Next", "Comment")]
    if test == "IsPresent":
        return (variable is not MISSING) is expected
    comparison = _COMPARISON.fullmatch(test)
    if comparison is None or (comparison[1] == "Boolean" and comparison[2] != "Equals"):
        raise NotUnderstood(test)
    kind, relation, by_path = comparison.groups()
    if by_path:
        expected = select(expected, document, {})
    if variable is MISSING or expected is MISSING:
        raise KeyError(f"{rule['Variable']} or its comparand is missing")  # States.Runtime on AWS
    is_kind = _KINDS[kind]
    # A value of another type never matches.
    return is_kind(variable) and is_kind(expected) and _OPERATORS[relation](variable, expected)


def choose(name: str, document: dict[str, Any]) -> str:
    """The state the Choice `name` goes to for this input."""
    choice = state(name)
    if choice["Type"] != "Choice":
        raise NotUnderstood(f"{name} is not a Choice")
    for rule in choice["Choices"]:
        if holds(rule, document):
            return str(rule["Next"])
    if "Default" not in choice:
        raise AssertionError(f"{name} matches nothing (States.NoChoiceMatched)")
    return str(choice["Default"])
