"""Slot holds across two replicas on one real Redis, over one sandbox on a loopback port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tests.rest.api import BOOK as REST_BOOK
from tests.rest.api import availability_path, booking_body, booking_info_path
from tests.support.bookings import booking
from tests.support.harness import Gateway, operation
from tests.support.redis_server import RedisServer
from tests.support.replicas import (
    replica,
    replica_environ,
    scrape,
    value,
)

AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
HOLD = operation("HoldSlot")
RELEASE = operation("ReleaseHold")
RENEW = operation("RenewHold")
PERSONAL = "mel-nelson"
# Mel is a member of this group link too: a hold on her personal link takes its slot.
GROUP = "acme-team/group-review"
WAIT = 20.0
# Where REST shows a month's slots: the availability page, and the booking info's first month.
REST_PATHS = (availability_path, booking_info_path)


def hold_input(start: str, slug: str = PERSONAL, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "slug": slug,
            "start": start,
            "durationMinutes": 30,
            "timeZone": "UTC",
            **extra,
        }
    }


async def graph_starts(gateway: Gateway, slug: str) -> set[str]:
    data = await gateway.data(
        AVAILABILITY, {"slug": slug, "timeZone": "UTC", "durationMinutes": 30}
    )
    return {slot["start"] for slot in data["meetingLink"]["availability"]["slots"]}


async def rest_starts_ms(
    gateway: Gateway, slug: str, path: Callable[[str], str] = availability_path
) -> set[int]:
    """The 30-minute starts of the first month, on the availability page (or, with
    ``booking_info_path``, as the booking info embeds it)."""
    response = await gateway.http.get(path(slug), params={"timezone": "UTC"})
    assert response.status_code == 200, response.text
    by_duration = response.json()["linkAvailability"]["linkAvailabilityByDuration"]
    spans = by_duration.get("1800000", {}).get("availabilities", [])
    return {span["startMillisUtc"] for span in spans}


def ms(start: str) -> int:
    return int(datetime.fromisoformat(start).timestamp() * 1000)


async def shared_starts(gateway: Gateway) -> list[str]:
    """The 30-minute starts both the personal and the group link offer."""
    return sorted(await graph_starts(gateway, PERSONAL) & await graph_starts(gateway, GROUP))


async def eventually(check: Callable[[], Awaitable[bool]], within: float = WAIT) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "the state never came"
        await asyncio.sleep(0.05)


async def hold(gateway: Gateway, start: str, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gateway.data(HOLD, hold_input(start, **extra)))["holdSlot"]
    return result


async def test_100_concurrent_holds_over_two_replicas_grant_one(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(redis_server, sandbox_url)
    async with replica(environ) as first, replica(environ) as second:
        start = sorted(await graph_starts(first, PERSONAL))[3]
        await graph_starts(second, PERSONAL)  # both replicas know the link: reads are cached
        before = await first.calls()
        results = await asyncio.gather(
            *(hold(first if i % 2 else second, start) for i in range(100))
        )
        after = await first.calls()
        kinds = [result["__typename"] for result in results]
        assert kinds.count("SlotHeld") == 1, kinds
        assert kinds.count("SlotUnavailable") == 99, kinds
        assert after.get("book", 0) == before.get("book", 0)
        # One fresh read of the slot's month per replica, shared by its concurrent holds.
        assert after["availability"] - before["availability"] == 2
        granted = sum(
            [
                value(await scrape(g), "gateway_slot_holds_total", event="granted")
                for g in (first, second)
            ]
        )
        refused = sum(
            [
                value(await scrape(g), "gateway_slot_holds_total", event="refused")
                for g in (first, second)
            ]
        )
        assert (granted, refused) == (1, 99)


async def test_a_hold_hides_its_slot_everywhere_and_only_its_id_books_it(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(redis_server, sandbox_url)
    async with replica(environ) as first, replica(environ) as second:
        start = (await shared_starts(first))[0]
        # Cached on both replicas before the hold: the hold must drop what they keep.
        for gateway in (first, second):
            assert start in await graph_starts(gateway, PERSONAL)
            for path in REST_PATHS:
                assert ms(start) in await rest_starts_ms(gateway, GROUP, path)
        held = await hold(first, start)
        assert held["__typename"] == "SlotHeld", held
        hold_id = held["hold"]["id"]
        for gateway in (first, second):
            for slug in (PERSONAL, GROUP):
                assert start not in await graph_starts(gateway, slug)
                for path in REST_PATHS:
                    assert ms(start) not in await rest_starts_ms(gateway, slug, path)

        before = (await first.calls()).get("book", 0)
        refused = (await second.data(BOOK, booking(PERSONAL, start, 30)))["bookMeeting"]
        assert refused["__typename"] == "SlotUnavailable", refused
        on_group = (await second.data(BOOK, booking(GROUP, start, 30)))["bookMeeting"]
        assert on_group["__typename"] == "SlotUnavailable", on_group
        rest = await second.http.post(REST_BOOK, json=booking_body(PERSONAL, start, 1_800_000))
        assert rest.status_code == 400, rest.text
        assert "MEETING_START_TIME_NOT_VALID" in rest.text
        assert (await first.calls()).get("book", 0) == before

        booked = (await second.data(BOOK, booking(PERSONAL, start, 30, holdId=hold_id)))[
            "bookMeeting"
        ]
        assert booked["__typename"] == "BookingConfirmed", booked
        assert (await first.calls()).get("book", 0) == before + 1
        # Consumed by its booking.
        released = (await first.data(RELEASE, {"id": hold_id}))["releaseHold"]
        assert released["__typename"] == "HoldNotFound"
        consumed = value(await scrape(second), "gateway_slot_holds_total", event="consumed")
        assert consumed == 1


async def test_a_released_hold_gives_its_slot_back_on_both_replicas(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(redis_server, sandbox_url)
    async with replica(environ) as first, replica(environ) as second:
        start = (await shared_starts(first))[5]
        held = await hold(first, start)
        assert held["__typename"] == "SlotHeld", held
        assert start not in await graph_starts(second, PERSONAL)
        # Another hold's id does not open the slot either.
        other_start = sorted(await graph_starts(first, PERSONAL))[6]
        other = await hold(second, other_start)
        assert other["__typename"] == "SlotHeld", other
        before = (await first.calls()).get("book", 0)
        wrong = booking(PERSONAL, start, 30, holdId=other["hold"]["id"])
        assert (await first.data(BOOK, wrong))["bookMeeting"]["__typename"] == "SlotUnavailable"
        assert (await first.calls()).get("book", 0) == before

        released = (await second.data(RELEASE, {"id": held["hold"]["id"]}))["releaseHold"]
        assert released == {"__typename": "HoldReleased", "id": held["hold"]["id"]}
        for gateway in (first, second):
            assert start in await graph_starts(gateway, PERSONAL)
            assert ms(start) in await rest_starts_ms(gateway, GROUP)
        again = (await first.data(RELEASE, {"id": held["hold"]["id"]}))["releaseHold"]
        assert again["__typename"] == "HoldNotFound"
        assert value(await scrape(second), "gateway_slot_holds_total", event="released") == 1


async def test_a_hold_expires_by_itself_and_renewals_stop_at_the_cap(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(
        redis_server, sandbox_url, GATEWAY_HOLD_TTL="5", GATEWAY_HOLD_MAX_RENEWALS="1"
    )
    async with replica(environ) as first, replica(environ) as second:
        start = (await shared_starts(first))[7]
        held = await hold(first, start)
        assert held["__typename"] == "SlotHeld", held
        hold_id = held["hold"]["id"]
        renewed = (await second.data(RENEW, {"id": hold_id}))["renewHold"]
        assert renewed["__typename"] == "SlotHeld", renewed
        capped = (await first.data(RENEW, {"id": hold_id}))["renewHold"]
        assert capped["__typename"] == "HoldRenewalLimitReached", capped
        assert start not in await graph_starts(second, PERSONAL)

        async def back() -> bool:
            return start in await graph_starts(second, PERSONAL)

        await eventually(back)
        assert ms(start) in await rest_starts_ms(first, GROUP)
        gone = (await first.data(RENEW, {"id": hold_id}))["renewHold"]
        assert gone["__typename"] == "HoldNotFound"
        expired = sum(
            [
                value(await scrape(g), "gateway_slot_holds_total", event="expired")
                for g in (first, second)
            ]
        )
        assert expired == 1


async def test_an_expired_hold_books_when_free_and_answers_hold_expired_when_taken(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(redis_server, sandbox_url, GATEWAY_HOLD_TTL="1")
    async with replica(environ) as first, replica(environ) as second:
        starts = sorted(await graph_starts(first, PERSONAL))
        free_start, taken_start = starts[9], starts[11]
        free_hold = (await hold(first, free_start))["hold"]["id"]
        taken_hold = (await hold(first, taken_start))["hold"]["id"]

        async def both_expired() -> bool:
            found = await graph_starts(second, PERSONAL)
            return free_start in found and taken_start in found

        await eventually(both_expired)
        someone_else = await hold(second, taken_start, idempotencyKey="other-visitor")
        assert someone_else["__typename"] == "SlotHeld", someone_else
        before = (await first.calls()).get("book", 0)
        late = booking(PERSONAL, taken_start, 30, holdId=taken_hold)
        assert (await first.data(BOOK, late))["bookMeeting"]["__typename"] == "HoldExpired"
        assert (await first.calls()).get("book", 0) == before
        on_time = booking(PERSONAL, free_start, 30, holdId=free_hold)
        answer = (await first.data(BOOK, on_time))["bookMeeting"]
        assert answer["__typename"] == "BookingConfirmed", answer


async def test_holds_with_redis_gone_answer_typed_and_reads_go_on(
    own_redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(own_redis_server, sandbox_url)
    async with replica(environ) as gateway:
        starts = sorted(await graph_starts(gateway, PERSONAL))
        held = await hold(gateway, starts[11])
        assert held["__typename"] == "SlotHeld", held
        own_redis_server.stop()

        refused = await hold(gateway, starts[12])
        assert refused["__typename"] == "UpstreamUnavailable", refused
        assert "holds" in refused["message"]
        for document, name in ((RELEASE, "releaseHold"), (RENEW, "renewHold")):
            answer = (await gateway.data(document, {"id": held["hold"]["id"]}))[name]
            assert answer["__typename"] == "HoldNotFound", answer
        # Reads show every offered slot; holds are not enforced while Redis is away.
        assert starts[11] in await graph_starts(gateway, PERSONAL)
        assert ms(starts[11]) in await rest_starts_ms(gateway, PERSONAL)
        booked = (await gateway.data(BOOK, booking(PERSONAL, starts[13], 30)))["bookMeeting"]
        assert booked["__typename"] == "BookingConfirmed", booked
