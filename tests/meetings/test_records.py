"""The idempotency record of a booking outcome: what is replayed reads back as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.meetings.booking import (
    BookingNotSent,
    BookingOutcome,
    BookingOutcomeUnknown,
    FieldError,
    HoldExpired,
    InvalidBookingInput,
    MeetingLinkNotFound,
    SlotUnavailable,
    decode_outcome,
    encode_outcome,
)

OUTCOMES: list[BookingOutcome] = [
    SlotUnavailable("taken", datetime(2026, 3, 2, 9, tzinfo=UTC), 30),
    InvalidBookingInput((FieldError("email", "INVALID_EMAIL", "not an address"),)),
    MeetingLinkNotFound("nobody"),
    BookingOutcomeUnknown("no answer"),
    BookingNotSent("down", 2.5),
    BookingNotSent("down", None),
    BookingNotSent("the budget is spent", 1.0, rate_limited=True),
    HoldExpired("held by someone else since"),
]


@pytest.mark.parametrize("outcome", OUTCOMES, ids=lambda outcome: type(outcome).__name__)
def test_an_outcome_reads_back_as_it_was_recorded(outcome: BookingOutcome) -> None:
    assert decode_outcome(encode_outcome(outcome)) == outcome
