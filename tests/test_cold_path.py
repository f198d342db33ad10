"""The form is served without boto3: what keeps the cold start small (bench/cold_start.py times it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

FIRST_FORM = """
import json, sys
from app import app
event = {"resource": "/", "path": "/", "httpMethod": "GET", "headers": {"Accept": "text/html"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/", "httpMethod": "GET", "path": "/api/", "stage": "api",
                            "identity": {"sourceIp": "127.0.0.1"}}}
response = app(event, None)
print(json.dumps({"status": response["statusCode"],
                  "loaded": sorted(m for m in ("boto3", "botocore", "icalendar") if m in sys.modules)}))
"""


def test_a_fresh_process_serves_the_form_without_loading_boto3() -> None:
    env = os.environ | {"PYTHONPATH": str(PROJECT)}
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FORM], cwd=PROJECT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": 200, "loaded": []}
