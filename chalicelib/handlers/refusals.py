"""What a person gets when a route raises a domain error: its status, its page or JSON, its words. One table,
applied to every route of the app (`answer_every_route`, in app.py), so that each handler keeps only the path
that succeeds. It wraps each route's view: Chalice's middleware never sees a view's error (Chalice answers it
with its own 500 first).

An error is registered by its module and class name: registering one imports nothing, so the form's cold
start still loads neither pydantic, boto3 nor itsdangerous. A subclass gets its nearest registered class's
refusal; an error the table does not name stays Chalice's 500. A refusal that needs more than the error (the
call and what was typed, the link's token) reads it again from the request: its address, its body.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice, Request, Response

from chalicelib import deps, logs
from chalicelib.handlers.applicants import applicant_page
from chalicelib.handlers.calls import call_form, known_call
from chalicelib.handlers.organisers import review_page
from chalicelib.handlers.speakers import speaker_page
from chalicelib.i18n import N_, minutes, moment, translate
from chalicelib.settings import settings
from chalicelib.web import (
    TOO_LARGE,
    address_kind,
    chosen_language,
    json_response,
    problem,
    read_fields,
    wants_json,
)

if TYPE_CHECKING:
    from chalicelib.applications import CallClosed, InvalidApplication, RateLimited
    from chalicelib.call import Call
    from chalicelib.i18n import Language
    from chalicelib.links import LinkError, LinkOfAnotherCall
    from chalicelib.models import InvalidFields
    from chalicelib.overview import InvalidQuery, NotTheirCall
    from chalicelib.stores.applications import CannotWithdraw
    from chalicelib.web import BadBody, BodyTooLarge

# A refusal: the request that failed and its error, answered.
Refusal = Callable[[Request, Any], Response]
# The table: each registered error's refusal, by "module.Class".
REFUSALS: dict[str, Refusal] = {}


def refusal(*errors: str) -> Callable[[Refusal], Refusal]:
    """Registers what a person gets for these errors, named "module.Class" (each may be named once)."""

    def register(answer: Refusal) -> Refusal:
        for name in errors:
            if name in REFUSALS:
                raise ValueError(f"{name} has a refusal already: {REFUSALS[name].__name__}")
            REFUSALS[name] = answer
        return answer

    return register


def refusal_of(error: BaseException) -> Refusal | None:
    """The refusal of the error's class, or of the nearest class it derives from that has one."""
    for kind in type(error).__mro__:
        answer = REFUSALS.get(f"{kind.__module__}.{kind.__qualname__}")
        if answer is not None:
            return answer
    return None


def answer_every_route(app: Chalice) -> None:
    """Every route of `app`, registered by its blueprints, answers the table's errors with their refusal."""
    for methods in app.routes.values():
        for route in methods.values():
            route.view_function = _answering(app, route.view_function)


def _answering(app: Chalice, view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def answered(**path: str) -> Any:
        try:
            return view(**path)
        except Exception as error:  # the table's, by name: matching by class would import what it names
            answer = refusal_of(error)
            if answer is None or app.current_request is None:
                raise
            return answer(app.current_request, error)

    return answered


def _token(request: Request) -> tuple[str, str]:
    """The call and the link of an address /{call_id}/<kind>/{token}."""
    parameters = request.uri_params or {}
    return parameters["call_id"], parameters["token"]


# Links -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkWords:
    """How a link of one kind that cannot be used is refused: its status, its title, and what is said once
    its application is gone (otherwise the link's error says why)."""

    status: int
    title: str
    gone: str


UNUSABLE = N_("This link cannot be used")
NO_SUCH_APPLICATION = N_("No such application.")
LINKS = {
    "thanks": LinkWords(404, UNUSABLE, NO_SUCH_APPLICATION),
    "status": LinkWords(404, N_("Status link not recognised"), N_("This application does not exist.")),
    "verify": LinkWords(400, UNUSABLE, NO_SUCH_APPLICATION),
    "review": LinkWords(
        400, N_("This review link cannot be used"), N_("This review link points to an application that does not exist.")
    ),
    "attendance": LinkWords(400, UNUSABLE, N_("This link points to an application that does not exist.")),
    "overview": LinkWords(400, N_("This overview link cannot be used"), NO_SUCH_APPLICATION),
}
ANOTHER_CALL = N_("This link belongs to another call")
ANOTHER_CALL_DETAIL = N_("It was sent for “%(call)s”: open it from the email it came in, at its own address.")


def link_words(request: Request) -> LinkWords:
    return LINKS.get(address_kind(request), LINKS["verify"])


@refusal("chalicelib.links.LinkError")
def _unusable_link(request: Request, error: LinkError) -> Response:
    """Not ours, cut, expired, or of an application of another call: the link's error says which."""
    words = link_words(request)
    return problem(request, words.status, words.title, str(error))


@refusal("chalicelib.links.LinkRevoked")
def _revoked_link(request: Request, error: LinkError) -> Response:
    return problem(request, 403, link_words(request).title, str(error))


@refusal("chalicelib.stores.table.ApplicationNotFound")
def _application_gone(request: Request, error: Exception) -> Response:
    words = link_words(request)
    return problem(request, words.status, words.title, words.gone)


@refusal("chalicelib.links.LinkOfAnotherCall")
def _another_call_s_link(request: Request, error: LinkOfAnotherCall) -> Response:
    """A good link opened at another call's address: refused, with the name of its own call."""
    language = chosen_language(request)
    call = known_call(error.call_id)
    title = call.in_language(language).title if call else error.call_id
    return problem(request, 404, ANOTHER_CALL, ANOTHER_CALL_DETAIL, language=language, call=title)


# Bodies ------------------------------------------------------------------------------------------------------

# A body over the limit, by what its address takes.
TOO_LARGE_TITLES = {
    "applications": N_("The application is too large"),
    "status": N_("The reason is too long"),
    "review": N_("The note is too long"),
}
UNREADABLE = N_("The request could not be read")


@refusal("chalicelib.web.BodyTooLarge")
def _too_large(request: Request, error: BodyTooLarge) -> Response:
    kind = address_kind(request)
    if kind == "applications":
        logs.event("submission_refused", reason="too_large")
    return problem(request, 413, TOO_LARGE_TITLES.get(kind, UNREADABLE), TOO_LARGE, limit=error.limit)


@refusal("chalicelib.web.BadBody")
def _unreadable(request: Request, error: BadBody) -> Response:
    return problem(request, 400, UNREADABLE, str(error))


@refusal("chalicelib.review.InvalidNote")
def _invalid_note(request: Request, error: InvalidFields) -> Response:
    return _one_field(request, N_("The note cannot be sent as it is"), error)


@refusal("chalicelib.applications.InvalidReason")
def _invalid_reason(request: Request, error: InvalidFields) -> Response:
    return _one_field(request, N_("The reason cannot be sent as it is"), error)


def _one_field(request: Request, title: str, error: InvalidFields) -> Response:
    """A form of one field: its error is the detail (already in the reader's language)."""
    [message] = error.errors.values()
    return problem(request, 422, title, message, errors=error.errors)


# The form ----------------------------------------------------------------------------------------------------

AUTOMATED = N_(
    "The field “Leave this empty” was filled in, which robots do. If you are a person, "
    "go back, empty that field and send the form again."
)
TOO_MANY_PER_ADDRESS = N_("Too many applications from this address. Please try again in %(wait)s.")
TOO_MANY_PER_EMAIL = N_("Too many applications for this email address. Please try again in %(wait)s.")
PLEASE_WAIT = N_("Please wait a little")


@dataclass(frozen=True)
class Typed:
    """A refused form as it was sent: its call, the language it was shown in, and the values typed."""

    call: Call
    language: Language
    values: dict[str, object]

    @classmethod
    def of(cls, request: Request) -> Typed:
        """Read again from the request (its body was read once already, so it reads)."""
        values = read_fields(request, settings().max_body_bytes)
        language = chosen_language(request, values.pop("language", None))
        return cls(deps.call((request.uri_params or {})["call_id"]), language, values)


@refusal("chalicelib.applications.LooksAutomated")
def _automated(request: Request, error: Exception) -> Response:
    logs.event("submission_refused", reason="honeypot")
    return problem(request, 400, N_("This looks automated"), AUTOMATED, language=Typed.of(request).language)


@refusal("chalicelib.applications.RateLimited")
def _too_many(request: Request, error: RateLimited) -> Response:
    """429 with Retry-After; a person's typed text comes back with the form, to send again once the wait is over."""
    logs.event("submission_refused", reason=f"rate_limited_{error.scope}")
    typed = Typed.of(request)
    detail = TOO_MANY_PER_ADDRESS if error.scope == "address" else TOO_MANY_PER_EMAIL
    retry = {"Retry-After": str(error.retry_after)}
    wait = minutes(error.retry_after // 60 + 1, typed.language)
    if wants_json(request):
        return problem(request, 429, PLEASE_WAIT, detail, headers=retry, language=typed.language, wait=wait)
    words = {"title": translate(typed.language, PLEASE_WAIT), "detail": translate(typed.language, detail, wait=wait)}
    page = call_form(request, typed.call, typed.language, typed.values, {}, 429, refusal=words)
    page.headers.update(retry)
    return page


@refusal("chalicelib.applications.CallClosed")
def _call_closed(request: Request, error: CallClosed) -> Response:
    typed = Typed.of(request)
    call = typed.call
    closed = N_("Applications closed on %(deadline)s.") if not call.closed else N_("Applications are closed.")
    deadline = moment(call.deadline, call.timezone, typed.language)
    return problem(request, 403, N_("The call is closed"), closed, language=typed.language, deadline=deadline)


@refusal("chalicelib.applications.InvalidApplication")
def _mistakes(request: Request, error: InvalidApplication) -> Response:
    """The form again, with what was typed and a sentence next to each field to correct; JSON names the fields."""
    if wants_json(request):
        return json_response({"title": "Please correct the form", "errors": error.errors}, 422)
    typed = Typed.of(request)
    return call_form(request, typed.call, typed.language, typed.values, error.errors, 422)


# The pages that answer a second try: the page again, saying what happened --------------------------------------


@refusal(
    "chalicelib.stores.votes.AlreadyVoted",
    "chalicelib.stores.votes.ReviewOver",
    "chalicelib.stores.votes.VoteContended",
)
def _vote_not_counted(request: Request, error: Exception) -> Response:
    """The review page says why the vote did not count, or, after a conflict, offers the button again."""
    call_id, token = _token(request)
    return review_page(request, deps.review_desk().open(token, call_id), token, 409)


@refusal(
    "chalicelib.stores.callbacks.AlreadyAnswered",
    "chalicelib.stores.callbacks.AnswerChanging",
    "chalicelib.attendance.ConfirmationClosed",
)
def _answer_not_taken(request: Request, error: Exception) -> Response:
    """The attendance page says what was answered, or that the slot is no longer there to confirm."""
    call_id, token = _token(request)
    return speaker_page(request, "attendance.html", deps.attendance_desk().open(token, call_id), 409, token=token)


@refusal("chalicelib.stores.applications.CannotWithdraw")
def _too_late_to_withdraw(request: Request, error: CannotWithdraw) -> Response:
    """The status page, saying the application has reached an end (or its session has started)."""
    _, token = _token(request)
    return applicant_page(request, "status.html", error.application, 409, token=token, too_late=True)


# The overview ------------------------------------------------------------------------------------------------

UNKNOWN_VALUE = N_(
    "“%(parameter)s” must be one of: %(allowed)s. Change it in the address, or use the form on the page."
)


@refusal("chalicelib.overview.InvalidQuery")
def _invalid_query(request: Request, error: InvalidQuery) -> Response:
    allowed = ", ".join(error.allowed)
    return problem(
        request, 400, N_("The overview cannot show that"), UNKNOWN_VALUE, parameter=error.parameter, allowed=allowed
    )


@refusal("chalicelib.overview.NotTheirCall")
def _not_their_call(request: Request, error: NotTheirCall) -> Response:
    detail = N_("Your overview shows the calls you organise: %(calls)s.")
    return problem(request, 403, N_("Not one of your calls"), detail, calls=", ".join(error.theirs))
