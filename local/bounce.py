"""Replays what SES sends when an email bounces, or its reader marks it as spam, on the local run.

    make bounce REF=<reference> [KIND=complaint]      # or: python -m local.bounce <reference> [--complaint]

The notification is SES's own shape (an event of the configuration set), published on the stack's
email events topic in the emulator; the local event-source runner hands it to the same
`record_email_events` handler that the topic invokes on AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from chalicelib import aws
from chalicelib.stores.table import application_from_item, application_key
from deploy.stack import NoStack, stack_outputs
from local.emulator import aws_environment, run_endpoint


def notification(application_id: str, address: str, kind: str = "bounce") -> dict[str, Any]:
    """An SES event about one email of the application, as the configuration set publishes it."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    mail = {
        "timestamp": now,
        "source": "cfp@ow2con.example",
        "messageId": "0100018f-local-replay",
        "destination": [address],
        "tags": {"application": [application_id], "email": ["acknowledge"], "ses:configuration-set": ["cfp-local"]},
    }
    if kind == "complaint":
        return {
            "eventType": "Complaint",
            "mail": mail,
            "complaint": {
                "complainedRecipients": [{"emailAddress": address}],
                "timestamp": now,
                "feedbackId": "local-replay",
                "complaintFeedbackType": "abuse",
            },
        }
    return {
        "eventType": "Bounce",
        "mail": mail,
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": now,
            "feedbackId": "local-replay",
        },
    }


def publish(topic_arn: str, body: dict[str, Any]) -> str:
    message_id: str = aws.client("sns").publish(TopicArn=topic_arn, Message=json.dumps(body))["MessageId"]
    return message_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("reference", help="the application's reference (on its status page and in the outbox)")
    parser.add_argument("--complaint", action="store_true", help="a complaint instead of a permanent bounce")
    parser.add_argument("--stage", default="local")
    arguments = parser.parse_args(argv)
    os.environ.update(aws_environment(run_endpoint()))
    try:
        outputs = stack_outputs(arguments.stage)
    except NoStack:
        outputs = {}
    except Exception as exc:  # the emulator is not running: say so, not a traceback
        print(
            f"✗ no emulator answers on {os.environ['AWS_ENDPOINT_URL']}: start `make run` first ({type(exc).__name__})"
        )
        return 1
    topic, table = outputs.get("EmailEventsTopicArn"), outputs.get("TableName")
    key = application_key(arguments.reference)
    item = aws.dynamodb().get_item(TableName=table, Key=key).get("Item") if table else None
    if topic is None or item is None:
        print(
            f"✗ no application {arguments.reference} in the {arguments.stage} run: copy its reference from the outbox"
        )
        return 1
    application = application_from_item(item)
    kind = "complaint" if arguments.complaint else "bounce"
    publish(topic, notification(application.id, application.email, kind))
    print(f"✓ a {kind} for {application.email} ({application.id}) is on its way: see the outbox and the overview")
    return 0


if __name__ == "__main__":
    sys.exit(main())
