"""Builds each service once per process from the settings and the AWS clients.

Modules that import boto3 are imported on first use, so rendering the form never loads it.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from chalicelib import aws
from chalicelib.call import Call, load_call
from chalicelib.links import Links
from chalicelib.settings import SettingsError, settings

if TYPE_CHECKING:
    from chalicelib.applications import Submissions
    from chalicelib.review import ReviewDesk
    from chalicelib.storage import ApplicationStore
    from chalicelib.tasks import TaskWorker
    from chalicelib.workflow import Workflow


@cache
def call() -> Call:
    current = settings()
    return load_call(current.call_file, current.call_deadline, current.call_sender, current.call_organisers)


@cache
def link_secret() -> str:
    """The key that signs links: from the environment, or read once per cold start from SSM."""
    current = settings()
    if current.link_secret:
        return current.link_secret
    from botocore.exceptions import ClientError

    name = str(current.link_secret_parameter)
    try:
        return aws.ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise SettingsError(f"cannot read the link secret from the SSM parameter {name}: {code or exc}") from exc


@cache
def links() -> Links:
    # A link stays valid a day past the review window; the workflow decides what it may still do.
    return Links(link_secret(), settings().public_url, call().review_window + timedelta(days=1))


@cache
def store() -> ApplicationStore:
    from chalicelib.storage import ApplicationStore

    return ApplicationStore(aws.dynamodb(), settings().table_name)


@cache
def workflow() -> Workflow:
    from chalicelib.workflow import Workflow

    return Workflow(aws.stepfunctions(), settings().state_machine_arn)


@cache
def submissions() -> Submissions:
    from chalicelib.applications import Submissions

    return Submissions(store(), call())


@cache
def review_desk() -> ReviewDesk:
    from chalicelib.review import ReviewDesk

    return ReviewDesk(store(), workflow(), links(), call())


@cache
def task_worker() -> TaskWorker:
    from chalicelib.mailer import Mailer
    from chalicelib.tasks import TaskWorker

    return TaskWorker(store(), Mailer(aws.sesv2(), call().sender), workflow(), links(), call())


def reset() -> None:
    """Forget every built service and the settings (tests change the environment)."""
    for built in (
        call,
        link_secret,
        links,
        store,
        workflow,
        submissions,
        review_desk,
        task_worker,
        settings,
        load_call,
    ):
        built.cache_clear()
    aws.reset()
