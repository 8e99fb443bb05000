"""The gateway against a misbehaving upstream: a 429 storm, a run of 5xx, latency beyond the
deadline, an upstream not listening, and two gateways sharing one rate budget through Redis.

Each fault scenario warms the cache, lets it go stale (TTLs of 0.2 s), breaks the upstream
through the sandbox's fault knobs, then sends waves of requests: some for the warm link (they
must get stale data), some for a link never read (they must get a typed upstream error). It
counts the upstream calls, the retries and the slowest answer, prints them (``pytest -s``),
and checks that no answer was a 500 or came later than the deadline (plus a generous second:
a functional bound, not a speed measurement).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn

from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.support.bookings import booking
from tests.support.harness import NOW, Gateway, operation, running_gateway
from tests.support.redis_server import RedisServer, free_port

AVAILABILITY = operation("MeetingLinkAvailability")
LINKS = operation("ListMeetingLinks")
DEADLINE = 2.0
WARM = {"slug": "mel-nelson", "timeZone": "UTC", "first": 3}
COLD = {"slug": "lena-fischer/product-demo", "timeZone": "UTC", "first": 3}
ENVIRON = {
    "GATEWAY_RESPONSE_CACHE": "off",  # so that answers show the data layer's stale flag
    "GATEWAY_LINKS_TTL": "0.2",
    "GATEWAY_BOOKING_INFO_TTL": "0.2",
    "GATEWAY_AVAILABILITY_TTL": "0.2",
    "GATEWAY_REQUEST_DEADLINE": str(DEADLINE),
    "GATEWAY_UPSTREAM_BREAKER_COOLDOWN": "1",
}


@dataclass
class Figures:
    scenario: str
    requests: int = 0
    upstream_calls: int = 0
    retries: int = 0
    max_latency: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    warm_stale: int = 0
    warm_fresh: int = 0
    warm_failed: int = 0
    cold_codes: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return (
            f"[{self.scenario}] requests={self.requests} upstream_calls={self.upstream_calls} "
            f"retries={self.retries} max_latency={self.max_latency:.2f}s "
            f"statuses={dict(self.statuses)} warm: stale={self.warm_stale} "
            f"fresh={self.warm_fresh} failed={self.warm_failed} cold={dict(self.cold_codes)}"
        )


async def ask(gateway: Gateway, variables: Mapping[str, Any]) -> tuple[float, int, Any]:
    started = time.monotonic()
    response = await gateway.http.post(
        "/graphql", json={"query": AVAILABILITY, "variables": dict(variables)}
    )
    return time.monotonic() - started, response.status_code, response.json()


async def barrage(gateway: Gateway, figures: Figures, waves: int = 6, gap: float = 0.15) -> None:
    """Waves of three requests for the warm link and one for a cold one."""
    for _ in range(waves):
        answers = await asyncio.gather(*(ask(gateway, WARM) for _ in range(3)), ask(gateway, COLD))
        for index, (took, status, body) in enumerate(answers):
            figures.requests += 1
            figures.max_latency = max(figures.max_latency, took)
            figures.statuses[status] += 1
            link = (body.get("data") or {}).get("meetingLink") or {}
            availability = link.get("availability")
            if index < 3:
                if availability is None:
                    figures.warm_failed += 1
                elif availability["stale"]:
                    figures.warm_stale += 1
                else:
                    figures.warm_fresh += 1
            else:
                for error in body.get("errors") or [{"extensions": {"code": "none"}}]:
                    figures.cold_codes[error["extensions"]["code"]] += 1
        await asyncio.sleep(gap)
    await gateway.runtime.cache.drain()  # the refreshes the waves started


async def faults(gateway: Gateway, **knobs: Any) -> None:
    response = await gateway.sandbox.put("/_sandbox/faults", json=knobs)
    assert response.status_code == 200, response.text


async def total_calls(gateway: Gateway) -> int:
    return sum((await gateway.calls()).values())


async def warm(gateway: Gateway) -> None:
    data = await gateway.data(AVAILABILITY, WARM)
    assert data["meetingLink"]["availability"]["slots"]
    await asyncio.sleep(0.3)  # every entry is past its TTL now


def check(figures: Figures, cold_code: str) -> None:
    print(figures)
    assert set(figures.statuses) == {200}, figures
    assert figures.max_latency <= DEADLINE + 1.0, figures
    assert figures.warm_failed == 0, figures
    assert figures.warm_stale > 0, figures
    assert set(figures.cold_codes) == {cold_code}, figures


async def test_a_429_storm_is_met_by_the_budget_not_hammered() -> None:
    async with running_gateway(ENVIRON) as gateway:
        await warm(gateway)
        await faults(gateway, rateLimit=1)
        # Another client of the same HubSpot app spends the limit.
        await gateway.sandbox.get("/scheduler/v3/meetings/meeting-links")
        before = await total_calls(gateway)
        figures = Figures("429 storm")
        await barrage(gateway, figures)
        stats = gateway.runtime.client.stats
        figures.upstream_calls = await total_calls(gateway) - before
        figures.retries = stats.retries
        check(figures, "UPSTREAM_RATE_LIMITED")
        assert figures.warm_fresh == 0
        # The first wave's refreshes meet the 429 and pause everyone for its Retry-After.
        assert 1 <= figures.upstream_calls <= 6, figures
        assert stats.budget_refusals >= figures.requests // 2, stats
        assert figures.retries == 0, figures


async def test_a_run_of_5xx_opens_the_breaker_and_stale_data_is_served() -> None:
    async with running_gateway(ENVIRON) as gateway:
        await warm(gateway)
        await faults(gateway, errorRate=1.0)
        before = await total_calls(gateway)
        figures = Figures("5xx run")
        await barrage(gateway, figures)
        stats = gateway.runtime.client.stats
        figures.upstream_calls = await total_calls(gateway) - before
        figures.retries = stats.retries
        check(figures, "UPSTREAM_UNAVAILABLE")
        assert stats.breaker_opens >= 1, stats
        assert stats.breaker_rejections > 0, stats
        # Retries: at most the retry budget's floor of 2 plus 10% of the calls.
        assert figures.retries <= 2 + 0.1 * figures.upstream_calls, figures
        # Five failures open the breaker; each cooldown (1 s) lets one probe through.
        assert figures.upstream_calls <= 5 + figures.retries + 3, figures

        await faults(gateway, errorRate=0.0)
        await asyncio.sleep(1.1)  # the cooldown: the next call is the probe
        # The probe is one of the stale entries' refreshes; the others, refused while it ran,
        # refresh on the next requests. Fresh data is back within a few requests.
        stale = True
        for _ in range(5):
            _, _, body = await ask(gateway, WARM)
            stale = body["data"]["meetingLink"]["availability"]["stale"]
            if not stale:
                break
            await gateway.runtime.cache.drain()
        assert stale is False
        assert gateway.runtime.client.stats.breaker == "closed"


async def test_latency_beyond_the_deadline_answers_within_it() -> None:
    async with running_gateway(ENVIRON) as gateway:
        await warm(gateway)
        await faults(gateway, latencyMs=4000)
        before = await total_calls(gateway)
        figures = Figures("latency 4 s, deadline 2 s")
        await barrage(gateway, figures, waves=3)
        stats = gateway.runtime.client.stats
        figures.upstream_calls = await total_calls(gateway) - before
        figures.retries = stats.retries
        check(figures, "UPSTREAM_UNAVAILABLE")
        assert stats.deadline_exceeded >= 1, stats
        assert figures.retries == 0, figures  # no time left for one
        assert figures.upstream_calls <= 10, figures


async def test_a_booking_out_of_time_is_reported_not_lost() -> None:
    async with running_gateway(ENVIRON) as gateway:
        data = await gateway.data(AVAILABILITY, {**WARM, "durationMinutes": 30})
        start = data["meetingLink"]["availability"]["slots"][0]["start"]
        await faults(gateway, latencyMs=4000)
        started = time.monotonic()
        response = await gateway.http.post(
            "/graphql",
            json={
                "query": operation("BookMeeting"),
                "variables": booking("mel-nelson", start, 30, timeZone="UTC"),
            },
        )
        took = time.monotonic() - started
        print(f"[booking under 4 s latency] status={response.status_code} took={took:.2f}s")
        assert response.status_code == 200
        assert took <= DEADLINE + 1.0
        result = response.json()["data"]["bookMeeting"]
        assert result["__typename"] == "UpstreamUnavailable", result


@asynccontextmanager
async def loopback_sandbox(port: int) -> AsyncIterator[uvicorn.Server]:
    app = create_sandbox_app(SandboxConfig(now=datetime.fromisoformat(NOW)))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the loopback sandbox did not start"
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


async def test_an_upstream_not_listening_is_met_with_stale_data() -> None:
    port = free_port()
    environ = {
        **ENVIRON,
        "HUBSPOT_ACCESS_TOKEN": "pat-test",
        "HUBSPOT_BASE_URL": f"http://127.0.0.1:{port}",
        "GATEWAY_UPSTREAM_CONNECT_TIMEOUT": "0.5",
    }
    async with running_gateway(environ) as gateway:
        async with loopback_sandbox(port):
            await warm(gateway)
        # The upstream is gone: its port refuses connections.
        await asyncio.sleep(0.1)
        figures = Figures("upstream not listening")
        stats = gateway.runtime.client.stats
        sent_before = stats.sent()
        await barrage(gateway, figures)
        stats = gateway.runtime.client.stats  # read again: the breaker's state as of now
        figures.upstream_calls = stats.sent() - sent_before  # attempts; none was received
        figures.retries = stats.retries
        check(figures, "UPSTREAM_UNAVAILABLE")
        refused = sum(n for (_, outcome), n in stats.calls.items() if outcome != "200")
        assert refused == figures.upstream_calls, stats.calls
        assert stats.breaker_opens >= 1, stats
        assert figures.upstream_calls <= 5 + figures.retries + 3, figures


async def test_two_gateways_share_one_budget_through_redis(
    own_redis_server: RedisServer,
) -> None:
    # A Redis of its own: no other test's calls may count in this window.
    environ = {
        **ENVIRON,
        "REDIS_URL": own_redis_server.url,
        "GATEWAY_UPSTREAM_RATE_LIMIT": "10",
        "GATEWAY_UPSTREAM_BOOKING_RESERVE": "0.2",
        "GATEWAY_UPSTREAM_BUDGET_WAIT": "0",
    }
    async with running_gateway(environ) as first, running_gateway(environ) as second:
        await first.runtime.cache.start()
        await second.runtime.cache.start()

        async def names(gateway: Gateway, prefix: str) -> list[dict[str, Any]]:
            # Each name is a page of its own: one upstream call per request.
            return [
                (
                    await gateway.http.post(
                        "/graphql",
                        json={"query": LINKS, "variables": {"name": f"{prefix}{n}", "first": 1}},
                    )
                ).json()
                for n in range(8)
            ]

        a, b = await asyncio.gather(names(first, "a"), names(second, "b"))
        answers = a + b
        upstream = await total_calls(first) + await total_calls(second)
        refused = [body for body in answers if body.get("errors")]
        codes = {error["extensions"]["code"] for body in refused for error in body["errors"]}
        stats = (first.runtime.client.stats, second.runtime.client.stats)
        print(
            f"[two gateways, one budget of 10 (8 for reads)] upstream_calls={upstream} "
            f"refused={len(refused)} of {len(answers)} "
            f"fallbacks={[s.budget_fallbacks for s in stats]}"
        )
        assert upstream == 8
        assert len(refused) == 8
        assert codes == {"UPSTREAM_RATE_LIMITED"}
        assert all(s.budget_fallbacks == 0 for s in stats)
        # The booking reserve is still there for either of them.
        page = await second.runtime.client.availability_page("mel-nelson", "UTC", 0, kind="booking")
        assert page.availability is not None
