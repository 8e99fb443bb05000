"""Live availability over real sockets: two replicas on one real Redis and one standalone
sandbox, a WebSocket and an SSE subscriber on one replica, the changes made on the other (or
on the sandbox itself)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.rest.api import BOOK as REST_BOOK
from tests.rest.api import booking_body
from tests.support.bookings import booking
from tests.support.harness import NOW, operation
from tests.support.loopback import (
    Changes,
    Live,
    on_loopback,
    sse_subscription,
    streams_opened,
    ws_subscription,
)
from tests.support.redis_server import RedisServer, free_port
from tests.support.replicas import served_sandbox

SUBSCRIBE = operation("AvailabilityChanged")
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
HOLD = operation("HoldSlot")
RELEASE = operation("ReleaseHold")
SLUG = "mel-nelson"
# A day: small enough to read fast, long enough to hold many slots.
WATCHED = {
    "slug": SLUG,
    "timeZone": "Europe/Berlin",
    "from": NOW,
    "to": "2026-03-03T14:00:00Z",
    "durationMinutes": 30,
}
SECRET = "live-test-client-secret"


def environ(redis: RedisServer, sandbox: str, token: str, **extra: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis.url,
        "SANDBOX_NOW": NOW,
        "HUBSPOT_BASE_URL": sandbox,
        "HUBSPOT_ACCESS_TOKEN": token,
        **extra,
    }


@asynccontextmanager
async def replicas(
    redis: RedisServer, sandbox: str, port: int | None = None, **extra: str
) -> AsyncIterator[tuple[Live, Live]]:
    """Replica A (on ``port``, if given) and replica B, one tenant of their own."""
    token = f"pat-na1-{uuid.uuid4()}"
    async with (
        on_loopback(environ(redis, sandbox, token, **extra), port) as first,
        on_loopback(environ(redis, sandbox, token, **extra)) as second,
    ):
        yield first, second


@asynccontextmanager
async def subscribers(live: Live) -> AsyncIterator[tuple[Changes, Changes]]:
    """A WebSocket and an SSE subscriber of ``WATCHED`` on ``live``, both subscribed."""
    async with AsyncExitStack() as stack:
        ws = await stack.enter_async_context(ws_subscription(live.url, SUBSCRIBE, WATCHED))
        sse = await stack.enter_async_context(sse_subscription(live.url, SUBSCRIBE, WATCHED))
        await streams_opened(live, 2)
        yield ws, sse


async def graphql(live: Live, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def first_start(live: Live) -> str:
    variables = {k: v for k, v in WATCHED.items() if k != "timeZone"} | {"timeZone": "UTC"}
    data = await graphql(live, AVAILABILITY, variables)
    return str(data["meetingLink"]["availability"]["slots"][0]["start"])


def change(payload: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in payload, payload
    found: dict[str, Any] = payload["data"]["availabilityChanged"]
    return found


def starts(slots: list[dict[str, Any]]) -> list[str]:
    return [slot["start"] for slot in slots]


def taken(start: str) -> list[str]:
    """Mel's 30-minute slots start every 15 minutes: a meeting at the first free start takes
    that one and the next (it overlaps both) from the watched range, rendered in Berlin."""
    first = datetime.fromisoformat(start).astimezone(ZoneInfo("Europe/Berlin"))
    return [first.isoformat(), (first + timedelta(minutes=15)).isoformat()]


async def test_a_booking_on_one_replica_reaches_both_subscribers_on_the_other(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    async with replicas(redis_server, sandbox_url) as (first, second):
        start = await first_start(first)
        async with subscribers(second) as (ws, sse):
            booked = await graphql(first, BOOK, booking(SLUG, start, 30))
            assert booked["bookMeeting"]["__typename"] == "BookingConfirmed"
            for changes in (ws, sse):
                seen = change(await changes.next())
                assert seen["reason"] == "BOOKED"
                assert seen["slug"] == SLUG
                assert starts(seen["removed"]) == taken(start)
                assert seen["added"] == []
                assert seen["at"] == "2026-03-02T15:00:00+01:00"  # the frozen clock, in Berlin
        # One read of the watched range per change, whatever the number of subscribers.
        assert second.runtime.watches.stats.reads == 2


async def test_held_then_released_then_held_and_expired(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    async with replicas(redis_server, sandbox_url, GATEWAY_HOLD_TTL="1") as (first, second):
        start = await first_start(first)
        async with subscribers(second) as (ws, sse):
            hold = {
                "input": {"slug": SLUG, "start": start, "durationMinutes": 30, "timeZone": "UTC"}
            }
            held = (await graphql(first, HOLD, hold))["holdSlot"]
            assert held["__typename"] == "SlotHeld", held
            for changes in (ws, sse):
                seen = change(await changes.next())
                assert (seen["reason"], starts(seen["removed"])) == ("HELD", taken(start))
            released = await graphql(first, RELEASE, {"id": held["hold"]["id"]})
            assert released["releaseHold"]["__typename"] == "HoldReleased"
            for changes in (ws, sse):
                seen = change(await changes.next())
                assert (seen["reason"], starts(seen["added"])) == ("RELEASED", taken(start))
            again = (await graphql(first, HOLD, hold))["holdSlot"]
            assert again["__typename"] == "SlotHeld", again
            for expected in ("HELD", "EXPIRED"):
                for changes in (ws, sse):
                    seen = change(await changes.next())
                    moved = seen["removed"] if expected == "HELD" else seen["added"]
                    assert (seen["reason"], starts(moved)) == (expected, taken(start))


async def test_a_booking_made_on_the_sandbox_arrives_through_its_signed_webhook(
    redis_server: RedisServer,
) -> None:
    port = free_port()
    hook = {
        "SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/hubspot",
        "SANDBOX_CLIENT_SECRET": SECRET,
    }
    with served_sandbox(hook) as sandbox:
        async with replicas(redis_server, sandbox, port, HUBSPOT_CLIENT_SECRET=SECRET) as (
            first,
            second,
        ):
            start = await first_start(first)
            async with subscribers(second) as (ws, sse), httpx.AsyncClient() as http:
                # Straight to the sandbox, as a visitor of HubSpot's own booking page would.
                made = await http.post(
                    f"{sandbox}{REST_BOOK}", json=booking_body(SLUG, start, 1_800_000)
                )
                assert made.status_code == 200, made.text
                for changes in (ws, sse):
                    seen = change(await changes.next())
                    assert (seen["reason"], starts(seen["removed"])) == (
                        "UPSTREAM_CHANGED",
                        taken(start),
                    )
                counts = (await http.get(f"{sandbox}/_sandbox/webhooks")).json()
            assert counts == {"delivered": 1, "attempts": 1, "failed": 0}
            assert first.runtime.watches.stats.webhooks == {"accepted": 1, "applied": 1}


async def test_without_a_webhook_the_change_arrives_when_the_cached_pages_expire(
    redis_server: RedisServer,
) -> None:
    with served_sandbox() as sandbox:
        async with replicas(redis_server, sandbox, GATEWAY_AVAILABILITY_TTL="1") as (
            first,
            second,
        ):
            start = await first_start(first)
            async with subscribers(second) as (ws, sse), httpx.AsyncClient() as http:
                made = await http.post(
                    f"{sandbox}{REST_BOOK}", json=booking_body(SLUG, start, 1_800_000)
                )
                assert made.status_code == 200, made.text
                for changes in (ws, sse):
                    seen = change(await changes.next())
                    assert (seen["reason"], starts(seen["removed"])) == (
                        "UPSTREAM_CHANGED",
                        taken(start),
                    )
