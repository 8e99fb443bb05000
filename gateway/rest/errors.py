"""HubSpot's error bodies, and how every refusal of the REST surface becomes one.

Every error answer has HubSpot's shape (the spec's ``Error`` plus the ``status`` that real
HubSpot bodies carry)::

    {"status": "error", "message": ..., "correlationId": <uuid4>, "category": ...,
     "subCategory"?: ..., "errors"?: [{"message": ..., "code"?: ..., "in"?: <field>}]}
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from gateway.edge.refusal import CORRELATION_HEADER
from gateway.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    UpstreamAuthError,
    UpstreamContractError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from gateway.meetings import booking

VALIDATION_ERROR = "VALIDATION_ERROR"
OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
# HubSpot's categories for a refused and an under-scoped token.
INVALID_AUTHENTICATION = "INVALID_AUTHENTICATION"
MISSING_SCOPES = "MISSING_SCOPES"
# What production says instead of the upstream's own words (the log keeps them).
GENERIC_MESSAGES = {
    404: "The requested object does not exist.",
    400: "HubSpot refused the request as invalid.",
    401: "The access token provided is not valid.",
    403: "The access token lacks the scopes this request needs.",
}
UNAVAILABLE_MESSAGE = "HubSpot could not be reached; retry later."
SCHEDULING = "MeetingsBookingSchedulingError"
BOOKING_VALIDATION = "MeetingsBookingValidationError"
START_TIME_NOT_VALID = "MEETING_START_TIME_NOT_VALID"
IDEMPOTENCY_HEADER = "Idempotency-Key"
OUTCOME_UNKNOWN = "BOOKING_OUTCOME_UNKNOWN"

# The service's booking codes, spelled as HubSpot spells them (the sandbox, after HubSpot, puts
# them in subCategory with their family prefix); codes without an entry keep the service's name.
HUBSPOT_CODES: dict[str, tuple[str, str]] = {
    "MEETING_DURATION_NOT_VALID": (SCHEDULING, "MEETING_DURATION_NOT_VALID"),
    "REQUIRED_FORM_FIELD": (BOOKING_VALIDATION, "MISSING_REQUIRED_FORM_FIELD"),
    "INVALID_OPTION": (BOOKING_VALIDATION, "INVALID_FORM_FIELD_VALUE"),
    "INVALID_EMAIL": (BOOKING_VALIDATION, "INVALID_EMAIL"),
    "INVALID_EMAIL_GUESTS": (BOOKING_VALIDATION, "INVALID_EMAIL_GUESTS"),
    "CONSENT_REQUIRED": (BOOKING_VALIDATION, "MISSING_REQUIRED_CONSENT"),
}
# Field names of the service (shared with GraphQL) that differ in HubSpot's booking body.
HUBSPOT_FIELDS = {"durationMinutes": "duration", "input": "body"}


@dataclass(frozen=True, slots=True)
class Detail:
    """One entry of ``errors``: what is wrong, under which code, in which field (``in``)."""

    message: str
    code: str | None = None
    where: str | None = None

    def body(self) -> dict[str, str]:
        body = {"message": self.message}
        if self.code is not None:
            body["code"] = self.code
        if self.where is not None:
            body["in"] = self.where
        return body


class ErrorAnswer(Exception):
    """A HubSpot-style error answer, raised anywhere in a handler and rendered by it."""

    def __init__(
        self,
        status: int,
        message: str,
        category: str,
        *,
        sub_category: str | None = None,
        details: Sequence[Detail] = (),
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.headers = dict(headers or {})
        self.status = status
        self.message = message
        self.category = category
        self.sub_category = sub_category
        self.details = tuple(details)
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        correlation_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id,
            "category": self.category,
        }
        if self.sub_category is not None:
            body["subCategory"] = self.sub_category
        if self.details:
            body["errors"] = [detail.body() for detail in self.details]
        headers = {**self.headers, CORRELATION_HEADER: correlation_id}
        if self.retry_after is not None:
            # Retry-After takes whole seconds; rounding down would invite an early retry.
            headers["Retry-After"] = str(max(0, math.ceil(self.retry_after)))
        return JSONResponse(body, self.status, headers=headers)


def invalid(message: str, where: str, code: str) -> ErrorAnswer:
    """A 400 VALIDATION_ERROR about one parameter or body field."""
    return ErrorAnswer(400, message, VALIDATION_ERROR, details=[Detail(message, code, where)])


def slug_not_found(slug: str) -> ErrorAnswer:
    return ErrorAnswer(
        404,
        "slug does not exist",
        OBJECT_NOT_FOUND,
        details=[Detail(f"slug does not exist: {slug}", "SLUG_NOT_FOUND", "slug")],
    )


def from_upstream(
    exc: UpstreamError, *, callers_credential: bool = False, production: bool = False
) -> ErrorAnswer:
    """What a client is told when HubSpot answered badly or not at all.

    A refused credential (401/403) is the caller's to fix when it is the caller's own token
    (``callers_credential``: pass-through mode), and is answered as HubSpot answers it.
    Otherwise the gateway holds the credential, so HubSpot refusing it, a non-JSON or drifted
    payload, or any status the gateway does not expect is the gateway's problem: 502.
    ``production`` keeps the upstream's own words from the client.
    """
    if callers_credential and isinstance(exc, UpstreamAuthError | UpstreamForbidden):
        return _refused_credential(exc, production=production)
    if isinstance(exc, UpstreamNotFound):
        return ErrorAnswer(404, _words(exc, 404, production), OBJECT_NOT_FOUND)
    if isinstance(exc, UpstreamValidationError):
        message = _words(exc, 400, production)
        return ErrorAnswer(
            400,
            message,
            exc.category or VALIDATION_ERROR,
            sub_category=exc.sub_category,
            details=[Detail(message, code) for code in exc.codes],
        )
    if isinstance(exc, UpstreamRateLimited):
        return ErrorAnswer(
            429,
            "HubSpot's rate limit is spent; retry later.",
            "RATE_LIMITS",
            sub_category=exc.code,
            retry_after=exc.retry_after,
        )
    if isinstance(exc, UpstreamUnavailable):
        return ErrorAnswer(
            503,
            UNAVAILABLE_MESSAGE,
            "SERVICE_UNAVAILABLE",
            sub_category=exc.code,
            retry_after=exc.retry_after,
        )
    if isinstance(exc, UpstreamAuthError | UpstreamForbidden):
        message = "HubSpot refused the gateway's own credential; its operator must replace it."
    elif isinstance(exc, UpstreamContractError):
        message = "HubSpot answered in a shape this gateway does not understand."
    else:
        message = "HubSpot refused the gateway's request."
    return ErrorAnswer(502, message, "BAD_GATEWAY", sub_category=exc.code)


def _refused_credential(
    exc: UpstreamAuthError | UpstreamForbidden, *, production: bool
) -> ErrorAnswer:
    if isinstance(exc, UpstreamAuthError):
        status, category = 401, exc.category or INVALID_AUTHENTICATION
    else:
        status, category = 403, exc.category or MISSING_SCOPES
    message = _words(exc, status, production)
    details = [Detail(message, code) for code in exc.codes]
    return ErrorAnswer(status, message, category, sub_category=exc.sub_category, details=details)


def _words(exc: UpstreamError, status: int, production: bool) -> str:
    return GENERIC_MESSAGES[status] if production or not exc.message else exc.message


def from_idempotency(exc: IdempotencyConflict | IdempotencyInProgress) -> ErrorAnswer:
    """422 for a key reused with another body, 409 (retry) while its first use still runs.

    As in the IETF draft "The Idempotency-Key HTTP Header Field"."""
    detail = Detail(exc.message, exc.code, IDEMPOTENCY_HEADER)
    if isinstance(exc, IdempotencyConflict):
        return ErrorAnswer(
            422, exc.message, VALIDATION_ERROR, sub_category=exc.code, details=[detail]
        )
    return ErrorAnswer(
        409,
        exc.message,
        "CONFLICT",
        sub_category=exc.code,
        details=[detail],
        retry_after=booking.IN_PROGRESS_RETRY_SECONDS,
    )


def from_outcome(outcome: booking.BookingOutcome, *, production: bool = False) -> ErrorAnswer:
    """Every booking outcome but ``BookingConfirmed``, as HubSpot would answer it."""
    # A REST booking carries no hold: a held slot is simply not offered to it.
    if isinstance(outcome, booking.SlotUnavailable | booking.HoldExpired):
        message = "Start time must be contained in availability settings"
        return ErrorAnswer(
            400,
            message,
            VALIDATION_ERROR,
            sub_category=f"{SCHEDULING}.{START_TIME_NOT_VALID}",
            details=[Detail(message, START_TIME_NOT_VALID, "startTime")],
        )
    if isinstance(outcome, booking.InvalidBookingInput):
        details = [_hubspot_detail(error) for error in outcome.errors]
        first = HUBSPOT_CODES.get(outcome.errors[0].code) if outcome.errors else None
        return ErrorAnswer(
            400,
            "; ".join(detail.message for detail in details) or "the booking is not valid",
            VALIDATION_ERROR,
            sub_category=f"{first[0]}.{first[1]}" if first else None,
            details=details,
        )
    if isinstance(outcome, booking.MeetingLinkNotFound):
        return slug_not_found(outcome.slug)
    if isinstance(outcome, booking.BookingNotSent):
        return ErrorAnswer(
            429 if outcome.rate_limited else 503,
            UNAVAILABLE_MESSAGE if production else outcome.message,
            "RATE_LIMITS" if outcome.rate_limited else "SERVICE_UNAVAILABLE",
            sub_category=(
                UpstreamRateLimited if outcome.rate_limited else UpstreamUnavailable
            ).code,
            retry_after=outcome.retry_after_seconds,
        )
    return _unsettled(outcome)


def _unsettled(outcome: booking.BookingOutcome) -> ErrorAnswer:
    """A sent booking without its answer: still in flight (409, retry with the same key), or
    never answered (502, the same answer to every retry with that key)."""
    if isinstance(outcome, booking.BookingInProgress):
        return ErrorAnswer(
            409,
            outcome.message,
            "CONFLICT",
            sub_category=IdempotencyInProgress.code,
            details=[Detail(outcome.message, IdempotencyInProgress.code, IDEMPOTENCY_HEADER)],
            retry_after=outcome.retry_after_seconds,
        )
    if isinstance(outcome, booking.BookingOutcomeUnknown):
        return ErrorAnswer(
            502,
            outcome.message,
            OUTCOME_UNKNOWN,
            sub_category=UpstreamOutcomeUnknown.code,
            details=[Detail(outcome.message, OUTCOME_UNKNOWN)],
        )
    raise TypeError(f"not a refusal: {outcome!r}")


def _hubspot_detail(error: booking.FieldError) -> Detail:
    head, dot, rest = error.field.partition(".")
    where = HUBSPOT_FIELDS.get(head, head) + dot + rest
    code = HUBSPOT_CODES.get(error.code, ("", error.code))[1]
    return Detail(error.message, code, where)
