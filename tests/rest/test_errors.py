"""The error table of the REST surface: every refusal in HubSpot's shape, with its status."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    UpstreamAuthError,
    UpstreamContractError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from gateway.meetings import booking
from gateway.rest.errors import ErrorAnswer, from_idempotency, from_outcome, from_upstream
from tests.contract.hubspot_spec import assert_matches
from tests.rest.api import BOOK, LINKS, assert_refused, booking_info_path
from tests.support.harness import Gateway


def rendered(answer: ErrorAnswer) -> tuple[int, dict[str, str], dict[str, object]]:
    response = answer.response()
    body = json.loads(bytes(response.body))
    assert_matches("Error", body)
    assert body["status"] == "error"
    return response.status_code, dict(response.headers), body


@pytest.mark.parametrize(
    ("error", "status", "category", "retry_after"),
    [
        (UpstreamNotFound("slug does not exist"), 404, "OBJECT_NOT_FOUND", None),
        (
            UpstreamValidationError(
                "after is not a valid paging cursor.",
                category="VALIDATION_ERROR",
                codes=("INVALID_CURSOR",),
            ),
            400,
            "VALIDATION_ERROR",
            None,
        ),
        (UpstreamRateLimited("slow down", retry_after=2.2), 429, "RATE_LIMITS", "3"),
        (
            UpstreamUnavailable("HubSpot timed out", retry_after=None),
            503,
            "SERVICE_UNAVAILABLE",
            None,
        ),
        (UpstreamUnavailable("breaker open", retry_after=4), 503, "SERVICE_UNAVAILABLE", "4"),
        (UpstreamContractError("upstream payload drifted: $.total"), 502, "BAD_GATEWAY", None),
        (UpstreamAuthError("The access token provided is not valid."), 502, "BAD_GATEWAY", None),
        (UpstreamForbidden("missing scopes"), 502, "BAD_GATEWAY", None),
        (UpstreamError("HubSpot answered 409", status=409), 502, "BAD_GATEWAY", None),
    ],
)
def test_upstream_errors_on_reads(
    error: UpstreamError, status: int, category: str, retry_after: str | None
) -> None:
    code, headers, body = rendered(from_upstream(error))
    assert code == status
    assert body["category"] == category
    assert headers.get("retry-after") == retry_after
    # The gateway's credential is its own business: a refused one is not the client's to fix.
    assert "access token" not in str(body["message"])


def test_the_callers_own_refused_token_is_answered_as_hubspot_answers_it() -> None:
    refused = UpstreamAuthError("The access token provided is not valid.", status=401)
    code, _, body = rendered(from_upstream(refused, callers_credential=True))
    assert (code, body["category"]) == (401, "INVALID_AUTHENTICATION")
    assert body["message"] == "The access token provided is not valid."
    scopes = UpstreamForbidden("One or more scopes are required.", category="MISSING_SCOPES")
    code, _, body = rendered(from_upstream(scopes, callers_credential=True))
    assert (code, body["category"]) == (403, "MISSING_SCOPES")


@pytest.mark.parametrize(
    "error",
    [
        UpstreamNotFound("secret-host said: no such slug"),
        UpstreamValidationError("secret-host said: bad", codes=("X",)),
        UpstreamAuthError("secret-host said: token"),
        UpstreamForbidden("secret-host said: scope"),
        UpstreamUnavailable("secret-host timed out"),
    ],
)
def test_production_answers_keep_the_upstreams_words_and_the_category(
    error: UpstreamError,
) -> None:
    plain_code, _, plain = rendered(from_upstream(error, callers_credential=True))
    code, _, body = rendered(from_upstream(error, callers_credential=True, production=True))
    assert "secret-host" not in json.dumps(body)
    assert (code, body["category"]) == (plain_code, plain["category"])
    assert body["correlationId"]


def test_a_reused_idempotency_key_is_422_and_one_in_flight_is_409() -> None:
    status, _, body = rendered(from_idempotency(IdempotencyConflict("used for another request")))
    assert status == 422
    assert body["subCategory"] == "IDEMPOTENCY_KEY_REUSED"
    status, headers, body = rendered(from_idempotency(IdempotencyInProgress("still running")))
    assert status == 409
    assert body["category"] == "CONFLICT"
    assert headers["retry-after"] == "1"


def test_booking_refusals() -> None:
    start = datetime(2026, 3, 3, 15, tzinfo=UTC)
    status, _, body = rendered(from_outcome(booking.SlotUnavailable("gone", start, 30)))
    assert (status, body["message"]) == (
        400,
        "Start time must be contained in availability settings",
    )
    invalid = booking.InvalidBookingInput(
        (
            booking.FieldError("durationMinutes", "MEETING_DURATION_NOT_VALID", "not offered"),
            booking.FieldError("formFields.size", "REQUIRED_FORM_FIELD", "size is required"),
            booking.FieldError("input", "SPAM_FILTER", "HubSpot said no"),
        )
    )
    status, _, body = rendered(from_outcome(invalid))
    assert status == 400
    assert body["subCategory"] == "MeetingsBookingSchedulingError.MEETING_DURATION_NOT_VALID"
    assert body["errors"] == [
        {"message": "not offered", "code": "MEETING_DURATION_NOT_VALID", "in": "duration"},
        {
            "message": "size is required",
            "code": "MISSING_REQUIRED_FORM_FIELD",
            "in": "formFields.size",
        },
        {"message": "HubSpot said no", "code": "SPAM_FILTER", "in": "body"},
    ]
    status, _, body = rendered(from_outcome(booking.MeetingLinkNotFound("a/b")))
    assert (status, body["message"]) == (404, "slug does not exist")
    status, headers, body = rendered(from_outcome(booking.BookingNotSent("down", 0.5)))
    assert (status, headers["retry-after"]) == (503, "1")


async def test_a_wrong_method_is_405_in_hubspots_shape(gateway: Gateway) -> None:
    for method, path, allowed in (
        ("POST", LINKS, "GET, HEAD"),
        ("DELETE", booking_info_path("mel-nelson"), "GET, HEAD"),
        ("GET", BOOK, "POST"),
    ):
        response = await gateway.http.request(method, path)
        assert_refused(response, 405)
        assert response.headers["Allow"] == allowed
