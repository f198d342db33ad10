"""What IAM would decide about a DynamoDB request under one of the stack's policies: moto enforces no IAM.

Only what the stack's policies use is evaluated, as AWS documents it ("Using IAM policy conditions for
fine-grained access control", DynamoDB developer guide):
- `dynamodb:LeadingKeys`, the partition key values a request names (its Key, its Item, each key of a batch,
  the `pk = :value` of a query);
- `dynamodb:Attributes`, the top-level attribute names a request names: its key and item, and every name in
  its expressions (update, condition, projection, key condition), `#placeholders` resolved. This reads
  more names than AWS may (it never reads fewer), so a request allowed here is allowed on AWS;
- `ForAllValues:` holds for a key the request gives no value for, `ForAnyValue:` does not;
- a resource is the table (`Fn::GetAtt ApplicationsTable.Arn`), its index or its streams, by name.
A transaction's items are each checked as the PutItem, UpdateItem or DeleteItem they are.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

TABLE = "table"
INDEX = "index/by_call"
STREAM = "stream"
# Words of DynamoDB's expressions that are not attribute names.
KEYWORDS = {
    "SET",
    "REMOVE",
    "ADD",
    "DELETE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "BETWEEN",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
    "if_not_exists",
    "list_append",
}
# A transaction's items, each checked as the action it is.
TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
EXPRESSIONS = ("UpdateExpression", "ConditionExpression", "ProjectionExpression", "KeyConditionExpression")


@dataclass(frozen=True)
class Request:
    """One DynamoDB action as IAM sees it: its action, its resource and its condition keys."""

    action: str
    resource: str = TABLE
    leading_keys: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()
    other_keys: dict[str, str] = field(default_factory=dict)

    def context(self, key: str) -> set[str]:
        if key == "dynamodb:LeadingKeys":
            return set(self.leading_keys)
        if key == "dynamodb:Attributes":
            return set(self.attributes)
        return {self.other_keys[key]} if key in self.other_keys else set()


def write(action: str, pk: str, *attributes: str, sk: str = "X") -> Request:
    """A hand-made write to the table: its partition key value and the attribute names it names."""
    del sk  # IAM never sees the sort key's value: no condition key holds it
    return Request(f"dynamodb:{action}", TABLE, frozenset({pk}), frozenset({"pk", "sk", *attributes}))


def requests(operation: str, params: dict[str, Any]) -> Iterator[Request]:
    """The IAM requests of one boto3 DynamoDB call ("dynamodb.UpdateItem", its parameters)."""
    name = operation.partition(".")[2]
    if name == "TransactWriteItems":
        for item in params["TransactItems"]:
            [(kind, inner)] = item.items()
            yield from requests(f"dynamodb.{TRANSACTION_ACTIONS[kind]}", inner)
        return
    if name == "BatchGetItem":
        for table in params["RequestItems"].values():
            keys = frozenset(key["pk"]["S"] for key in table["Keys"])
            yield Request("dynamodb:BatchGetItem", TABLE, keys, _names(table))
        return
    resource = INDEX if params.get("IndexName") else TABLE
    yield Request(f"dynamodb:{name}", resource, _leading_keys(params), _names(params))


def _leading_keys(params: dict[str, Any]) -> frozenset[str]:
    for source in ("Key", "Item"):
        if source in params:
            return frozenset({params[source]["pk"]["S"]})
    condition = params.get("KeyConditionExpression", "")
    match = re.match(r"\s*pk\s*=\s*(:\w+)", condition)
    if match:
        return frozenset({params["ExpressionAttributeValues"][match.group(1)]["S"]})
    return frozenset()


def _names(params: dict[str, Any]) -> frozenset[str]:
    placeholders: dict[str, str] = params.get("ExpressionAttributeNames", {})
    names = set(params.get("Key", {})) | set(params.get("Item", {})) | set(placeholders.values())
    for expression in EXPRESSIONS:
        for token in re.findall(r"(?<![:\w#])#?[A-Za-z_]\w*", params.get(expression, "")):
            if token not in KEYWORDS:
                names.add(placeholders.get(token, token))
    return frozenset(names)


def resource_of(target: object) -> str | None:
    """Which of the table's resources a statement's Resource names, or None (not the table's)."""
    if isinstance(target, dict) and target.get("Fn::GetAtt") == ["ApplicationsTable", "Arn"]:
        return TABLE
    if isinstance(target, dict) and isinstance(target.get("Fn::Sub"), str):
        text = target["Fn::Sub"]
        if text == "${ApplicationsTable.Arn}/index/by_call":
            return INDEX
        if text == "${ApplicationsTable.Arn}/stream/*":
            return STREAM
    return None


def allows(policy: dict[str, Any], request: Request) -> bool:
    """Whether one of the policy's Allow statements lets `request` through (the stack's policies deny nothing)."""
    return any(_matches(statement, request) for statement in policy["Statement"] if statement["Effect"] == "Allow")


def _matches(statement: dict[str, Any], request: Request) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    if request.action not in actions or request.resource not in {resource_of(t) for t in targets}:
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            if not _holds(operator, request.context(key), wanted if isinstance(wanted, list) else [wanted]):
                return False
    return True


def _holds(operator: str, values: set[str], wanted: list[str]) -> bool:
    qualifier, _, test = operator.rpartition(":")
    if_exists = test.endswith("IfExists")
    test = test.removesuffix("IfExists")
    if test == "StringLike":
        matches = [any(fnmatch.fnmatchcase(value, pattern) for pattern in wanted) for value in values]
    elif test == "StringEquals":
        matches = [value in wanted for value in values]
    else:
        raise NotImplementedError(f"the tests do not evaluate {operator}")
    if qualifier == "ForAllValues":
        return all(matches)
    if qualifier == "ForAnyValue":
        return any(matches)
    return (if_exists and not values) or (len(values) == 1 and all(matches))
