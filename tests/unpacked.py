"""The deployment zip as Lambda runs it: unpacked read-only (bench.common.unpacked_read_only), and a fresh Python
with -B that writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib.settings import CALL_FILE, CALL_ORGANISERS, CALL_OVERRIDES, CALL_SENDER

# What each script run by run_from() starts with: ROOT, serve_the_form() (the default call's, at
# /ow2con24-ospo-heroes/), serve_the_calls() (the root page) and report().
PREAMBLE = """
import json, os, sys
ROOT = os.getcwd()

def get(resource, path, parameters):
    return {"resource": resource, "path": path, "httpMethod": "GET", "headers": {"Accept": "text/html"},
            "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": parameters, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": resource, "httpMethod": "GET", "path": "/api" + path,
                               "stage": "api", "identity": {"sourceIp": "127.0.0.1"}}}

def serve_the_form():
    from app import app
    return app(get("/{call_id}", "/ow2con24-ospo-heroes/", {"call_id": "ow2con24-ospo-heroes"}), None)

def serve_the_calls():
    from app import app
    return app(get("/", "/", None), None)

def report(found):
    print(json.dumps(found))
"""


# The prod stage's call settings, as its template gives them to the functions (.chalice/config.json).
PROD_CALL = {
    name: value
    for name, value in json.loads((Path(__file__).resolve().parent.parent / ".chalice" / "config.json").read_text())[
        "stages"
    ]["prod"]["environment_variables"].items()
    if name in {CALL_FILE, CALL_OVERRIDES}
}


def run_from(root: Path, script: str, **environment: str) -> dict[str, Any]:
    """Run `script` after PREAMBLE from `root`, with the call as the prod stage deploys it (its file, its
    overrides: those `make package STAGE=prod` validated); returns what it reported."""
    deployed = {k: v for k, v in os.environ.items() if k not in {CALL_FILE, CALL_OVERRIDES, CALL_ORGANISERS}}
    deployed |= {CALL_SENDER: "cfp@example.org", "PYTHONPATH": str(root)} | PROD_CALL | environment
    result = subprocess.run(
        [sys.executable, "-B", "-c", PREAMBLE + script],
        cwd=root,
        env=deployed,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    reported: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return reported
