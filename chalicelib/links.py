"""Signed, expiring links: the organisers' review links and the applicant's status link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from chalicelib.models import Outcome


class LinkError(Exception):
    """A link that cannot be honoured; the message is shown to the person who clicked it."""


class LinkExpired(LinkError):
    pass


class LinkInvalid(LinkError):
    pass


@dataclass(frozen=True)
class ReviewClaim:
    application_id: str
    organiser_index: int
    outcome: Outcome


class Links:
    """Signs with itsdangerous (HMAC-SHA1 by default, compared in constant time)."""

    def __init__(self, secret: str, public_url: str, review_max_age: timedelta) -> None:
        self._review = URLSafeTimedSerializer(secret, salt="cfp.review-link")
        self._status = URLSafeTimedSerializer(secret, salt="cfp.status-link")
        self._public_url = public_url
        self._review_max_age = int(review_max_age.total_seconds())

    def review_url(self, application_id: str, organiser_index: int, outcome: Outcome) -> str:
        token = self._review.dumps({"a": application_id, "o": organiser_index, "d": outcome.value})
        return f"{self._public_url}/review/{token}"

    def read_review(self, token: str) -> ReviewClaim:
        payload = _load(self._review, token, self._review_max_age)
        if not isinstance(payload, dict):
            raise LinkInvalid("This review link is not valid.")
        try:
            return ReviewClaim(str(payload["a"]), int(payload["o"]), Outcome(payload["d"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkInvalid("This review link is not valid.") from exc

    def status_url(self, application_id: str) -> str:
        return f"{self._public_url}/status/{self._status.dumps(application_id)}"

    def read_status(self, token: str) -> str:
        payload = _load(self._status, token, None)
        if not isinstance(payload, str):
            raise LinkInvalid("This status link is not valid.")
        return payload


def _load(serializer: URLSafeTimedSerializer, token: str, max_age: int | None) -> object:
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired("This link has expired.") from exc
    except BadSignature as exc:
        raise LinkInvalid("This link is not valid: it may have been cut or changed.") from exc
