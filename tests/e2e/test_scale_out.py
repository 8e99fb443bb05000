"""Two gateway replicas on one real Redis and one upstream, as they run behind a Service.

The upstream is one sandbox process on a loopback port (``meetings-gateway sandbox``), so both
replicas see the same bookings; each replica is a full app with its lifespan. What they share
goes through Redis alone: L2 entries, invalidations (pub/sub), the rate budget. ``/metrics``
on each shows its own share of the traffic.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from gateway.settings import Settings
from tests.support.bookings import booking
from tests.support.harness import operation
from tests.support.redis_server import RedisServer
from tests.support.replicas import (
    replica,
    replica_environ,
    scrape,
    slot_starts,
    value,
)

# The default API version: the one these replicas call.
VERSION = Settings().hubspot_api_version
ROOT = Path(__file__).resolve().parents[2]
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
LINKS_BY_NAME = (
    "query LinksByName($name: String) { meetingLinks(first: 1, name: $name) { totalCount } }"
)


async def test_a_booking_on_one_replica_drops_the_others_cached_availability(
    redis_server: RedisServer, sandbox_url: str
) -> None:
    environ = replica_environ(redis_server, sandbox_url)
    async with replica(environ) as first, replica(environ) as second:
        before = await first.calls()
        starts = await slot_starts(first)
        loaded = await first.calls()
        assert loaded != before  # the first replica read the upstream
        assert await slot_starts(second) == starts
        assert await first.calls() == loaded  # the second was answered from Redis

        result = (await first.data(BOOK, booking("mel-nelson", starts[0], 30)))["bookMeeting"]
        assert result["__typename"] == "BookingConfirmed", result

        # The TTL is 30 s; the invalidation reaches the second replica through Redis at once.
        for _ in range(100):  # two seconds at most, and no sleep once it is gone
            if starts[0] not in (now := await slot_starts(second)):
                break
            await asyncio.sleep(0.02)
        assert starts[0] not in now
        assert set(now) < set(starts)  # the booking only took slots away

        one, two = await scrape(first), await scrape(second)
        graphql = {"route": "/graphql", "status": "200"}
        assert (
            value(one, "gateway_requests_total", operation="MeetingLinkAvailability", **graphql)
            == 1
        )
        assert value(one, "gateway_requests_total", operation="BookMeeting", **graphql) == 1
        assert (
            value(two, "gateway_requests_total", operation="MeetingLinkAvailability", **graphql)
            >= 2
        )
        assert value(two, "gateway_requests_total", operation="BookMeeting", **graphql) == 0
        assert (
            value(
                one,
                "gateway_request_duration_seconds_count",
                route="/graphql",
                operation="BookMeeting",
            )
            == 1
        )
        # The first replica loaded from HubSpot; the second found it in Redis, then had its
        # copies dropped by the first one's booking and loaded again.
        assert value(one, "gateway_cache_misses_total") >= 1
        assert (
            value(
                one,
                "gateway_upstream_calls_total",
                endpoint="booking_info",  # with the month it embeds
                version=VERSION,
                outcome="200",
            )
            >= 1
        )
        assert (
            value(
                one, "gateway_upstream_calls_total", endpoint="book", version=VERSION, outcome="200"
            )
            == 1
        )
        assert (
            value(
                one,
                "gateway_upstream_request_duration_seconds_count",
                endpoint="book",
                version=VERSION,
            )
            == 1
        )
        assert value(two, "gateway_cache_hits_total", tier="l2") >= 1
        assert value(two, "gateway_cache_invalidations_total") >= 1
        assert (
            value(
                two, "gateway_upstream_calls_total", endpoint="book", version=VERSION, outcome="200"
            )
            == 0
        )
        assert (
            value(
                two,
                "gateway_upstream_calls_total",
                endpoint="booking_info",  # with the month it embeds
                version=VERSION,
                outcome="200",
            )
            >= 1
        )
        for samples in (one, two):
            assert value(samples, "gateway_cache_redis_breaker", state="closed") == 1
            assert value(samples, "gateway_upstream_breaker", state="closed") == 1


async def test_the_rate_budget_holds_across_replicas(
    own_redis_server: RedisServer, sandbox_url: str
) -> None:
    # 4 calls per 10 s, one of them kept for bookings: 3 reads for both replicas together.
    # A Redis of its own: no other test's calls may count in this window.
    environ = replica_environ(own_redis_server, sandbox_url, GATEWAY_UPSTREAM_RATE_LIMIT="4")
    async with replica(environ) as first, replica(environ) as second:
        before = (await first.calls()).get("list_links", 0)
        answers: list[dict[str, Any]] = []
        for index in range(6):
            gateway = first if index % 2 == 0 else second
            # A different name each time: no cache can answer, each needs an upstream call.
            answers.append(await gateway.execute(LINKS_BY_NAME, {"name": f"nobody-{index}"}))
        sent = (await first.calls()).get("list_links", 0) - before
        assert sent == 3
        refused = [a for a in answers if a.get("errors")]
        assert len(refused) == 3
        assert {a["errors"][0]["extensions"]["code"] for a in refused} == {"UPSTREAM_RATE_LIMITED"}

        one, two = await scrape(first), await scrape(second)
        refusals = value(one, "gateway_upstream_budget_refusals_total") + value(
            two, "gateway_upstream_budget_refusals_total"
        )
        assert refusals == 3
        calls = sum(
            value(
                samples,
                "gateway_upstream_calls_total",
                endpoint="list_links",
                version=VERSION,
                outcome="200",
            )
            for samples in (one, two)
        )
        assert calls == 3
