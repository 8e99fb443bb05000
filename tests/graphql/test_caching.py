"""HTTP caching of GraphQL's GET answers: Cache-Control by tenant mode and by the data's TTL,
ETags and 304s, and no-store for whatever must not be kept."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.bookings import booking
from tests.support.harness import Gateway, operation, running_gateway
from tests.support.query_string import query_params

AVAILABILITY = operation("MeetingLinkAvailability")
INFO = operation("MeetingLinkBookingInfo")
LINKS = operation("ListMeetingLinks")
HOLD = operation("HoldSlot")
BOOK = operation("BookMeeting")
SLUG = "mel-nelson"
WINDOW = {"slug": SLUG, "timeZone": "UTC", "durationMinutes": 30, "first": 5}
TTLS = {
    "GATEWAY_LINKS_TTL": "90",
    "GATEWAY_BOOKING_INFO_TTL": "45",
    "GATEWAY_AVAILABILITY_TTL": "20",
}
RESPONSE_CACHE = pytest.mark.parametrize("response_cache", ["on", "off"])


async def get(
    gateway: Gateway, document: str, variables: dict[str, Any], **headers: str
) -> httpx.Response:
    response = await gateway.http.get(
        "/graphql", params=query_params(document, variables), headers=headers
    )
    assert response.status_code in (200, 304), response.text
    return response


@RESPONSE_CACHE
async def test_max_age_is_the_ttl_of_the_shortest_lived_data_selected(response_cache: str) -> None:
    environ = {**TTLS, "GATEWAY_RESPONSE_CACHE": response_cache}
    async with running_gateway(environ) as gateway:
        for document, variables, max_age in (
            (LINKS, {"first": 2}, 90),
            (INFO, {"slug": SLUG, "timeZone": "UTC"}, 45),
            (AVAILABILITY, WINDOW, 20),
            ('{ earliestSlot(slugs: ["mel-nelson"], timeZone: "UTC") { slot { start } } }', {}, 20),
        ):
            answer = await get(gateway, document, variables)
            assert "errors" not in answer.json(), answer.text
            # No credential scopes what the gateway answers: any cache may share it.
            assert answer.headers["cache-control"] == f"public, max-age={max_age}"
            assert answer.headers["vary"] == "Accept, Origin"  # Origin: CORS's own
            assert answer.headers["etag"].startswith('"')


async def test_if_none_match_gets_a_304_until_a_booking_changes_the_answer(
    gateway: Gateway,
) -> None:
    first = await get(gateway, AVAILABILITY, WINDOW)
    tag = first.headers["etag"]
    calls = await gateway.calls()
    for given in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = await get(gateway, AVAILABILITY, WINDOW, **{"if-none-match": given})
        assert again.status_code == 304, given
        assert again.content == b""
        assert again.headers["etag"] == tag
        assert again.headers["cache-control"] == first.headers["cache-control"]
    other = await get(gateway, AVAILABILITY, WINDOW, **{"if-none-match": '"other"'})
    assert other.status_code == 200
    assert other.content == first.content
    assert await gateway.calls() == calls
    slots = first.json()["data"]["meetingLink"]["availability"]["slots"]
    booked = await gateway.data(BOOK, booking(SLUG, slots[0]["start"], 30))
    assert booked["bookMeeting"]["__typename"] == "BookingConfirmed"
    changed = await get(gateway, AVAILABILITY, WINDOW, **{"if-none-match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    starts = [
        slot["start"] for slot in changed.json()["data"]["meetingLink"]["availability"]["slots"]
    ]
    assert slots[0]["start"] not in starts


@pytest.mark.parametrize(
    ("environ", "headers", "vary"),
    [
        (
            {"GATEWAY_API_KEYS": "web:key-web-0123456789:600"},
            {"X-API-Key": "key-web-0123456789"},
            "Accept, X-API-Key, Authorization",
        ),
        (
            {"GATEWAY_PASS_THROUGH_AUTH": "true"},
            {"Authorization": "Bearer tok-a-0123456789abcdef"},
            "Accept, Authorization",
        ),
    ],
    ids=["api keys", "pass-through"],
)
async def test_answers_scoped_by_a_credential_are_private(
    environ: dict[str, str], headers: dict[str, str], vary: str
) -> None:
    async with running_gateway(environ) as gateway:
        answer = await get(gateway, LINKS, {"first": 1}, **headers)
        assert answer.json()["data"]["meetingLinks"]["totalCount"] > 0
        assert answer.headers["cache-control"] == "private, max-age=60"
        # Origin: CORS's own.
        assert answer.headers["vary"] == f"{vary}, Origin"
        again = await get(
            gateway, LINKS, {"first": 1}, **headers, **{"if-none-match": answer.headers["etag"]}
        )
        assert again.status_code == 304


@RESPONSE_CACHE
async def test_an_answer_hiding_a_held_slot_is_never_kept(response_cache: str) -> None:
    async with running_gateway({"GATEWAY_RESPONSE_CACHE": response_cache}) as gateway:
        open_slots = (await get(gateway, AVAILABILITY, WINDOW)).json()
        start = open_slots["data"]["meetingLink"]["availability"]["slots"][0]["start"]
        held = await gateway.data(
            HOLD,
            {"input": {"slug": SLUG, "start": start, "durationMinutes": 30, "timeZone": "UTC"}},
        )
        assert held["holdSlot"]["__typename"] == "SlotHeld"
        hiding = await get(gateway, AVAILABILITY, WINDOW)
        starts = [s["start"] for s in hiding.json()["data"]["meetingLink"]["availability"]["slots"]]
        assert start not in starts
        assert hiding.headers["cache-control"] == "no-store"
        assert "etag" not in hiding.headers


async def test_errors_are_never_kept(gateway: Gateway) -> None:
    answer = await get(gateway, AVAILABILITY, {**WINDOW, "timeZone": "EST"})
    assert answer.json()["errors"]
    assert answer.headers["cache-control"] == "no-store"
    assert "etag" not in answer.headers


async def test_a_stale_answer_is_never_kept() -> None:
    environ = {
        "GATEWAY_LINKS_TTL": "0.2",
        "GATEWAY_BOOKING_INFO_TTL": "0.2",
        "GATEWAY_AVAILABILITY_TTL": "0.2",
    }
    async with running_gateway(environ) as gateway:
        fresh = await get(gateway, AVAILABILITY, WINDOW)
        assert fresh.json()["data"]["meetingLink"]["availability"]["stale"] is False
        assert fresh.headers["cache-control"] == "public, max-age=0"
        await gateway.sandbox.put("/_sandbox/faults", json={"errorRate": 1.0})
        # Past the TTL, the upstream refusing: the data layer answers what it has, stale.
        while True:
            answer = await get(gateway, AVAILABILITY, WINDOW)
            if answer.json()["data"]["meetingLink"]["availability"]["stale"]:
                break
            await asyncio.sleep(0.05)
        assert answer.headers["cache-control"] == "no-store"
        assert "etag" not in answer.headers
