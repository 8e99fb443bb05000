"""Bursts of concurrent bookings on distinct free slots, with the default rate budget.

Each booking costs its POST and a fresh read of its start's month page; bookings of one page
share that read. A burst books everything when the window fits the POSTs plus one read per
page (and what else the window holds), else exactly as many as fit, oldest first; the rest are
refused as never sent (GraphQL ``UpstreamUnavailable`` with ``retryAfterSeconds``, REST 429
with ``Retry-After``), and the sandbox's call counts show that nothing more was sent. Reads
arriving during the burst never take the bookings' room. The slots are picked by reading
availability through the gateway first, and those reads are counted in the window too.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.rest.api import BOOK as REST_BOOK
from tests.rest.api import booking_body
from tests.support.bookings import booking
from tests.support.harness import Gateway, operation, running_gateway
from tests.support.redis_server import RedisServer
from tests.support.replicas import replica, replica_environ, served_sandbox

AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
LINKS_BY_NAME = (
    "query LinksByName($name: String) { meetingLinks(first: 1, name: $name) { totalCount } }"
)
# One link per member, so that no two links' bookings compete for one calendar.
LINKS = ("mel-nelson", "demo-call-02", "priya-raman", "arjun-shrestha", "olivia-hart")
MARCH = {"timeZone": "UTC", "durationMinutes": 30, "to": "2026-03-31T00:00:00Z"}
NOT_SENT = "the booking was not sent"

Pick = tuple[str, str]


def spaced(starts: list[str]) -> list[str]:
    """Starts at least an hour apart: no booking overlaps another's buffer."""
    kept: list[str] = []
    for start in starts:
        if not kept or datetime.fromisoformat(start) - datetime.fromisoformat(kept[-1]) >= (
            timedelta(hours=1)
        ):
            kept.append(start)
    return kept


async def free_slots(gateway: Gateway, count: int) -> list[Pick]:
    """``count`` free March slots, taken from the links in turn (one month page each)."""
    offered: list[list[str]] = []
    for slug in LINKS:
        data = await gateway.data(AVAILABILITY, {"slug": slug, **MARCH})
        offered.append(
            spaced([slot["start"] for slot in data["meetingLink"]["availability"]["slots"]])
        )
    picks: list[Pick] = []
    for index in range(count):
        slots = offered[index % len(LINKS)]
        picks.append((LINKS[index % len(LINKS)], slots[index // len(LINKS)]))
    return picks


async def book_over_graphql(gateway: Gateway, pick: Pick) -> tuple[bool, dict[str, Any]]:
    result = (await gateway.data(BOOK, booking(*pick, 30)))["bookMeeting"]
    return result["__typename"] == "BookingConfirmed", result


async def book_over_rest(gateway: Gateway, pick: Pick) -> tuple[bool, dict[str, Any]]:
    response = await gateway.http.post(REST_BOOK, json=booking_body(*pick, 30 * 60_000))
    return response.status_code == 200, {"status": response.status_code, **refusal(response)}


def refusal(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 200:
        return {}
    return {
        "message": response.json()["message"],
        "retryAfter": response.headers.get("Retry-After"),
    }


def check_refusals(results: list[tuple[bool, dict[str, Any]]]) -> None:
    """Every refusal is the typed, retryable one that says the booking was never sent."""
    for confirmed, result in results:
        if confirmed:
            continue
        if "status" in result:
            assert result["status"] == 429, result
            assert int(result["retryAfter"]) >= 1, result
        else:
            assert result["__typename"] == "UpstreamUnavailable", result
            assert result["retryAfterSeconds"] > 0, result
        assert NOT_SENT in result["message"], result


async def test_60_bookings_over_5_links_all_book_with_one_read_per_page() -> None:
    async with running_gateway() as gateway:
        picks = await free_slots(gateway, 60)
        before = await gateway.calls()
        results = await asyncio.gather(*(book_over_graphql(gateway, pick) for pick in picks))
        after = await gateway.calls()
        spent = {name: after[name] - before.get(name, 0) for name in after}
        print(
            f"[60 bookings, 5 links, budget 100] {Counter(r['__typename'] for _, r in results)} "
            f"upstream={spent} before={before}"
        )
        assert [confirmed for confirmed, _ in results] == [True] * 60
        assert spent == {"list_links": 0, "booking_info": 0, "availability": 5, "book": 60}


@pytest.mark.parametrize("limit", [100, 190])
async def test_100_bookings_book_what_the_window_fits_and_refuse_the_rest_unsent(
    limit: int,
) -> None:
    async with running_gateway({"GATEWAY_UPSTREAM_RATE_LIMIT": str(limit)}) as gateway:
        picks = await free_slots(gateway, 100)
        # Half over GraphQL, half over REST, interleaved.
        results = await asyncio.gather(
            *(
                (book_over_graphql if index % 2 == 0 else book_over_rest)(gateway, pick)
                for index, pick in enumerate(picks)
            )
        )
        calls = await gateway.calls()  # the whole run so far is within one 10 s window
        confirmed = sum(ok for ok, _ in results)
        reads = sum(calls.values()) - calls["book"]
        print(f"[100 bookings, 5 links, budget {limit}] confirmed={confirmed} upstream={calls}")
        assert calls["book"] == confirmed  # nothing refused was sent
        # The picking reads came with the booking infos; then one fresh read per page.
        assert calls["availability"] == 5
        assert confirmed == min(100, limit - reads)
        check_refusals(results)
        if limit == 100:
            assert confirmed < 100
            assert sum(calls.values()) == limit  # every call of the window, and no more


async def test_reads_during_a_burst_leave_the_bookings_their_room() -> None:
    async with running_gateway({"GATEWAY_UPSTREAM_BUDGET_WAIT": "0.2"}) as gateway:
        picks = await free_slots(gateway, 60)
        before = await gateway.calls()
        # Slow answers keep the bookings in flight while the reads arrive.
        await gateway.sandbox.put("/_sandbox/faults", json={"latencyMs": 300})
        bookings = asyncio.gather(*(book_over_graphql(gateway, pick) for pick in picks))
        for _ in range(500):  # until the bookings' month reads are at the upstream
            if (await gateway.calls())["availability"] > before["availability"]:
                break
            await asyncio.sleep(0.01)
        # A flood of reads no cache can answer: each needs a call of its own.
        flood = await asyncio.gather(
            *(gateway.execute(LINKS_BY_NAME, {"name": f"nobody-{n}"}) for n in range(100))
        )
        results = await bookings
        calls = await gateway.calls()
        spent = {name: calls[name] - before.get(name, 0) for name in calls}
        answered = sum(1 for body in flood if not body.get("errors"))
        print(
            f"[60 bookings under a flood of 100 reads] upstream={spent} flood answered={answered}"
        )
        assert [confirmed for confirmed, _ in results] == [True] * 60
        assert spent["book"] == 60
        assert spent["availability"] == 5
        # The reads had what the bookings did not hold, and no more.
        assert answered == spent["list_links"] == 100 - sum(before.values()) - 65
        assert sum(calls.values()) == 100


@pytest.fixture(scope="module")
def burst_sandbox() -> Iterator[str]:
    with served_sandbox() as base:
        yield base


async def warm_connections(gateway: Gateway) -> None:
    """Open the Redis connections a replica in service already has: connecting dozens at once
    while a burst keeps the loop busy outlasts Redis's 0.25 s connect timeout, and so, on a
    loaded machine, may 32 at once here: four at a time, kept open by each round's successor."""
    runtime = gateway.runtime
    assert runtime.redis is not None
    pool = runtime.redis.client.connection_pool
    held: list[object] = []
    for _ in range(8):
        opening = (pool.get_connection() for _ in range(4))  # type: ignore[no-untyped-call]
        held.extend(await asyncio.gather(*opening))
    for connection in held:
        await pool.release(connection)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [60, 100])
async def test_a_burst_split_over_two_replicas_shares_one_budget(
    redis_server: RedisServer, burst_sandbox: str, count: int
) -> None:
    # A tenant of its own per run, so its window in Redis holds this run's calls alone.
    environ = replica_environ(redis_server, burst_sandbox)
    async with replica(environ) as first, replica(environ) as second:
        start = await first.calls()
        picks = await free_slots(first, count)
        for gateway in (first, second):
            await warm_connections(gateway)
        before = await first.calls()
        results = await asyncio.gather(
            *(
                book_over_graphql(first if index % 2 == 0 else second, pick)
                for index, pick in enumerate(picks)
            )
        )
        after = await first.calls()
        spent = {name: after[name] - before.get(name, 0) for name in after}
        window = sum(after.values()) - sum(start.values())
        confirmed = sum(ok for ok, _ in results)
        fallbacks = [g.runtime.client.stats.budget_fallbacks for g in (first, second)]
        print(f"[{count} bookings over two replicas, budget 100] {confirmed=} upstream={spent}")
        assert spent["book"] == confirmed  # nothing refused was sent
        check_refusals(results)
        # Each replica's bookings share its reads: one per page per replica at most.
        assert spent["availability"] <= 2 * len(LINKS)
        assert fallbacks == [0, 0]  # the one window in Redis decided every call
        if count == 60:
            assert confirmed == 60
            assert spent["availability"] == 2 * len(LINKS)
        else:
            assert window == 100  # the one budget both replicas spend, filled and no more
            assert confirmed == 100 - (window - spent["book"])
