"""Builds each service once per process from the settings and the AWS clients; a service that serves one
call (the form's submissions) once per call.

Modules that import boto3, pydantic or itsdangerous are imported on first use, so rendering the
form never loads them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from chalicelib import aws
from chalicelib.call import Call, Calls, UnknownCall, load_calls
from chalicelib.settings import PUBLIC_URL, SettingsError, settings

if TYPE_CHECKING:
    from chalicelib.applications import ApplicantLinks, Erasure, Submissions, Verifications, Withdrawals
    from chalicelib.attendance import AttendanceDesk
    from chalicelib.callbacks import Callbacks
    from chalicelib.correspondence import Correspondence
    from chalicelib.email_events import EmailEvents
    from chalicelib.links import LinkLifetimes, Links
    from chalicelib.overview import OverviewDesk
    from chalicelib.review import ReviewDesk
    from chalicelib.stores.applications import ApplicationStore
    from chalicelib.stores.callbacks import CallbackStore
    from chalicelib.stores.calls import CallRecords
    from chalicelib.stores.emails import EmailMarkers
    from chalicelib.stores.erasure import ErasureStore
    from chalicelib.stores.rates import RateLimits
    from chalicelib.stores.revocations import RevocationStore
    from chalicelib.stores.slots import SlotStore
    from chalicelib.stores.votes import VoteStore
    from chalicelib.tasks import TaskWorker
    from chalicelib.workflow import Workflow


@cache
def calls() -> Calls:
    """Every call of the call files, read once per process."""
    current = settings()
    return load_calls(current.call_overrides, current.call_file, current.call_sender, current.call_organisers)


def call(call_id: str | None = None) -> Call:
    """The call of this id (the default call's for None): from its file, or, once its file was removed,
    closed, as the table keeps it until its data is deleted. Raises UnknownCall."""
    if call_id is None:
        return calls().default
    try:
        return calls().of(call_id)
    except UnknownCall:
        removed = _removed_call(call_id)
    if removed is None:
        raise UnknownCall(call_id)
    return removed


# Misses are kept too (a call that has no file and no record gets neither within a process), so that the
# same unknown address asked again, by a crawler say, reads nothing; bounded, since anyone can ask.
@lru_cache(maxsize=256)
def _removed_call(call_id: str) -> Call | None:
    return call_records().removed_call(call_id)


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
        raise SettingsError(
            f"cannot read the link secret from the SSM parameter {name}: {aws.error_code(exc) or exc}"
        ) from exc


def link_lifetimes(call_id: str | None) -> LinkLifetimes:
    """How long the links of a call last: they outlive its windows by a day; the workflow decides what
    they may still do."""
    from chalicelib.links import OVERVIEW_LINK_LIFETIME, LinkLifetimes

    grace = timedelta(days=1)
    current = call(call_id)
    return LinkLifetimes(
        review=current.review_window + grace,
        attendance=timedelta(hours=current.waitlist_window_hours + current.confirmation_window_hours) + grace,
        overview=OVERVIEW_LINK_LIFETIME,
        verification=timedelta(hours=current.verification_window_hours) + grace,
        status=timedelta(days=current.retention_days) + grace,
    )


@cache
def links() -> Links:
    from chalicelib.links import Links

    public_url = settings().public_url
    if not public_url:
        raise SettingsError(f"{PUBLIC_URL} is not set: emailed links need the app's public URL (make deploy sets it)")
    return Links(link_secret(), public_url, link_lifetimes)


# The stores: one table, one store per concern (chalicelib/stores/).


@cache
def applications() -> ApplicationStore:
    from chalicelib.stores.applications import ApplicationStore

    return ApplicationStore(aws.dynamodb(), settings().table_name)


@cache
def votes() -> VoteStore:
    from chalicelib.stores.votes import VoteStore

    return VoteStore(aws.dynamodb(), settings().table_name)


@cache
def callback_store() -> CallbackStore:
    from chalicelib.stores.callbacks import CallbackStore

    return CallbackStore(aws.dynamodb(), settings().table_name)


@cache
def slots() -> SlotStore:
    from chalicelib.stores.slots import SlotStore

    return SlotStore(aws.dynamodb(), settings().table_name)


@cache
def rate_limits() -> RateLimits:
    from chalicelib.stores.rates import RateLimits

    return RateLimits(aws.dynamodb(), settings().table_name)


@cache
def email_markers() -> EmailMarkers:
    from chalicelib.stores.emails import EmailMarkers

    return EmailMarkers(aws.dynamodb(), settings().table_name)


@cache
def revocations() -> RevocationStore:
    from chalicelib.stores.revocations import RevocationStore

    return RevocationStore(aws.dynamodb(), settings().table_name, calls().default_id)


@cache
def call_records() -> CallRecords:
    from chalicelib.stores.calls import CallRecords

    return CallRecords(aws.dynamodb(), settings().table_name)


@cache
def erasure_store() -> ErasureStore:
    from chalicelib.stores.erasure import ErasureStore

    return ErasureStore(aws.dynamodb(), settings().table_name)


# The services.


@cache
def workflow() -> Workflow:
    from chalicelib.workflow import Workflow

    return Workflow(aws.stepfunctions(), settings().state_machine_arn)


@cache
def callbacks() -> Callbacks:
    from chalicelib.callbacks import Callbacks

    return Callbacks(callback_store(), workflow())


@cache
def submissions(call_id: str) -> Submissions:
    """The form of one call."""
    from chalicelib.applications import Submissions

    # The link secret is read only for an application that carries a smoke test's marker.
    return Submissions(
        applications(),
        rate_limits(),
        call(call_id),
        is_smoke_marker=lambda token, of, title: links().is_smoke_marker(token, of, title),
    )


@cache
def applicant_links() -> ApplicantLinks:
    from chalicelib.applications import ApplicantLinks

    return ApplicantLinks(applications(), links())


@cache
def withdrawals() -> Withdrawals:
    from chalicelib.applications import Withdrawals

    return Withdrawals(applications(), callbacks(), call)


@cache
def erasure() -> Erasure:
    from chalicelib.applications import Erasure

    return Erasure(applications(), erasure_store(), withdrawals())


@cache
def verifications() -> Verifications:
    from chalicelib.applications import Verifications

    return Verifications(callbacks())


@cache
def review_desk() -> ReviewDesk:
    from chalicelib.review import ReviewDesk

    return ReviewDesk(applications(), votes(), callbacks(), links(), call, revocations())


@cache
def attendance_desk() -> AttendanceDesk:
    from chalicelib.attendance import AttendanceDesk

    return AttendanceDesk(applications(), callback_store(), callbacks(), links(), call)


@cache
def overview_desk() -> OverviewDesk:
    from chalicelib.overview import OverviewDesk

    return OverviewDesk(applications(), slots(), links(), calls(), revocations())


@cache
def correspondence() -> Correspondence:
    from chalicelib.clock import utc_now
    from chalicelib.correspondence import Correspondence
    from chalicelib.mailer import Mailer

    # Each email goes out in the name of its application's call; the default call's is only a fallback.
    mailer = Mailer(aws.sesv2(), call().sender, settings().email_configuration_set)
    return Correspondence(email_markers(), mailer, links(), call, utc_now)


@cache
def email_events() -> EmailEvents:
    from chalicelib.clock import utc_now
    from chalicelib.email_events import EmailEvents

    return EmailEvents(applications(), correspondence(), call, utc_now)


@cache
def task_worker() -> TaskWorker:
    from chalicelib.tasks import TaskWorker, WorkerStores

    stores = WorkerStores(applications(), callback_store(), slots())
    return TaskWorker(stores, correspondence(), workflow(), links(), call)


def reset() -> None:
    """Forget every built service and the settings (tests change the environment)."""
    # Every @cache'd builder of this module, and the ones it imports (settings, load_calls).
    for built in list(globals().values()):
        if callable(built) and hasattr(built, "cache_clear"):
            built.cache_clear()
    aws.reset()
