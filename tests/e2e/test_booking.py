"""Booking over GraphQL: the whole flow, every typed refusal, and idempotent retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.bookings import booking
from tests.support.harness import Gateway, operation

AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")


async def first_slot(gateway: Gateway, slug: str, minutes: int, zone: str = "UTC") -> str:
    data = await gateway.data(
        AVAILABILITY, {"slug": slug, "timeZone": zone, "durationMinutes": minutes}
    )
    start: str = data["meetingLink"]["availability"]["slots"][0]["start"]
    return start


async def starts(gateway: Gateway, slug: str, minutes: int) -> set[str]:
    data = await gateway.data(
        AVAILABILITY, {"slug": slug, "timeZone": "UTC", "durationMinutes": minutes}
    )
    return {slot["start"] for slot in data["meetingLink"]["availability"]["slots"]}


async def test_book_see_it_gone_book_again(gateway: Gateway) -> None:
    start = await first_slot(gateway, "mel-nelson", 30, zone="America/New_York")
    result = (await gateway.data(BOOK, booking("mel-nelson", start, 30)))["bookMeeting"]
    assert result["__typename"] == "BookingConfirmed", result
    assert result["timeZone"] == "Asia/Kolkata"
    assert result["start"].endswith("+05:30")
    assert result["durationMinutes"] == 30
    assert result["contactId"]
    assert result["subject"]
    # The same instant, rendered in the booker's zone.
    booked = datetime.fromisoformat(start)
    assert datetime.fromisoformat(result["start"]) == booked
    remaining = {datetime.fromisoformat(s) for s in await starts(gateway, "mel-nelson", 30)}
    assert remaining
    assert booked not in remaining

    again = (await gateway.data(BOOK, booking("mel-nelson", start, 30)))["bookMeeting"]
    assert again["__typename"] == "SlotUnavailable"


async def test_a_booking_frees_no_slot_of_a_link_sharing_the_member(gateway: Gateway) -> None:
    # The group review needs Mel (1234567) and Lena: once Mel is booked, it is gone there too.
    group = await starts(gateway, "acme-team/group-review", 30)
    personal = await starts(gateway, "mel-nelson", 30)
    shared = sorted(group & personal)
    assert shared
    result = (await gateway.data(BOOK, booking("mel-nelson", shared[0], 30)))["bookMeeting"]
    assert result["__typename"] == "BookingConfirmed", result
    assert shared[0] not in await starts(gateway, "acme-team/group-review", 30)


async def test_every_bad_input_is_typed_and_never_booked(gateway: Gateway) -> None:
    start = await first_slot(gateway, "lena-fischer/product-demo", 30)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (booking("no-such-link", start, 30), "MeetingLinkNotFound", ""),
        (
            booking("lena-fischer/product-demo", start, 45),
            "InvalidBookingInput",
            "MEETING_DURATION_NOT_VALID",
        ),
        (
            booking("lena-fischer/product-demo", start, 30),
            "InvalidBookingInput",
            "REQUIRED_FORM_FIELD",
        ),
        (
            booking("lena-fischer/product-demo", start, 30, email="not-an-email"),
            "InvalidBookingInput",
            "INVALID_EMAIL",
        ),
        (
            booking("lena-fischer/product-demo", start, 30, guestEmails=["a@b.io"]),
            "InvalidBookingInput",
            "INVALID_EMAIL_GUESTS",
        ),
        (
            booking("lena-fischer/product-demo", start, 30, firstName="  "),
            "InvalidBookingInput",
            "REQUIRED",
        ),
    ]
    before = (await gateway.calls()).get("book", 0)
    for variables, typename, code in cases:
        result = (await gateway.data(BOOK, variables))["bookMeeting"]
        assert result["__typename"] == typename, (variables, result)
        if code:
            assert code in {error["code"] for error in result["errors"]}, result
    for bad in ({"timeZone": "EST"}, {"start": start[:19]}):
        variables = booking("lena-fischer/product-demo", start, 30)
        variables["input"].update(bad)
        body = await gateway.execute(BOOK, variables)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert (await gateway.calls()).get("book", 0) == before


async def test_required_fields_and_consent_then_success(gateway: Gateway) -> None:
    start = await first_slot(gateway, "lena-fischer/consent-call", 30)
    refused = await gateway.data(BOOK, booking("lena-fischer/consent-call", start, 30))
    assert refused["bookMeeting"]["__typename"] == "InvalidBookingInput"
    assert "CONSENT_REQUIRED" in {e["code"] for e in refused["bookMeeting"]["errors"]}
    info = await gateway.data(
        """query { meetingLink(slug: "lena-fischer/consent-call") {
             bookingInfo { legalConsent { checkboxes { communicationTypeId required } } } } }"""
    )
    boxes = info["meetingLink"]["bookingInfo"]["legalConsent"]["checkboxes"]
    answers = [{"communicationTypeId": b["communicationTypeId"], "consented": True} for b in boxes]
    done = await gateway.data(
        BOOK, booking("lena-fischer/consent-call", start, 30, legalConsentResponses=answers)
    )
    assert done["bookMeeting"]["__typename"] == "BookingConfirmed", done


async def test_an_idempotent_retry_books_once(gateway: Gateway) -> None:
    start = await first_slot(gateway, "priya-raman", 30)
    variables = booking("priya-raman", start, 30, idempotencyKey="retry-7f3a")
    before = (await gateway.calls()).get("book", 0)
    first = (await gateway.data(BOOK, variables))["bookMeeting"]
    second = (await gateway.data(BOOK, variables))["bookMeeting"]
    assert first["__typename"] == "BookingConfirmed", first
    assert second == first
    assert (await gateway.calls()).get("book", 0) == before + 1
    changed = booking("priya-raman", start, 60, idempotencyKey="retry-7f3a")
    body = await gateway.execute(BOOK, changed)
    assert body["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED", body


async def test_a_padded_contact_books_as_the_trimmed_one(gateway: Gateway) -> None:
    start = await first_slot(gateway, "priya-raman", 30)
    key = {"idempotencyKey": "padded-contact"}
    guests = ["sam@acme-corp.io", "kim@acme-corp.io"]
    padded = booking(
        "priya-raman",
        start,
        30,
        firstName=" Alex ",
        lastName="Morgan\t",
        email="  alex.morgan@acme-corp.io\n",
        guestEmails=[f" {guest} " for guest in guests],
        **key,
    )
    before = (await gateway.calls()).get("book", 0)
    booked = (await gateway.data(BOOK, padded))["bookMeeting"]
    assert booked["__typename"] == "BookingConfirmed", booked
    assert booked["guestEmails"] == guests
    # The same booking as the trimmed contact's: its retry gets the answer, nothing more.
    plain = booking("priya-raman", start, 30, guestEmails=guests, **key)
    assert (await gateway.data(BOOK, plain))["bookMeeting"] == booked
    assert (await gateway.calls()).get("book", 0) == before + 1
