"""Booking over REST: HubSpot's answers, the effect on GraphQL, idempotent retries, refusals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.contract.hubspot_spec import assert_matches
from tests.rest.api import (
    BOOK,
    assert_refused,
    availability_path,
    booking_body,
    graphql_starts,
)
from tests.support.harness import Gateway
from tests.support.slow_upstream import gateway_on, slow_upstream

HALF_HOUR = 1_800_000


def epoch_ms(start: str) -> int:
    return int(datetime.fromisoformat(start).timestamp() * 1000)


async def test_a_rest_booking_takes_the_slot_from_graphql_and_rest_reads(gateway: Gateway) -> None:
    before = await graphql_starts(gateway, "mel-nelson", 30)
    start = before[0]
    page_path, zone = availability_path("mel-nelson"), {"timezone": "UTC"}
    old_page = await gateway.http.get(page_path, params=zone)
    booked_calls = (await gateway.calls())["book"]

    body = booking_body("mel-nelson", start, HALF_HOUR)
    response = await gateway.http.post(BOOK, json=body, headers={"Idempotency-Key": "rest-1"})
    assert response.status_code == 200, response.text
    confirmation = response.json()
    assert_matches("ExternalMeetingBookingResponse", confirmation)
    assert confirmation["duration"] == HALF_HOUR
    assert confirmation["bookingTimezone"] == "Asia/Kolkata"
    assert datetime.fromisoformat(confirmation["start"]) == datetime.fromisoformat(start)
    assert response.headers["Cache-Control"] == "no-store"

    after = await graphql_starts(gateway, "mel-nelson", 30)
    assert start not in after
    assert set(after) < set(before)
    # The REST read of the month is no longer the one the client holds.
    stale_tag = {"If-None-Match": old_page.headers["ETag"]}
    new_page = await gateway.http.get(page_path, params=zone, headers=stale_tag)
    assert new_page.status_code == 200
    offered = {
        slot["startMillisUtc"]
        for by_duration in new_page.json()["linkAvailability"][
            "linkAvailabilityByDuration"
        ].values()
        for slot in by_duration["availabilities"]
        if by_duration["meetingDurationMillis"] == HALF_HOUR
    }
    assert epoch_ms(start) not in offered

    retry = await gateway.http.post(BOOK, json=body, headers={"Idempotency-Key": "rest-1"})
    assert retry.status_code == 200
    assert retry.json() == confirmation
    assert (await gateway.calls())["book"] == booked_calls + 1

    changed = {**body, "firstName": "Sam"}
    reused = await gateway.http.post(BOOK, json=changed, headers={"Idempotency-Key": "rest-1"})
    assert_refused(reused, 422, code="IDEMPOTENCY_KEY_REUSED", where="Idempotency-Key")
    assert (await gateway.calls())["book"] == booked_calls + 1


async def test_a_padded_contact_books_as_the_trimmed_one(gateway: Gateway) -> None:
    start = (await graphql_starts(gateway, "priya-raman", 30))[0]
    guests = ["sam@acme-corp.io", "kim@acme-corp.io"]
    padded = booking_body(
        "priya-raman",
        start,
        HALF_HOUR,
        firstName=" Alex ",
        lastName="Morgan\t",
        email="  alex.morgan@acme-corp.io\n",
        guestEmails=[f" {guest} " for guest in guests],
    )
    key = {"Idempotency-Key": "rest-padded"}
    before = (await gateway.calls())["book"]
    booked = await gateway.http.post(BOOK, json=padded, headers=key)
    assert booked.status_code == 200, booked.text
    assert booked.json()["guestEmails"] == guests
    # The same booking as the trimmed contact's: its retry gets the answer, nothing more.
    plain = booking_body("priya-raman", start, HALF_HOUR, guestEmails=guests)
    retry = await gateway.http.post(BOOK, json=plain, headers=key)
    assert retry.status_code == 200, retry.text
    assert retry.json() == booked.json()
    assert (await gateway.calls())["book"] == before + 1


async def test_epoch_ms_start_and_the_query_time_zone(gateway: Gateway) -> None:
    start = (await graphql_starts(gateway, "acme-team/ai-booked-call", 30))[0]
    body = booking_body(
        "acme-team/ai-booked-call",
        epoch_ms(start),
        HALF_HOUR,
        formFields=[{"name": "phone", "value": "+15550100123"}],
    )
    del body["timezone"]
    response = await gateway.http.post(BOOK, json=body, params={"timezone": "Europe/Berlin"})
    assert response.status_code == 200, response.text
    assert_matches("ExternalMeetingBookingResponse", response.json())
    assert response.json()["bookingTimezone"] == "Europe/Berlin"


async def test_a_slot_no_longer_offered_is_hubspots_start_time_error(gateway: Gateway) -> None:
    start = (await graphql_starts(gateway, "olivia-hart", 30))[0]
    body = booking_body("olivia-hart", start, HALF_HOUR)
    assert (await gateway.http.post(BOOK, json=body)).status_code == 200
    again = await gateway.http.post(BOOK, json=body)
    refused = assert_refused(again, 400, code="MEETING_START_TIME_NOT_VALID", where="startTime")
    assert refused["message"] == "Start time must be contained in availability settings"
    assert refused["subCategory"] == "MeetingsBookingSchedulingError.MEETING_START_TIME_NOT_VALID"


async def test_the_links_rules_refuse_as_hubspot_does(gateway: Gateway) -> None:
    slug = "lena-fischer/product-demo"
    start = (await graphql_starts(gateway, slug, 30))[0]
    before = (await gateway.calls())["book"]

    duration = await gateway.http.post(BOOK, json=booking_body(slug, start, 45 * 60_000))
    refused = assert_refused(duration, 400, code="MEETING_DURATION_NOT_VALID", where="duration")
    assert refused["subCategory"] == "MeetingsBookingSchedulingError.MEETING_DURATION_NOT_VALID"

    form = await gateway.http.post(BOOK, json=booking_body(slug, start, HALF_HOUR))
    refused = assert_refused(form, 400, code="MISSING_REQUIRED_FORM_FIELD")
    assert refused["errors"][0]["in"] == "formFields.company_size"

    guests = booking_body(
        slug,
        start,
        HALF_HOUR,
        guestEmails=["a@b.io"],
        formFields=[{"name": "company_size", "value": "1-10"}],
    )
    assert_refused(await gateway.http.post(BOOK, json=guests), 400, code="INVALID_EMAIL_GUESTS")

    unknown = await gateway.http.post(BOOK, json=booking_body("no/such-link", start, HALF_HOUR))
    assert assert_refused(unknown, 404, where="slug")["message"] == "slug does not exist"
    assert (await gateway.calls())["book"] == before


def bad_bodies(start: str) -> list[tuple[Any, str, str]]:
    """(body, errors[].in, errors[].code) for input refused before any upstream call."""
    good = booking_body("mel-nelson", start, HALF_HOUR)

    def without(name: str) -> dict[str, Any]:
        return {key: value for key, value in good.items() if key != name}

    cases: list[tuple[Any, str, str]] = [
        ([good], "body", "INVALID_JSON"),
        ("null", "body", "INVALID_JSON"),
        ({**good, "startTime": start[:19]}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "startTime": "next tuesday"}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "startTime": "2026-03-03"}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "startTime": 1.5e12}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "startTime": -1}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "startTime": True}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "startTime": "0001-01-01T00:00:00+05:00"}, "startTime", "INVALID_DATE_TIME"),
        ({**good, "duration": 30}, "duration", "INVALID_DURATION"),
        ({**good, "duration": 1_800_001}, "duration", "INVALID_DURATION"),
        ({**good, "duration": "1800000"}, "duration", "INVALID_DURATION"),
        ({**good, "duration": 0}, "duration", "INVALID_DURATION"),
        ({**good, "duration": 2**64}, "duration", "INVALID_DURATION"),
        ({**good, "timezone": "EST"}, "timezone", "INVALID_TIME_ZONE"),
        ({**good, "slug": ""}, "slug", "REQUIRED"),
        ({**good, "slug": 7}, "slug", "INVALID_TYPE"),
        ({**good, "email": None}, "email", "REQUIRED"),
        ({**good, "formFields": [{"name": "x"}]}, "formFields[0].value", "REQUIRED"),
        ({**good, "formFields": ["x"]}, "formFields", "INVALID_TYPE"),
        ({**good, "guestEmails": ["a@b.io"] * 51}, "guestEmails", "TOO_MANY"),
        ({**good, "locale": "x" * 2001}, "locale", "TOO_LONG"),
        (
            {**good, "legalConsentResponses": [{"communicationTypeId": "1", "consented": "yes"}]},
            "legalConsentResponses[0].consented",
            "INVALID_TYPE",
        ),
        # Checked by the booking rules, still before any upstream call.
        ({**good, "firstName": "  "}, "firstName", "REQUIRED"),
        ({**good, "email": "not-an-email"}, "email", "INVALID_EMAIL"),
    ]
    cases += [
        (without(name), name, "REQUIRED")
        for name in (
            "slug",
            "firstName",
            "lastName",
            "email",
            "startTime",
            "duration",
            "formFields",
            "legalConsentResponses",
            "likelyAvailableUserIds",
        )
    ]
    return cases


async def test_every_bad_booking_is_a_400_and_costs_no_upstream_call(gateway: Gateway) -> None:
    start = (await graphql_starts(gateway, "mel-nelson", 30))[0]
    before = await gateway.calls()
    for body, where, code in bad_bodies(start):
        content = body if isinstance(body, str) else None
        response = await gateway.http.post(BOOK, content=content, json=None if content else body)
        assert_refused(response, 400, code=code, where=where)
    for raw in (b"{", b"", b"\xff\xfe", b"[" * 60_000):
        assert_refused(await gateway.http.post(BOOK, content=raw), 400, code="INVALID_JSON")
    # Past GATEWAY_MAX_BODY_BYTES (64 KiB) the body is not even read (access.BodyLimit).
    assert (await gateway.http.post(BOOK, content=b"[" * 100_000)).status_code == 413
    good = booking_body("mel-nelson", start, HALF_HOUR)
    for key in ("", "k" * 256, "with space"):
        response = await gateway.http.post(BOOK, json=good, headers={"Idempotency-Key": key})
        assert_refused(response, 400, code="INVALID_IDEMPOTENCY_KEY", where="Idempotency-Key")
    assert await gateway.calls() == before


async def test_a_spent_rate_limit_is_429_with_retry_after(gateway: Gateway) -> None:
    start = (await graphql_starts(gateway, "arjun-shrestha", 30))[0]
    await gateway.sandbox.put("/_sandbox/faults", json={"rateLimit": 1})
    await gateway.sandbox.get("/scheduler/v3/meetings/meeting-links")
    response = await gateway.http.post(BOOK, json=booking_body("arjun-shrestha", start, HALF_HOUR))
    refused = assert_refused(response, 429)
    assert refused["category"] == "RATE_LIMITS"
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_late_answer_is_409_then_the_booking_then_502_when_it_never_comes() -> None:
    async with slow_upstream() as served:
        # Answers come after the 1 s deadline, and within the 2 s read timeout.
        environ = served.environ(GATEWAY_UPSTREAM_READ_TIMEOUT="2")
        async with gateway_on(environ, served) as gateway:
            starts = await graphql_starts(gateway, "mel-nelson", 30)
            served.upstream.book_delay = lambda: 1.4
            body = booking_body("mel-nelson", starts[0], HALF_HOUR)
            key = {"Idempotency-Key": "rest-late-1"}
            first = await gateway.http.post(BOOK, json=body, headers=key)
            refused = assert_refused(
                first, 409, code="IDEMPOTENCY_KEY_IN_PROGRESS", where="Idempotency-Key"
            )
            assert refused["category"] == "CONFLICT"
            assert first.headers["Retry-After"] == "1"
            while (
                retry := await gateway.http.post(BOOK, json=body, headers=key)
            ).status_code == 409:
                pass  # each 409 waited up to the deadline; the answer is due within ~1 s
            assert retry.status_code == 200, retry.text
            assert_matches("ExternalMeetingBookingResponse", retry.json())
            assert datetime.fromisoformat(retry.json()["start"]) == datetime.fromisoformat(
                starts[0]
            )
            assert (await gateway.calls())["book"] == 1

            served.upstream.hang = True
            lost = booking_body("mel-nelson", starts[-1], HALF_HOUR)
            key = {"Idempotency-Key": "rest-lost-1"}
            while (
                answer := await gateway.http.post(BOOK, json=lost, headers=key)
            ).status_code == 409:
                pass
            unknown = assert_refused(answer, 502, code="BOOKING_OUTCOME_UNKNOWN")
            assert unknown["category"] == "BOOKING_OUTCOME_UNKNOWN"
            assert unknown["subCategory"] == "UPSTREAM_OUTCOME_UNKNOWN"
            assert "not sent again" in unknown["message"]
            again = await gateway.http.post(BOOK, json=lost, headers=key)
            assert_refused(again, 502, code="BOOKING_OUTCOME_UNKNOWN")
            assert (await gateway.calls())["book"] == 2
