"""A Mermaid picture of the workflow, drawn from its definition (GitHub renders it): docs/workflow.md."""

from __future__ import annotations

from typing import Any

# How each kind of state is drawn: tasks that wait on a person are stadiums, decisions rhombi.
SHAPES = {
    "Choice": ("{", "}"),
    "Wait": ("[/", "/]"),
    "Succeed": ("([", "])"),
    "Fail": ("[[", "]]"),
    "Pass": ("[", "]"),
}
WAITS_ON_A_PERSON = ("(", ")")
TASK = ("[", "]")


def markdown(workflow: dict[str, Any]) -> str:
    lines = [
        "# The review workflow",
        "",
        "Drawn from `infra/review.asl.json` by `make workflow` (its source is `infra/workflow.py`); "
        "`make test` fails when this picture is older than the definition.",
        "",
        "Rounded boxes wait for a person or another application (a vote, a click, a freed slot); square "
        "boxes are the worker's emails and the workflow's own writes; rhombi decide; double-edged boxes end "
        "in failure. Dotted arrows are caught errors.",
        "",
        "```mermaid",
        *flowchart(workflow),
        "```",
        "",
    ]
    return "\n".join(lines)


def flowchart(workflow: dict[str, Any]) -> list[str]:
    lines = ["flowchart TD", f"  start((start)) --> {workflow['StartAt']}"]
    lines += _states(workflow["States"], "  ")
    return lines


def _states(states: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for name, state in states.items():
        lines.append(f"{indent}{name}{_shape(name, state)}")
        if state["Type"] == "Parallel":
            for number, branch in enumerate(state["Branches"], 1):
                lines.append(f"{indent}subgraph {name}{number} [{name}: branch {number}]")
                lines += _states(branch["States"], indent + "  ")
                lines.append(f"{indent}end")
                lines.append(f"{indent}{name} --> {branch['StartAt']}")
        lines += [f"{indent}{edge}" for edge in _edges(name, state)]
    return lines


def _shape(name: str, state: dict[str, Any]) -> str:
    kind = state["Type"]
    label = "<br/>".join(part for part in (f"<b>{name}</b>", _label(state)) if part)
    if kind == "Task":
        # A task retried on its own timeout is an email; one whose timeout is caught waits for someone.
        retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
        waits = "task" in state.get("Parameters", {}).get("MessageBody", {}) and "States.Timeout" not in retried
        opening, closing = WAITS_ON_A_PERSON if waits else TASK
    else:
        opening, closing = SHAPES.get(kind, TASK)
    return f'{opening}"{label}"{closing}'


def _label(state: dict[str, Any]) -> str:
    """What the state does, in a word or two: its task, or what it writes."""
    parameters = state.get("Parameters", {})
    message = parameters.get("MessageBody", {})
    parts: list[str] = []
    if "task" in message:
        parts.append(f"task: {message['task']}")
        recorded = message.get("record", {})
        if recorded:
            parts.append(" · ".join(v for v in (recorded.get("status"), recorded.get("event")) if v))
    elif "UpdateExpression" in parameters:
        values = parameters.get("ExpressionAttributeValues", {})
        status = values.get(":status", {}).get("S")
        event = values.get(":event", {}).get("L", [{}])[0].get("M", {}).get("event", {}).get("S")
        parts.append(" · ".join(v for v in (status, event) if v) or parameters["UpdateExpression"])
    elif state["Type"] == "Fail":
        parts.append(state["Error"])
    return "<br/>".join(parts).replace('"', "'")


def _edges(name: str, state: dict[str, Any]) -> list[str]:
    edges: list[str] = []
    if "Next" in state:
        edges.append(f"{name} --> {state['Next']}")
    for rule in state.get("Choices", []):
        edges.append(f"{name} -->|{_condition(rule)}| {rule['Next']}")
    if "Default" in state:
        edges.append(f"{name} -->|otherwise| {state['Default']}")
    for caught in state.get("Catch", []):
        errors = ", ".join(e.removeprefix("States.").removeprefix("DynamoDB.") for e in caught["ErrorEquals"])
        edges.append(f"{name} -.->|{errors}| {caught['Next']}")
    return edges


def _condition(rule: dict[str, Any]) -> str:
    variable = str(rule["Variable"]).removeprefix("$.")
    for operator, word in (
        ("NumericGreaterThanEqualsPath", "≥"),
        ("NumericLessThanPath", "<"),
        ("BooleanEquals", "="),
        ("StringEquals", "="),
        ("IsPresent", "present:"),
    ):
        if operator in rule:
            value = str(rule[operator]).removeprefix("$.")
            return f"{variable} {word} {value}".replace('"', "'")
    return variable
