"""Two gateway replicas on one real Redis and one upstream, as they run behind a Service.

The upstream is one sandbox process on a loopback port (``meetings-gateway sandbox``), so both
replicas see the same bookings; each replica is a full app with its lifespan. What they share
goes through Redis alone: L2 entries, invalidations (pub/sub), the rate budget. ``/metrics``
on each shows its own share of the traffic.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.harness import NOW, Gateway, operation
from tests.e2e.test_booking import booking
from tests.redis_server import RedisServer, free_port
from tests.support.served import served as serve

# The default API version: the one these replicas call.
VERSION = Settings().hubspot_api_version
ROOT = Path(__file__).resolve().parents[2]
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
LINKS_BY_NAME = (
    "query LinksByName($name: String) { meetingLinks(first: 1, name: $name) { totalCount } }"
)


@contextmanager
def served_sandbox(environ: dict[str, str] | None = None) -> Iterator[str]:
    """``meetings-gateway sandbox`` in its own process on a free loopback port; its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "HUBSPOT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "sandbox", "--port", str(port)],
        cwd=ROOT,
        env={**env, "SANDBOX_NOW": NOW, **(environ or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/_sandbox/calls", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the sandbox did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with served_sandbox() as base:
        yield base


@asynccontextmanager
async def replica(environ: dict[str, str]) -> AsyncIterator[Gateway]:
    app = create_app(Settings.from_environ(environ))
    async with serve(app) as server:
        await server.runtime.cache.start()  # subscribed before any other replica books
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=server), base_url="http://gw"
            ) as http,
            httpx.AsyncClient(base_url=environ["HUBSPOT_BASE_URL"]) as upstream,
        ):
            yield Gateway(app, http, upstream, server.runtime)


def replica_environ(redis: RedisServer, sandbox: str, **extra: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis.url,
        "SANDBOX_NOW": NOW,
        "HUBSPOT_BASE_URL": sandbox,
        # A tenant of its own per test: nothing cached by other tests on this Redis is shared.
        "HUBSPOT_ACCESS_TOKEN": f"pat-na1-{uuid.uuid4()}",
        **extra,
    }


async def scrape(gateway: Gateway) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await gateway.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def slot_starts(gateway: Gateway) -> list[str]:
    data = await gateway.data(
        AVAILABILITY, {"slug": "mel-nelson", "timeZone": "UTC", "durationMinutes": 30}
    )
    return [slot["start"] for slot in data["meetingLink"]["availability"]["slots"]]


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
                endpoint="availability",
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
                endpoint="availability",
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
