from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from gateway.hubspot.budget import (
    HOLD_RECHECK,
    BudgetShape,
    CappedBudget,
    SharedBudget,
    WindowBudget,
)
from gateway.hubspot.stats import UpstreamStats
from tests.hubspot.timer import Timer
from tests.support.redis_server import RedisServer, free_port


def headers(maximum: int, remaining: int) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Max": str(maximum),
        "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
    }


def test_reads_leave_the_reserve_to_bookings() -> None:
    timer = Timer()
    budget = WindowBudget(BudgetShape(10, reserve=0.2), timer=timer)
    assert [budget.try_acquire("read") for _ in range(8)] == [0.0] * 8
    timer.advance(2.0)
    assert budget.try_acquire("read") == pytest.approx(8.0)  # when the first read leaves
    assert budget.try_acquire("booking") == 0.0
    assert budget.try_acquire("booking") == 0.0
    assert budget.try_acquire("booking") == pytest.approx(8.0)
    timer.advance(8.0)  # the reads have left; the two bookings count against reads too
    assert [budget.try_acquire("read") for _ in range(6)] == [0.0] * 6
    assert budget.try_acquire("read") == pytest.approx(2.0)


def test_the_window_rolls() -> None:
    timer = Timer()
    budget = WindowBudget(BudgetShape(2, reserve=0.0), timer=timer)
    assert budget.try_acquire("read") == 0.0
    timer.advance(4.0)
    assert budget.try_acquire("read") == 0.0
    assert budget.try_acquire("read") == pytest.approx(6.0)
    timer.advance(6.0)
    assert budget.try_acquire("read") == 0.0
    assert budget.used == 2


async def test_takes_hubspots_smaller_limit_and_counts_what_it_counts() -> None:
    timer = Timer()
    budget = WindowBudget(BudgetShape(100, reserve=0.2), timer=timer)
    await budget.observe(headers(190, 150))  # plenty left: nothing to learn but the limit
    assert budget.shape.total == 100
    assert budget.used == 0
    await budget.observe(headers(50, 30))
    assert budget.shape.total == 50
    assert budget.shape.allowance("read") == 40
    assert budget.used == 0  # 30 left is more than the reserve of 10
    await budget.observe(headers(50, 6))  # other clients of the app spent the rest
    assert budget.used == 44
    assert budget.try_acquire("read") > 0
    assert [budget.try_acquire("booking") for _ in range(6)] == [0.0] * 6
    assert budget.try_acquire("booking") > 0


async def test_a_429_pauses_every_call() -> None:
    timer = Timer()
    budget = WindowBudget(BudgetShape(100), timer=timer)
    await budget.pause(3.0)
    await budget.pause(1.0)  # never shortens a pause
    assert await budget.acquire("booking") == pytest.approx(3.0)
    timer.advance(3.0)
    assert await budget.acquire("read") == 0.0


def test_a_tiny_limit_still_lets_reads_through() -> None:
    shape = BudgetShape(1, reserve=0.5)
    assert shape.allowance("read") == 1
    assert BudgetShape(3, reserve=0.2).allowance("read") == 2


async def test_processes_share_one_window_in_redis(redis_server: RedisServer) -> None:
    first, second = Redis.from_url(redis_server.url), Redis.from_url(redis_server.url)
    try:
        a = SharedBudget(first, "tenant-share", WindowBudget(BudgetShape(10, reserve=0.2)))
        b = SharedBudget(second, "tenant-share", WindowBudget(BudgetShape(10, reserve=0.2)))
        other = SharedBudget(second, "tenant-other", WindowBudget(BudgetShape(10, reserve=0.2)))
        granted = [await budget.acquire("read") == 0 for budget in (a, b) * 6]
        assert sum(granted) == 8
        assert 9 < await a.acquire("read") * 1000 <= 10_000
        assert await b.acquire("booking") == 0
        assert await a.acquire("booking") == 0
        assert await b.acquire("booking") > 0
        assert await other.acquire("read") == 0  # tenants have windows of their own
        await a.pause(2.0)
        assert 1.5 < await b.acquire("booking") <= 2.0
        assert a.stats.budget_fallbacks == 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_hubspots_count_is_shared(redis_server: RedisServer) -> None:
    client = Redis.from_url(redis_server.url)
    try:
        a = SharedBudget(client, "tenant-sync", WindowBudget(BudgetShape(10, reserve=0.2)))
        b = SharedBudget(client, "tenant-sync", WindowBudget(BudgetShape(10, reserve=0.2)))
        await a.observe(headers(10, 2))
        assert await b.acquire("read") > 0
        assert await b.acquire("booking") == 0
    finally:
        await client.aclose()


async def test_redis_trouble_falls_back_to_this_process(own_redis_server: RedisServer) -> None:
    client = Redis.from_url(own_redis_server.url, socket_timeout=0.2, socket_connect_timeout=0.2)
    stats = UpstreamStats()
    timer = Timer()
    budget = SharedBudget(
        client,
        "tenant-down",
        WindowBudget(BudgetShape(4, reserve=0.5), timer=timer),
        stats=stats,
        cooldown=1.0,
        timer=timer,
    )
    try:
        assert await budget.acquire("read") == 0
        own_redis_server.stop()
        assert await budget.acquire("read") == 0  # Redis gone: this process's window answers
        assert await budget.acquire("read") == 0
        assert await budget.acquire("read") > 0  # 2 reads of 4 per process
        await budget.pause(1.0)  # must not raise either
        assert stats.budget_fallbacks == 4
        own_redis_server.start()
        timer.advance(1.0)
        assert await budget.acquire("booking") == 0  # Redis again, after the cooldown
        assert stats.budget_fallbacks == 4
    finally:
        await client.aclose()


async def test_an_unreachable_redis_never_fails_a_call() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    budget = SharedBudget(client, "t", WindowBudget(BudgetShape(2, reserve=0.0)))
    try:
        assert await budget.acquire("read") == 0
        await budget.observe(headers(2, 0))
        assert await budget.acquire("booking") > 0
        assert budget.stats.budget_fallbacks == 3
    finally:
        await client.aclose()


# -- holds: a booking's calls kept for it ---------------------------------------------------


def test_reads_leave_every_held_call_to_the_bookings() -> None:
    timer = Timer()
    budget = WindowBudget(BudgetShape(10, reserve=0.2), timer=timer)
    hold = budget.take_hold(6, ttl=5.0)
    # Six held: reads may use 4, not the 8 the reserve alone would leave them.
    assert [budget.try_acquire("read") for _ in range(4)] == [0.0] * 4
    assert budget.try_acquire("read") == HOLD_RECHECK
    assert [budget.try_acquire("booking", hold) for _ in range(6)] == [0.0] * 6
    assert budget.held == 0
    assert budget.used == 10
    assert budget.try_acquire("booking") == pytest.approx(10.0)


def test_younger_bookings_leave_older_ones_their_room() -> None:
    budget = WindowBudget(BudgetShape(4, reserve=0.0), timer=Timer())
    older = budget.take_hold(2, ttl=5.0)
    younger = budget.take_hold(2, ttl=5.0)
    assert budget.try_acquire("booking", younger) == 0.0
    assert budget.try_acquire("booking", younger) == 0.0
    # Spent, yet still younger: the older booking's two calls are not its to take.
    assert budget.try_acquire("booking", younger) == HOLD_RECHECK
    assert budget.try_acquire("booking") == HOLD_RECHECK  # no hold: after every hold
    assert budget.try_acquire("booking", older) == 0.0
    assert budget.try_acquire("booking", older) == 0.0
    assert budget.used == 4


async def test_a_hold_is_given_back_or_expires() -> None:
    timer = Timer()
    budget = WindowBudget(BudgetShape(4, reserve=0.0), timer=timer)
    given = await budget.hold(2, ttl=5.0)
    await budget.release(given, 1)
    assert budget.held == 1
    await budget.release(given)
    assert budget.held == 0
    await budget.hold(4, ttl=1.0)
    assert await budget.acquire("read") == HOLD_RECHECK
    timer.advance(1.0)  # its request's deadline passed: nothing is held any more
    assert await budget.acquire("read") == 0.0


async def test_holds_are_shared_by_every_process(redis_server: RedisServer) -> None:
    first, second = Redis.from_url(redis_server.url), Redis.from_url(redis_server.url)
    try:
        a = SharedBudget(first, "tenant-holds", WindowBudget(BudgetShape(4, reserve=0.0)))
        b = SharedBudget(second, "tenant-holds", WindowBudget(BudgetShape(4, reserve=0.0)))
        older = await a.hold(3, ttl=5.0)
        assert older.shared
        assert await b.acquire("read") == 0.0  # one call is not held
        assert await b.acquire("read") == HOLD_RECHECK
        younger = await b.hold(1, ttl=5.0)
        assert await b.acquire("booking", younger) == HOLD_RECHECK  # the older comes first
        assert await a.acquire("booking", older) == 0.0
        await a.release(older)  # it stopped early: its last two calls are free again
        assert await b.acquire("booking", younger) == 0.0
        assert await b.acquire("read") == 0.0
        assert await a.acquire("read") > 1.0  # the window is full: wait for it to roll
        assert a.stats.budget_fallbacks == b.stats.budget_fallbacks == 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_shared_hold_expires_with_its_deadline(redis_server: RedisServer) -> None:
    client = Redis.from_url(redis_server.url)
    try:
        budget = SharedBudget(client, "tenant-expiry", WindowBudget(BudgetShape(2, reserve=0.0)))
        await budget.hold(2, ttl=0.05)
        assert await budget.acquire("read") == HOLD_RECHECK
        for _ in range(100):  # a bounded wait on Redis's clock, no fixed sleep
            if await budget.acquire("read") == 0.0:
                break
            await asyncio.sleep(0.01)
        assert budget.local.used == 0  # admitted by Redis, not by a fallback
        assert budget.stats.budget_fallbacks == 0
    finally:
        await client.aclose()


async def test_every_tenant_spends_the_apps_ceiling() -> None:
    ceiling = WindowBudget(BudgetShape(10, reserve=0.2))
    tenants = [WindowBudget(BudgetShape(10, reserve=0.2)) for _ in range(30)]
    capped = [CappedBudget(tenant, ceiling) for tenant in tenants]
    admitted = [await budget.acquire("read") == 0.0 for budget in capped]
    assert sum(admitted) == 8
    assert ceiling.used == 8
    # A tenant refused by the ceiling has nothing counted: the call was never sent.
    assert [tenant.used for tenant in tenants] == [1] * 8 + [0] * 22
    hold = await capped[29].hold(2, ttl=5.0)
    assert ceiling.held == 2
    assert await capped[29].acquire("booking", hold) == 0.0
    assert await capped[0].acquire("booking", None) == HOLD_RECHECK  # after the held call
