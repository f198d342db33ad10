"""The table's keys, built and read by chalicelib/stores/table.py alone; and the two places that cannot import it
(the stream's filter in infra/resources.json, a policy's leading keys in .chalice/) agree with it. Fast: no AWS."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

from chalicelib.stores.table import (
    ANSWER,
    APPLICATION,
    EMAIL,
    SLOTS,
    VOTE,
    WAIT,
    application_id_of,
    application_key,
    call_key,
    call_partition,
    email_marker,
    email_sort_key,
    item_kind,
    rate_key,
    revocation_key,
    vote_sort_key,
    waitlist_key,
    waitlist_sort_key,
)
from tests.support import PROJECT


def test_the_stream_handler_reads_the_id_of_a_new_application_and_of_nothing_else() -> None:
    records = json.loads((PROJECT / "tests" / "events" / "dynamodb_stream.json").read_text())["Records"]
    read = [application_id_of(record["dynamodb"]["Keys"]) for record in records]
    assert read == ["fixtureapplication0001", "fixtureapplication0002", None]  # the third is a DECISION item
    assert application_id_of(application_key("ada")) == "ada"
    assert application_id_of(application_key("ada", vote_sort_key(0))) is None
    assert application_id_of(call_key("ada", APPLICATION)) is None
    assert application_id_of({}) is None


def test_each_item_of_an_application_is_told_apart_by_its_sort_key() -> None:
    marker = email_sort_key(email_marker("decline", 0), "ada@example.org")
    assert [item_kind(k) for k in (APPLICATION, vote_sort_key(2), WAIT, ANSWER, marker)] == [
        APPLICATION,
        VOTE,
        WAIT,
        ANSWER,
        EMAIL,
    ]
    # The address is hashed out of the key; its case does not make a second marker.
    assert "ada" not in marker and marker == email_sort_key(email_marker("decline", 0), "Ada@Example.org")


def _values(document: Any, name: str) -> Iterator[Any]:
    """Every value of `name` in a JSON document, at any depth."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == name:
                yield value
            yield from _values(value, name)
    elif isinstance(document, list):
        for value in document:
            yield from _values(value, name)


def test_the_stream_s_filter_passes_the_items_the_handler_reads() -> None:
    resources = json.loads((PROJECT / "infra" / "resources.json").read_text())
    [pattern] = [json.loads(f["Pattern"]) for c in _values(resources, "FilterCriteria") for f in c["Filters"]]
    assert pattern["dynamodb"]["Keys"]["sk"]["S"] == [APPLICATION]


def test_the_stream_function_s_policy_reaches_the_call_s_partition() -> None:
    """The stream's function reads and keeps a call's settings, and nothing else, under CALL#<call id>: each of
    its statements on the table (the read, and the write of the settings and their expiry) is held to it."""
    policy = json.loads((PROJECT / ".chalice" / "policy-start-review.json").read_text())
    for leading in _values(policy, "dynamodb:LeadingKeys"):
        assert [pattern.removesuffix("*") for pattern in leading] == [call_partition("")["S"]]


def test_every_policy_s_leading_keys_name_partitions_the_table_builds() -> None:
    """A policy's dynamodb:LeadingKeys (README, "Who may write what") each match a partition of stores/table.py."""
    partitions = [
        key["pk"]["S"]
        for key in (
            application_key("a"),
            call_key("c", SLOTS),
            waitlist_key("c", waitlist_sort_key("2024-05-20T09:30:00+00:00", "a")),
            rate_key("email", "c", "ada@example.org", 3600),
            revocation_key("ada@example.org"),
        )
    ]
    documents = [json.loads(path.read_text()) for path in (PROJECT / ".chalice").glob("policy-*.json")]
    documents.append(json.loads((PROJECT / "infra" / "resources.json").read_text()))
    patterns = {
        pattern
        for document in documents
        for leading in _values(document, "dynamodb:LeadingKeys")
        for pattern in leading
    }
    assert len(patterns) == 5
    for pattern in patterns:
        assert [p for p in partitions if fnmatch.fnmatchcase(p, pattern)], pattern
