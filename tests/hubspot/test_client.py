"""The client's resilience against the real sandbox (in process) and a closed loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from gateway.breaker import Breaker
from gateway.deadline import deadline_after
from gateway.errors import (
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from gateway.hubspot.budget import BudgetShape, WindowBudget
from gateway.hubspot.client import HubSpotClient, build_http_client
from gateway.hubspot.models import BookingRequest
from gateway.hubspot.retry import RetryBudget
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.settings import Settings
from tests.support.redis_server import free_port

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
REQUEST = BookingRequest(
    slug="mel-nelson",
    first_name="Alex",
    last_name="Morgan",
    email="alex.morgan@acme-corp.io",
    start_ms=int(datetime(2026, 3, 3, 15, tzinfo=UTC).timestamp() * 1000),
    duration_ms=30 * 60_000,
    timezone="UTC",
)


class Upstream:
    def __init__(self, app: Starlette, control: httpx.AsyncClient) -> None:
        self.app = app
        self.control = control

    async def faults(self, **knobs: Any) -> None:
        response = await self.control.put("/_sandbox/faults", json=knobs)
        assert response.status_code == 200, response.text

    async def calls(self) -> int:
        counts: dict[str, int] = (await self.control.get("/_sandbox/calls")).json()
        return sum(counts.values())


@asynccontextmanager
async def sandbox() -> AsyncIterator[Upstream]:
    app = create_sandbox_app(SandboxConfig(now=NOW, seed=7))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as control:
        yield Upstream(app, control)


def client_on(upstream: Upstream | None, **parts: Any) -> HubSpotClient:
    if upstream is None:
        http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{free_port()}", timeout=httpx.Timeout(2.0, connect=0.5)
        )
    else:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=upstream.app), base_url="http://sandbox.invalid"
        )
    return HubSpotClient(http, **parts)


async def test_reads_are_tried_three_times_within_the_retry_budget() -> None:
    async with sandbox() as upstream:
        await upstream.faults(errorRate=1.0)
        client = client_on(upstream, retry_budget=RetryBudget(0.1, min_retries=3))
        with pytest.raises(UpstreamUnavailable):
            await client.list_links(limit=1)
        assert await upstream.calls() == 3
        with pytest.raises(UpstreamUnavailable):
            await client.list_links(limit=1)
        # One retry left in the budget (3 + 10% of 2 calls).
        assert await upstream.calls() == 5
        assert client.stats.retries == 3
        assert client.stats.retries_refused == 1
        assert client.stats.sent() == 5


async def test_a_4xx_is_neither_retried_nor_a_failure() -> None:
    async with sandbox() as upstream:
        client = client_on(upstream, breaker=Breaker(1, 5.0))
        with pytest.raises(UpstreamValidationError):
            await client.availability_page("mel-nelson", "Not/AZone", 0)
        assert await upstream.calls() == 1
        assert client.stats.breaker == "closed"


async def test_the_breaker_opens_and_answers_at_once() -> None:
    async with sandbox() as upstream:
        await upstream.faults(errorRate=1.0)
        client = client_on(upstream, breaker=Breaker(2, 30.0))
        with pytest.raises(UpstreamUnavailable):
            await client.list_links(limit=1)
        assert await upstream.calls() == 2  # the second failure opened it; no third attempt
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.booking_info("mel-nelson", "UTC")
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 29
        assert await upstream.calls() == 2
        assert client.stats.breaker == "open"
        assert client.stats.breaker_opens == 1
        assert client.stats.breaker_rejections == 2


async def test_a_booking_that_reached_hubspot_is_never_sent_twice() -> None:
    async with sandbox() as upstream:
        await upstream.faults(errorRate=1.0)
        client = client_on(upstream)
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.book(REQUEST)
        assert "outcome is unknown" in caught.value.message
        assert await upstream.calls() == 1
        assert isinstance(caught.value, UpstreamOutcomeUnknown)
        await upstream.faults(errorRate=0.0, latencyMs=2000)
        impatient = HubSpotClient(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=upstream.app),
                base_url="http://sandbox.invalid",
                timeout=httpx.Timeout(0.3, connect=0.1),
            )
        )
        assert impatient.booking_limit == pytest.approx(0.4)
        with pytest.raises(UpstreamOutcomeUnknown) as caught:
            await impatient.book(REQUEST)
        assert "outcome is unknown" in caught.value.message
        assert await upstream.calls() == 2
        assert client.stats.retries == impatient.stats.retries == 0


async def test_a_booking_outlives_the_requests_deadline() -> None:
    # Its own bound is the connect plus the read timeout: a client that stops waiting for it
    # must not cut it short, or its answer would be lost.
    async with sandbox() as upstream:
        client = client_on(upstream)
        page = await client.availability_page("mel-nelson", "UTC", 0)
        assert page.availability is not None
        start_ms = page.availability.by_duration[REQUEST.duration_ms][0].start_ms
        await upstream.faults(latencyMs=500)
        with deadline_after(0.1):
            response = await client.book(replace(REQUEST, start_ms=start_ms))
        assert response.start == datetime.fromtimestamp(start_ms / 1000, UTC)
        assert await upstream.calls() == 2


async def test_a_booking_that_never_left_is_sent_again_and_said_so() -> None:
    client = client_on(None)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.book(REQUEST)
    assert "was not sent" in caught.value.message
    assert client.stats.calls[("book", "connect-error")] == 3
    assert client.stats.retries == 2


async def test_a_slow_read_ends_at_the_deadline() -> None:
    async with sandbox() as upstream:
        await upstream.faults(latencyMs=3000)
        client = client_on(upstream)
        with deadline_after(0.3), pytest.raises(UpstreamUnavailable) as caught:
            await client.list_links(limit=1)
        assert "deadline" in caught.value.message
        assert client.stats.deadline_exceeded == 1
        assert await upstream.calls() == 1


async def test_a_429_pauses_the_budget_and_is_not_hammered() -> None:
    async with sandbox() as upstream:
        await upstream.faults(rateLimit=1)
        # Another client of the same app spends HubSpot's limit.
        await upstream.control.get("/scheduler/v3/meetings/meeting-links")
        client = client_on(upstream, budget_wait=0.5)
        with pytest.raises(UpstreamRateLimited) as caught:
            await client.list_links(limit=2)
        assert caught.value.retry_after is not None
        assert caught.value.retry_after >= 1
        assert await upstream.calls() == 2
        with pytest.raises(UpstreamRateLimited):
            await client.list_links(limit=3)  # the pause answers, not HubSpot
        assert await upstream.calls() == 2
        assert client.stats.calls[("list_links", "429")] == 1
        assert client.stats.budget_refusals == 1
        assert client.stats.retries == 0


async def test_bookings_keep_their_reserve_when_reads_are_spent() -> None:
    async with sandbox() as upstream:
        budget = WindowBudget(BudgetShape(5, reserve=0.4))
        client = client_on(upstream, budget=budget, budget_wait=0.0)
        for limit in (1, 2, 3):
            await client.list_links(limit=limit)
        with pytest.raises(UpstreamRateLimited):
            await client.list_links(limit=4)
        page = await client.availability_page("mel-nelson", "UTC", 0, kind="booking")
        assert page.availability is not None
        assert await upstream.calls() == 4


async def test_hubspots_own_numbers_stop_the_gateway_before_a_429() -> None:
    async with sandbox() as upstream:
        await upstream.faults(rateLimit=2)
        client = client_on(upstream, budget_wait=0.0)
        await client.list_links(limit=1)  # answers Max 2, Remaining 1: into the reserve
        with pytest.raises(UpstreamRateLimited):
            await client.list_links(limit=2)
        await client.availability_page("mel-nelson", "UTC", 0, kind="booking")
        assert await upstream.calls() == 2
        assert client.stats.calls[("list_links", "429")] == 0


async def test_no_cookie_an_answer_sets_travels_with_a_later_call() -> None:
    """HubSpot's API needs none, and the client is every tenant's: a cookie kept from one
    tenant's answer (a CDN's, say) would go out with the others' calls."""
    app = create_sandbox_app(SandboxConfig(now=NOW, seed=7))
    sent: list[str | None] = []

    async def setting_cookies(scope: Scope, receive: Receive, send: Send) -> None:
        sent.append(Headers(scope=scope).get("cookie"))

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = (b"set-cookie", b"__cf_bm=abc; Path=/; Domain=sandbox.invalid")
                message = {**message, "headers": [*message["headers"], cookie]}
            await send(message)

        await app(scope, receive, with_cookie)

    http = build_http_client(Settings(), httpx.ASGITransport(app=setting_cookies))
    async with http:
        client = HubSpotClient(http)
        await client.list_links(limit=1)
        await client.list_links(limit=1)
        await client.with_token("another-tenant", WindowBudget(BudgetShape(100))).list_links(
            limit=1
        )
    assert sent == [None, None, None]
