"""Redis going away and coming back, seen from a client: recovery costs no more upstream calls
than the outage itself would have, and what was invalidated meanwhile stays invalidated."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.bookings import booking
from tests.support.doubles import eventually
from tests.support.harness import Gateway, operation, running_gateway
from tests.support.redis_server import RedisServer

AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
LINKS = "{ meetingLinks(first: 5) { totalCount nodes { slug } } }"
BOOKING_INFO = "/scheduler/v3/meetings/meeting-links/book/lena-fischer%2Fproduct-demo"
SLUGS = ("mel-nelson", "priya-raman")


async def read_everything(gateway: Gateway) -> list[Any]:
    """The same reads every time: two links' availability, the link list, a booking info."""
    answers: list[Any] = []
    for slug in SLUGS:
        data = await gateway.data(
            AVAILABILITY, {"slug": slug, "timeZone": "UTC", "durationMinutes": 30}
        )
        answers.append(data["meetingLink"]["availability"]["slots"])
    answers.append(await gateway.data(LINKS))
    info = await gateway.http.get(BOOKING_INFO, params={"timezone": "UTC"})
    assert info.status_code == 200, info.text
    answers.append(info.json())
    return answers


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


async def test_redis_coming_back_is_not_worse_than_redis_gone(
    own_redis_server: RedisServer,
) -> None:
    async with running_gateway({"REDIS_URL": own_redis_server.url}) as gateway:
        cache = gateway.runtime.cache
        await cache.start()
        warm = await read_everything(gateway)
        own_redis_server.stop()

        # A booking during the outage: its invalidation reaches this process's L1 at once and
        # Redis only later (retried in the background).
        start = warm[0][0]["start"]
        booked = await gateway.data(
            BOOK,
            booking("mel-nelson", start, 30, timeZone="UTC"),
        )
        assert booked["bookMeeting"]["__typename"] == "BookingConfirmed", booked
        before = await gateway.calls()
        during = await read_everything(gateway)
        # The booked link is read again, once (its booking info, with the month it embeds);
        # nothing else is.
        reloaded = spent(before, await gateway.calls())
        assert reloaded == {"booking_info": 1}
        assert start not in {slot["start"] for slot in during[0]}
        assert during[1:] == warm[1:]
        # What the same reads cost while Redis stays away: nothing.
        steady = await gateway.calls()
        assert await read_everything(gateway) == during
        assert await gateway.calls() == steady

        own_redis_server.start()
        await eventually(lambda: cache.stats.resyncs == 1, within=20)
        async with asyncio.timeout(20):
            await cache.drain()  # the check of L1, and the booking's invalidation reaching Redis
        after = await read_everything(gateway)
        assert await gateway.calls() == steady, "recovery cost upstream calls the outage did not"
        assert after == during  # the booking's invalidation is still honoured
        assert cache.stats.resync_drops == 0
