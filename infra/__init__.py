"""The infrastructure: the deploy template, and the workflow definition and its builder.

Where its files are, declared once for the packaging, the local run, the builder and the tests; importing
this package imports nothing else."""

from __future__ import annotations

from pathlib import Path

INFRA = Path(__file__).resolve().parent
# The deploy template that `chalice package` merges, and the workflow definition its state machine names.
RESOURCES = INFRA / "resources.json"
DEFINITION = INFRA / "review.asl.json"


def definition_text(location: str) -> str:
    """The ASL file that a state machine's `DefinitionS3Location` names (a file in infra/), as written."""
    return (INFRA / location).read_text(encoding="utf-8")
