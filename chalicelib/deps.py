"""Builds each service once per process from the settings and the AWS clients.

Modules that import boto3, pydantic or itsdangerous are imported on first use, so rendering the
form never loads them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from chalicelib import aws
from chalicelib.call import Call, load_call
from chalicelib.settings import PUBLIC_URL, SettingsError, settings

if TYPE_CHECKING:
    from chalicelib.applications import Erasure, Submissions, Verifications, Withdrawals
    from chalicelib.attendance import AttendanceDesk
    from chalicelib.callbacks import Callbacks
    from chalicelib.links import Links
    from chalicelib.overview import OverviewDesk
    from chalicelib.review import ReviewDesk
    from chalicelib.storage import ApplicationStore
    from chalicelib.tasks import TaskWorker
    from chalicelib.workflow import Workflow


@cache
def call() -> Call:
    current = settings()
    return load_call(current.call_file, current.call_overrides, current.call_sender, current.call_organisers)


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
    from chalicelib.links import LinkLifetimes, Links

    # Links outlive their window by a day; the workflow decides what they may still do.
    grace = timedelta(days=1)
    current = call()
    lifetimes = LinkLifetimes(
        review=current.review_window + grace,
        attendance=timedelta(hours=current.waitlist_window_hours + current.confirmation_window_hours) + grace,
        overview=timedelta(days=365),
        verification=timedelta(hours=current.verification_window_hours) + grace,
        status=timedelta(days=current.retention_days) + grace,
    )
    public_url = settings().public_url
    if not public_url:
        raise SettingsError(f"{PUBLIC_URL} is not set: emailed links need the app's public URL (make deploy sets it)")
    return Links(link_secret(), public_url, lifetimes)


@cache
def store() -> ApplicationStore:
    from chalicelib.storage import ApplicationStore

    return ApplicationStore(aws.dynamodb(), settings().table_name)


@cache
def workflow() -> Workflow:
    from chalicelib.workflow import Workflow

    return Workflow(aws.stepfunctions(), settings().state_machine_arn)


@cache
def callbacks() -> Callbacks:
    from chalicelib.callbacks import Callbacks

    return Callbacks(store(), workflow())


@cache
def submissions() -> Submissions:
    from chalicelib.applications import Submissions

    return Submissions(store(), call())


@cache
def withdrawals() -> Withdrawals:
    from chalicelib.applications import Withdrawals

    return Withdrawals(store(), callbacks())


@cache
def erasure() -> Erasure:
    from chalicelib.applications import Erasure

    return Erasure(store(), withdrawals())


@cache
def verifications() -> Verifications:
    from chalicelib.applications import Verifications

    return Verifications(callbacks())


@cache
def review_desk() -> ReviewDesk:
    from chalicelib.review import ReviewDesk

    return ReviewDesk(store(), callbacks(), links(), call())


@cache
def attendance_desk() -> AttendanceDesk:
    from chalicelib.attendance import AttendanceDesk

    return AttendanceDesk(store(), callbacks(), links())


@cache
def overview_desk() -> OverviewDesk:
    from chalicelib.overview import OverviewDesk

    return OverviewDesk(store(), links(), call())


@cache
def task_worker() -> TaskWorker:
    from chalicelib.mailer import Mailer
    from chalicelib.tasks import TaskWorker

    return TaskWorker(store(), Mailer(aws.sesv2(), call().sender), workflow(), links(), call())


def reset() -> None:
    """Forget every built service and the settings (tests change the environment)."""
    built = (call, link_secret, links, store, workflow, callbacks, submissions, withdrawals, erasure, verifications)
    for getter in (*built, review_desk, attendance_desk, overview_desk, task_worker, settings, load_call):
        getter.cache_clear()
    aws.reset()
