from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from redis.asyncio import Redis

from gateway.cache import Hit, MemoryStore, RedisStore, Store, StoreUnavailable
from gateway.cache.footprint import footprint
from gateway.cache.keys import generation_key, tag_key
from tests.cache.conftest import BREAKER_COOLDOWN
from tests.support.doubles import ManualTimer
from tests.support.redis_server import RedisServer


async def test_both_tiers_are_stores(redis_store: RedisStore, tenant: str) -> None:
    tiers: list[Store[bytes]] = [MemoryStore(10), redis_store]  # mypy checks the protocol
    for number, tier in enumerate(tiers):
        key = f"{tenant}:{number}"
        await tier.set(key, b"v", 60.0)
        hit = await tier.get(key)
        assert hit is not None
        assert hit.value == b"v"
        await tier.delete([key])
        assert await tier.get(key) is None


# -- the in-process tier -------------------------------------------------------------------


async def test_memory_store_reports_age_and_expires_at_lifetime() -> None:
    timer = ManualTimer()
    store: MemoryStore[object] = MemoryStore(10, timer=timer)
    value = {"not": "serialized"}
    await store.set("k", value, 5.0)
    timer.advance(2.0)
    hit = await store.get("k")
    assert hit is not None
    assert hit.value is value
    assert hit.age == pytest.approx(2.0)
    timer.advance(3.0)
    assert await store.get("k") is None


async def test_memory_store_counts_the_age_an_entry_arrives_with() -> None:
    timer = ManualTimer()
    store: MemoryStore[str] = MemoryStore(10, timer=timer)
    await store.set("k", "v", 5.0, age=4.0)
    assert await store.get("k") == Hit("v", 4.0)
    timer.advance(1.0)
    assert await store.get("k") is None


async def test_memory_store_is_bounded_least_recently_used_first() -> None:
    store: MemoryStore[int] = MemoryStore(3, timer=ManualTimer())
    for number in range(3):
        await store.set(f"k{number}", number, 60.0)
    assert await store.get("k0") is not None  # k1 is now the least recently used
    await store.set("k3", 3, 60.0)
    assert len(store) == 3
    assert await store.get("k1") is None
    assert await store.get("k0") is not None


async def test_memory_store_is_bounded_by_bytes_as_well() -> None:
    store: MemoryStore[str] = MemoryStore(100, max_bytes=100_000, timer=ManualTimer())
    for number in range(50):  # 50 * ~10 KB: twice the bound
        await store.set(f"k{number}", "x" * 10_000 + str(number), 60.0)
    assert store.weight <= 100_000
    assert 0 < len(store) < 10  # the least recently used went first
    assert await store.get("k49") is not None
    assert await store.get("k0") is None
    # Many small ones: the entry count still binds (each counts at least 100_000 / 100).
    for number in range(150):
        await store.set(f"s{number}", "v", 60.0)
    assert len(store) == 100
    assert store.weight == 100 * 1000


async def test_memory_store_keeps_no_value_larger_than_its_bytes() -> None:
    store: MemoryStore[str] = MemoryStore(10, max_bytes=50_000, timer=ManualTimer())
    await store.set("k", "small", 60.0)
    await store.set("k", "x" * 60_000, 60.0)
    # Not kept, and the older value is gone with it: the key would otherwise answer stale.
    assert await store.get("k") is None
    assert (len(store), store.weight) == (0, 0)


def test_a_footprint_counts_everything_held_once() -> None:
    text = "y" * 5_000
    assert footprint(text) == sys.getsizeof(text)
    shared = [text, text, {"a": text}]
    assert footprint(shared) == (
        sys.getsizeof(shared)
        + sys.getsizeof(text)
        + sys.getsizeof({"a": text})
        + sys.getsizeof("a")
    )
    slotted = Hit(value=text, age=1.5)
    assert footprint(slotted) == sys.getsizeof(slotted) + sys.getsizeof(text) + sys.getsizeof(1.5)
    # A long list of look-alikes is estimated from a sample, within a few percent.
    many = [Hit(value=f"{n:0100}", age=float(n)) for n in range(5_000)]
    exact = sys.getsizeof(many) + sum(
        sys.getsizeof(hit) + sys.getsizeof(hit.value) + sys.getsizeof(hit.age) for hit in many
    )
    assert abs(footprint(many) - exact) / exact < 0.05


async def test_memory_store_evicts_by_predicate_and_deletes() -> None:
    store: MemoryStore[int] = MemoryStore(10, timer=ManualTimer())
    for number in range(6):
        await store.set(f"k{number}", number, 60.0)
    assert store.evict(lambda _key, value: value % 2 == 0) == 3
    await store.delete(["k1", "missing"])
    remaining = [key for key in ("k0", "k1", "k2", "k3", "k4", "k5") if await store.get(key)]
    assert remaining == ["k3", "k5"]


# -- the shared tier -----------------------------------------------------------------------


async def test_redis_store_round_trips_bytes_with_their_age(
    redis_store: RedisStore, tenant: str
) -> None:
    key = f"{tenant}:k"
    await redis_store.set(key, b"\x00payload", 10.0, age=3.0)
    hit = await redis_store.get(key)
    assert hit is not None
    assert hit.value == b"\x00payload"
    assert hit.age == pytest.approx(3.0, abs=0.5)
    await redis_store.delete([key])
    assert await redis_store.get(key) is None


async def test_redis_store_lets_redis_expire_entries(redis_store: RedisStore, tenant: str) -> None:
    key = f"{tenant}:k"
    await redis_store.set(key, b"v", 0.15)
    await asyncio.sleep(0.2)
    assert await redis_store.get(key) is None


async def test_a_put_raced_by_an_invalidation_is_refused(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    key = f"{tenant}:entry"
    before = await redis_store.generations(tenant, ["link:a"])
    assert before == {"link:a": ""}
    await redis_store.invalidate(tenant, ["link:a"], "unused-channel", b"{}")
    assert not await redis_store.put(key, b"old", 60.0, tenant=tenant, generations=before)
    assert await raw_redis.exists(key) == 0
    after = await redis_store.generations(tenant, ["link:a"])
    assert after == {"link:a": "1"}
    assert await redis_store.put(key, b"new", 60.0, tenant=tenant, generations=after)
    assert await raw_redis.smembers(tag_key(tenant, "link:a")) == {key.encode()}
    assert await raw_redis.pttl(generation_key(tenant, "link:a")) > 0


async def test_invalidate_deletes_the_tagged_entries_of_that_tenant_only(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    mine, other, untagged = f"{tenant}:1", f"{tenant}x:1", f"{tenant}:2"
    generations = await redis_store.generations(tenant, ["link:a"])
    await redis_store.put(mine, b"v", 60.0, tenant=tenant, generations=generations)
    await redis_store.put(other, b"v", 60.0, tenant=f"{tenant}x", generations=generations)
    await redis_store.put(untagged, b"v", 60.0, tenant=tenant)
    await redis_store.invalidate(tenant, ["link:a"], "unused-channel", b"{}")
    assert await raw_redis.exists(mine) == 0
    assert await raw_redis.exists(other) == 1
    assert await raw_redis.exists(untagged) == 1


async def test_a_lease_is_exclusive_and_only_its_holder_releases_it(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    lease = f"lease:{tenant}"
    assert await redis_store.acquire(lease, "me", 5.0)
    assert not await other_redis_store.acquire(lease, "you", 5.0)
    await other_redis_store.release(lease, "you")
    assert await redis_store.exists(lease)
    await redis_store.release(lease, "me")
    assert not await redis_store.exists(lease)


async def test_a_lease_expires_by_itself(redis_store: RedisStore, tenant: str) -> None:
    lease = f"lease:{tenant}"
    assert await redis_store.acquire(lease, "crashed", 0.1)
    await asyncio.sleep(0.15)
    assert await redis_store.acquire(lease, "next", 5.0)


async def test_a_stopped_redis_opens_the_breaker_and_is_bypassed(
    own_redis_server: RedisServer,
) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=BREAKER_COOLDOWN)
    try:
        await store.set("k", b"v", 60.0)
        own_redis_server.stop()
        with pytest.raises(StoreUnavailable):
            await store.get("k")
        assert store.breaker.state == "open"
        assert store.errors == 1
        with pytest.raises(StoreUnavailable, match="breaker"):
            await store.get("k")
        assert store.errors == 1, "an open breaker does not even try"
        assert not await store.ping()
    finally:
        await store.aclose()


async def test_the_store_reconnects_when_redis_returns(own_redis_server: RedisServer) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=BREAKER_COOLDOWN)
    try:
        await store.set("k", b"v", 60.0)
        own_redis_server.stop()
        with pytest.raises(StoreUnavailable):
            await store.get("k")
        own_redis_server.start()
        await asyncio.sleep(BREAKER_COOLDOWN)
        await store.set("k", b"again", 60.0)
        assert store.breaker.state == "closed"
        hit = await store.get("k")
        assert hit is not None
        assert hit.value == b"again"
        assert await store.ping()
    finally:
        await store.aclose()


async def test_a_hung_redis_costs_a_bounded_wait(own_redis_server: RedisServer) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=BREAKER_COOLDOWN)
    process = own_redis_server.process
    assert process is not None
    try:
        await store.set("k", b"v", 60.0)
        process.send_signal(signal.SIGSTOP)
        async with asyncio.timeout(3.0):
            with pytest.raises(StoreUnavailable):
                await store.get("k")
            assert store.breaker.state == "open"
            assert not await store.ping()
    finally:
        process.send_signal(signal.SIGCONT)
        await store.aclose()
