from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from gateway.answering import Answering
from gateway.cache import Pass, ReadThroughCache, RedisStore, Resource, entry_key
from gateway.cache.keys import EVERY_ENTRY, generation_key, lease_key, tag_key, tenant_id
from gateway.cache.redis_store import SCRIPTS
from gateway.clock import FrozenClock, SystemClock
from gateway.errors import (
    UpstreamAuthError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from tests.support.doubles import Loader, ManualTimer, eventually, text_resource
from tests.support.redis_server import RedisServer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SLUG = {"slug": "demo"}


def memory_cache(timer: ManualTimer | None = None) -> ReadThroughCache:
    if timer is None:
        return ReadThroughCache(FrozenClock(NOW))
    return ReadThroughCache(FrozenClock(NOW), timer=timer)


# -- in process only -----------------------------------------------------------------------


async def test_a_miss_loads_once_then_memory_answers() -> None:
    cache = memory_cache()
    loader = Loader()
    first = await cache.get(text_resource(), "t", SLUG, loader)
    second = await cache.get(text_resource(), "t", SLUG, loader)
    assert first.value == second.value == "value-1"
    assert first.fetched_at == second.fetched_at == NOW
    assert not first.stale
    assert not second.stale
    assert loader.calls == 1
    assert (cache.stats.misses, cache.stats.l1_hits, cache.stats.loads) == (1, 1, 1)
    await cache.aclose()


async def test_equivalent_params_share_an_entry_and_others_do_not() -> None:
    cache = memory_cache()
    loader = Loader()
    resource = text_resource()
    await cache.get(resource, "t", {"slug": "demo", "month": 0, "tz": None}, loader)
    await cache.get(resource, "t", {"month": "0", "slug": "demo"}, loader)
    assert loader.calls == 1
    await cache.get(resource, "t", {"slug": "demo", "month": 1}, loader)
    await cache.get(text_resource("booking-info"), "t", {"slug": "demo", "month": 0}, loader)
    assert loader.calls == 3
    await cache.aclose()


async def test_a_frozen_clock_does_not_keep_entries_fresh() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=60, swr=0)
    await cache.get(resource, "t", SLUG, loader)
    timer.advance(31)
    got = await cache.get(resource, "t", SLUG, loader)
    assert got.value == "value-2"
    assert got.fetched_at == NOW  # the frozen clock still stamps every value
    await cache.aclose()


async def test_stale_while_revalidate_answers_at_once_and_refreshes_once() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=600)
    await cache.get(resource, "t", SLUG, loader)
    timer.advance(31)
    loader.gate = asyncio.Event()
    answers = await asyncio.gather(*(cache.get(resource, "t", SLUG, loader) for _ in range(10)))
    assert {(a.value, a.stale) for a in answers} == {("value-1", True)}
    await eventually(lambda: loader.calls == 2)
    loader.gate.set()
    await cache.drain()
    got = await cache.get(resource, "t", SLUG, loader)
    assert (got.value, got.stale) == ("value-2", False)
    assert loader.calls == 2
    assert cache.stats.stale_served == 10
    await cache.aclose()


async def test_beyond_the_swr_window_a_get_waits_for_the_load() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=600, swr=10)
    await cache.get(resource, "t", SLUG, loader)
    timer.advance(39)
    assert (await cache.get(resource, "t", SLUG, loader)).stale
    await cache.drain()
    timer.advance(41)
    got = await cache.get(resource, "t", SLUG, loader)
    assert (got.value, got.stale) == ("value-3", False)
    await cache.aclose()


@pytest.mark.anyio  # explicit: parametrized async tests need it at collection time
@pytest.mark.parametrize(
    "error",
    [UpstreamUnavailable("down", status=503), UpstreamRateLimited("slow down", status=429)],
)
async def test_stale_if_error_up_to_max_stale_then_the_error(error: Exception) -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=120, swr=0)
    await cache.get(resource, "t", SLUG, loader)
    loader.error = error
    timer.advance(100)
    got = await cache.get(resource, "t", SLUG, loader)
    assert (got.value, got.stale, got.fetched_at) == ("value-1", True, NOW)
    timer.advance(21)
    with pytest.raises(type(error)):
        await cache.get(resource, "t", SLUG, loader)
    assert loader.calls == 3
    assert cache.stats.load_errors == 2
    await cache.aclose()


@pytest.mark.anyio  # explicit: parametrized async tests need it at collection time
@pytest.mark.parametrize(
    "error",
    [
        UpstreamNotFound("no such link", status=404),
        UpstreamValidationError("bad", status=400, sub_category="X.MEETING_START_TIME_NOT_VALID"),
    ],
)
async def test_not_found_and_validation_errors_are_never_hidden_by_stale_data(
    error: Exception,
) -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=120, swr=0)
    await cache.get(resource, "t", SLUG, loader)
    loader.error = error
    timer.advance(40)
    with pytest.raises(type(error)):
        await cache.get(resource, "t", SLUG, loader)
    await cache.aclose()


REFUSALS = [UpstreamAuthError("token revoked", status=401), UpstreamForbidden("no", status=403)]


@pytest.mark.anyio  # explicit: parametrized async tests need it at collection time
@pytest.mark.parametrize("error", REFUSALS)
async def test_a_refused_credential_is_never_met_with_stale_data(error: Exception) -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=120, swr=0)
    await cache.get(resource, "t", SLUG, loader, tags=["link:demo"])
    await cache.get(resource, "t", {"slug": "fresh"}, loader)
    await cache.get(resource, "neighbour", SLUG, loader)
    timer.advance(20)
    await cache.get(resource, "t", {"slug": "fresh"}, loader)  # refreshed: 10 s younger
    loader.error = error
    timer.advance(20)
    with pytest.raises(type(error)):
        await cache.get(resource, "t", SLUG, loader)
    # Even the tenant's entry still fresh is gone: the credential reads nothing any more.
    with pytest.raises(type(error)):
        await cache.get(resource, "t", {"slug": "fresh"}, loader)
    assert loader.calls == 5
    # Another tenant keeps its entry, and an outage is still met with it.
    loader.error = UpstreamUnavailable("down", status=503)
    got = await cache.get(resource, "neighbour", SLUG, loader)
    assert (got.value, got.stale) == ("value-3", True)
    await cache.aclose()


@pytest.mark.anyio  # explicit: parametrized async tests need it at collection time
@pytest.mark.parametrize("error", REFUSALS)
async def test_a_refused_credential_drops_its_tenant_everywhere(
    error: Exception,
    redis_store: RedisStore,
    other_redis_store: RedisStore,
    raw_redis: Redis,
    tenant: str,
) -> None:
    cache = shared_cache(redis_store)
    other = shared_cache(other_redis_store)
    loader = Loader()
    resource = text_resource()
    neighbour = f"{tenant}-neighbour"
    try:
        await cache.start()
        await other.start()
        await cache.get(resource, tenant, SLUG, loader, tags=["link:demo"])
        await cache.get(resource, neighbour, SLUG, loader)
        assert (await other.get(resource, tenant, SLUG, loader)).value == "value-1"  # from L2
        # No index of a tenant's every key is kept: that one would only ever grow.
        assert not await raw_redis.exists(tag_key(tenant, EVERY_ENTRY))
        loader.error = error
        with pytest.raises(type(error)):
            await cache.get(resource, tenant, {"slug": "new"}, loader)
        # Nothing of the tenant is left: not in L1 here, not in Redis, not in the other process.
        assert await raw_redis.get(entry_key(tenant, resource.name, SLUG)) is None
        await eventually(lambda: other.stats.invalidations == 1)
        for reader in (cache, other):
            with pytest.raises(type(error)):
                await reader.get(resource, tenant, SLUG, loader)
        assert loader.calls == 5
        # Another tenant keeps its entries.
        assert (await other.get(resource, neighbour, SLUG, loader)).value == "value-2"
    finally:
        await cache.aclose()
        await other.aclose()


async def test_errors_are_never_cached() -> None:
    cache = memory_cache()
    loader = Loader()
    loader.error = UpstreamNotFound("no such link", status=404)
    for _ in range(2):
        with pytest.raises(UpstreamNotFound):
            await cache.get(text_resource(), "t", SLUG, loader)
    loader.error = UpstreamUnavailable("down")
    with pytest.raises(UpstreamUnavailable):
        await cache.get(text_resource(), "t", SLUG, loader)
    loader.error = None
    assert (await cache.get(text_resource(), "t", SLUG, loader)).value == "value-4"
    assert loader.calls == 4
    await cache.aclose()


async def test_not_found_may_be_remembered_briefly_when_asked_to() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    loader.error = UpstreamNotFound("no such link", status=404)
    resource = text_resource(not_found_ttl=5)
    for _ in range(3):
        with pytest.raises(UpstreamNotFound, match="no such link"):
            await cache.get(resource, "t", SLUG, loader)
    assert loader.calls == 1
    assert cache.stats.negative_hits == 2
    timer.advance(5)
    loader.error = None
    assert (await cache.get(resource, "t", SLUG, loader)).value == "value-2"
    await cache.aclose()


async def test_fresh_answers_only_what_a_get_would_answer_from_memory_at_once() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=60, swr=0, not_found_ttl=5)
    key = entry_key("t", resource.name, SLUG)
    assert cache.fresh(resource, key) is None  # nothing yet
    await cache.get(resource, "t", SLUG, loader)
    found = cache.fresh(resource, key)
    assert found is not None
    assert (found.value, found.fetched_at, found.stale) == ("value-1", NOW, False)
    assert (cache.stats.misses, cache.stats.l1_hits) == (1, 1)
    timer.advance(30)
    assert cache.fresh(resource, key) is None  # stale: a get decides what it answers
    assert (await cache.get(resource, "t", SLUG, loader)).value == "value-2"
    other = {"slug": "gone"}
    loader.error = UpstreamNotFound("no such link", status=404)
    with pytest.raises(UpstreamNotFound):
        await cache.get(resource, "t", other, loader)
    assert cache.fresh(resource, entry_key("t", resource.name, other)) is None  # a 404
    assert (loader.calls, cache.stats.l1_hits, cache.stats.negative_hits) == (3, 1, 0)
    await cache.aclose()


async def test_a_remembered_not_found_yields_to_an_invalidation() -> None:
    cache = memory_cache()
    loader = Loader()
    loader.error = UpstreamNotFound("no such link", status=404)
    resource = text_resource(not_found_ttl=60)
    with pytest.raises(UpstreamNotFound):
        await cache.get(resource, "t", SLUG, loader, tags=["link:demo"])
    loader.error = None
    await cache.invalidate("t", ["link:demo"])
    assert (await cache.get(resource, "t", SLUG, loader, tags=["link:demo"])).value == "value-2"
    await cache.aclose()


async def test_a_hundred_concurrent_misses_make_one_load() -> None:
    cache = memory_cache()
    loader = Loader(delay=0.05)
    answers = await asyncio.gather(
        *(cache.get(text_resource(), "t", SLUG, loader) for _ in range(100))
    )
    assert {a.value for a in answers} == {"value-1"}
    assert loader.calls == 1
    assert cache.stats.flight_waits == 99
    await cache.aclose()


async def test_a_failed_load_reaches_every_waiter_and_is_not_kept() -> None:
    cache = memory_cache()
    loader = Loader(delay=0.05)
    loader.error = UpstreamUnavailable("down")
    results = await asyncio.gather(
        *(cache.get(text_resource(), "t", SLUG, loader) for _ in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(r, UpstreamUnavailable) for r in results)
    assert loader.calls == 1
    loader.error = None
    assert (await cache.get(text_resource(), "t", SLUG, loader)).value == "value-2"
    await cache.aclose()


async def test_a_cancelled_caller_does_not_cancel_the_load_for_others() -> None:
    cache = memory_cache()
    loader = Loader()
    loader.gate = asyncio.Event()
    impatient = asyncio.create_task(cache.get(text_resource(), "t", SLUG, loader))
    patient = asyncio.create_task(cache.get(text_resource(), "t", SLUG, loader))
    await eventually(lambda: loader.calls == 1)
    impatient.cancel()
    loader.gate.set()
    assert (await patient).value == "value-1"
    assert impatient.cancelled()
    assert loader.cancelled == 0
    await cache.aclose()


async def test_invalidate_drops_tagged_entries_of_that_tenant_only() -> None:
    cache = memory_cache()
    loader = Loader()
    resource = text_resource()
    await cache.get(resource, "t1", SLUG, loader, tags=["link:demo"])
    await cache.get(resource, "t2", SLUG, loader, tags=["link:demo"])
    await cache.get(resource, "t1", {"slug": "other"}, loader, tags=["link:other"])
    await cache.get(resource, "t1", {"slug": "plain"}, loader)
    await cache.invalidate("t1", ["link:demo", "member:7"])
    assert (await cache.get(resource, "t1", SLUG, loader)).value == "value-5"
    assert (await cache.get(resource, "t2", SLUG, loader)).value == "value-2"
    assert (await cache.get(resource, "t1", {"slug": "other"}, loader)).value == "value-3"
    assert (await cache.get(resource, "t1", {"slug": "plain"}, loader)).value == "value-4"
    await cache.aclose()


async def test_a_load_racing_an_invalidation_is_not_written_back() -> None:
    cache = memory_cache()
    loader = Loader()
    loader.gate = asyncio.Event()
    resource = text_resource()
    early = asyncio.create_task(cache.get(resource, "t", SLUG, loader, tags=["link:demo"]))
    await eventually(lambda: loader.calls == 1)
    await cache.invalidate("t", ["link:demo"])
    loader.gate.set()
    assert (await early).value == "value-1"  # what that caller asked for, before the change
    assert cache.stats.writes_skipped == 1
    assert (await cache.get(resource, "t", SLUG, loader, tags=["link:demo"])).value == "value-2"
    await cache.aclose()


async def test_a_get_after_an_invalidation_does_not_join_the_older_load() -> None:
    cache = memory_cache()
    loader = Loader()
    loader.gate = asyncio.Event()
    resource = text_resource()
    early = asyncio.create_task(cache.get(resource, "t", SLUG, loader, tags=["link:demo"]))
    await eventually(lambda: loader.calls == 1)
    await cache.invalidate("t", ["link:demo"])
    late = asyncio.create_task(cache.get(resource, "t", SLUG, loader, tags=["link:demo"]))
    await eventually(lambda: loader.calls == 2)
    loader.gate.set()
    assert ((await early).value, (await late).value) == ("value-1", "value-2")
    await cache.aclose()


async def test_aclose_cancels_a_background_refresh() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=600)
    await cache.get(resource, "t", SLUG, loader)
    timer.advance(31)
    loader.gate = asyncio.Event()  # never set: the refresh would hang for ever
    assert (await cache.get(resource, "t", SLUG, loader)).stale
    await eventually(lambda: loader.calls == 2)
    async with asyncio.timeout(5):
        await cache.aclose()
    assert loader.cancelled == 1


# -- with Redis ----------------------------------------------------------------------------


def shared_cache(redis: RedisStore, clock_instant: datetime = NOW) -> ReadThroughCache:
    return ReadThroughCache(FrozenClock(clock_instant), redis=redis, poll_interval=0.01)


async def test_an_entry_loaded_by_one_process_is_promoted_in_another(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    one = shared_cache(redis_store, NOW)
    two = shared_cache(other_redis_store, LATER)
    loader = Loader()
    await one.get(text_resource(), tenant, SLUG, loader)
    got = await two.get(text_resource(), tenant, SLUG, loader)
    assert (got.value, got.fetched_at, got.stale) == ("value-1", NOW, False)
    again = await two.get(text_resource(), tenant, SLUG, loader)
    assert again.value == "value-1"
    assert loader.calls == 1
    assert (two.stats.l2_hits, two.stats.l1_hits, two.stats.loads) == (1, 1, 0)
    await one.aclose()
    await two.aclose()


async def test_an_unreadable_l2_entry_is_a_miss(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    def strict(raw: bytes) -> str:
        raise ValueError("written by an older release")

    old = text_resource()
    new = Resource("links", ttl=60, max_stale=60, encode=str.encode, decode=strict)
    one = shared_cache(redis_store)
    two = shared_cache(other_redis_store)
    loader = Loader()
    await one.get(old, tenant, SLUG, loader)
    assert (await two.get(new, tenant, SLUG, loader)).value == "value-2"
    await one.aclose()
    await two.aclose()


async def test_l2_entries_expire_by_redis_time_and_refresh_once(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    one = shared_cache(redis_store)
    two = shared_cache(other_redis_store)
    loader = Loader()
    resource = text_resource(ttl=0.3, max_stale=30)
    await one.get(resource, tenant, SLUG, loader)
    await asyncio.sleep(0.35)
    loader.delay = 0.1  # the refresh outlasts the other process's attempt at the lease
    answers = await asyncio.gather(
        *(one.get(resource, tenant, SLUG, loader) for _ in range(5)),
        *(two.get(resource, tenant, SLUG, loader) for _ in range(5)),
    )
    assert {(a.value, a.stale) for a in answers} == {("value-1", True)}
    await one.drain()
    await two.drain()
    assert loader.calls == 2, "one refresh across both processes"
    three = shared_cache(redis_store)
    fresh = await three.get(resource, tenant, SLUG, loader)
    assert (fresh.value, fresh.stale) == ("value-2", False)
    await one.aclose()
    await two.aclose()
    await three.aclose()


async def test_single_flight_across_two_processes(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    one = shared_cache(redis_store)
    two = shared_cache(other_redis_store)
    loader = Loader(delay=0.2)
    answers = await asyncio.gather(
        *(
            (one if number % 2 else two).get(text_resource(), tenant, SLUG, loader)
            for number in range(50)
        )
    )
    assert {a.value for a in answers} == {"value-1"}
    assert loader.calls == 1
    assert one.stats.lease_waits + two.stats.lease_waits == 1
    await one.aclose()
    await two.aclose()


async def test_a_dead_lease_holder_is_outlived(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    resource = text_resource()
    key = entry_key(tenant, resource.name, SLUG)
    await raw_redis.set(lease_key(key), "a-process-that-died", px=300)
    cache = shared_cache(redis_store)
    loader = Loader()
    async with asyncio.timeout(5):
        got = await cache.get(resource, tenant, SLUG, loader)
    assert got.value == "value-1"
    assert loader.calls == 1
    assert cache.stats.lease_waits == 1
    await cache.aclose()


async def test_a_lease_holder_slower_than_its_lease_is_not_waited_for_ever(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    resource = text_resource()
    key = entry_key(tenant, resource.name, SLUG)
    await raw_redis.set(lease_key(key), "a-stuck-process", px=60_000)
    cache = ReadThroughCache(SystemClock(), redis=redis_store, lease_ttl=0.3, poll_interval=0.01)
    loader = Loader()
    async with asyncio.timeout(5):
        assert (await cache.get(resource, tenant, SLUG, loader)).value == "value-1"
    await cache.aclose()


async def test_invalidation_reaches_the_other_process(
    redis_store: RedisStore, other_redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    one = shared_cache(redis_store)
    two = shared_cache(other_redis_store)
    await one.start()
    await two.start()
    loader = Loader()
    resource = text_resource()
    tags = ["link:demo"]
    await one.get(resource, tenant, SLUG, loader, tags=tags)
    await two.get(resource, tenant, SLUG, loader, tags=tags)
    await two.get(resource, f"{tenant}x", SLUG, loader, tags=tags)
    assert loader.calls == 2
    await one.invalidate(tenant, tags)
    assert await raw_redis.exists(entry_key(tenant, resource.name, SLUG)) == 0
    await eventually(lambda: two.stats.invalidations == 1)
    assert (await two.get(resource, tenant, SLUG, loader, tags=tags)).value == "value-3"
    assert (await two.get(resource, f"{tenant}x", SLUG, loader, tags=tags)).value == "value-2"
    assert (await one.get(resource, tenant, SLUG, loader, tags=tags)).value == "value-3"
    await one.aclose()
    await two.aclose()


async def test_a_load_racing_an_invalidation_elsewhere_is_not_written_back(
    redis_store: RedisStore, other_redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    loading = shared_cache(redis_store)
    booking = shared_cache(other_redis_store)
    loader = Loader()
    loader.gate = asyncio.Event()
    resource = text_resource()
    tags = ["link:demo"]
    early = asyncio.create_task(loading.get(resource, tenant, SLUG, loader, tags=tags))
    await eventually(lambda: loader.calls == 1)
    await booking.invalidate(tenant, tags)
    loader.gate.set()
    assert (await early).value == "value-1"
    assert await raw_redis.exists(entry_key(tenant, resource.name, SLUG)) == 0
    assert (await booking.get(resource, tenant, SLUG, loader, tags=tags)).value == "value-2"
    assert (await loading.get(resource, tenant, SLUG, loader, tags=tags)).value == "value-2"
    await loading.aclose()
    await booking.aclose()


async def test_a_get_answers_before_its_value_reaches_redis_which_keeps_the_lease_till_then(
    redis_server: RedisServer, raw_redis: Redis, tenant: str
) -> None:
    # Timeouts long enough to outlast the pause below: the write waits, it does not fail.
    one_store = RedisStore.from_url(redis_server.url, timeout=5)
    two_store = RedisStore.from_url(redis_server.url, timeout=5)
    one = ReadThroughCache(FrozenClock(NOW), redis=one_store)
    two = ReadThroughCache(FrozenClock(NOW), redis=two_store)
    loader = Loader()
    resource = text_resource()
    key = entry_key(tenant, resource.name, SLUG)

    async def load() -> str:
        value = await loader()
        # Redis answers reads but holds every write (the value's, the lease's release).
        await raw_redis.client_pause(60_000, all=False)
        return value

    try:
        got = await one.get(resource, tenant, SLUG, load)
        assert got.value == "value-1"
        assert await raw_redis.exists(key) == 0
        assert await raw_redis.exists(lease_key(key)) == 1
        # Meanwhile this process answers it as kept: no second load.
        assert (await one.get(resource, tenant, SLUG, loader)).value == "value-1"
        await raw_redis.client_unpause()
        await one.drain()
        assert await raw_redis.exists(key) == 1
        assert await raw_redis.exists(lease_key(key)) == 0
        assert (await two.get(resource, tenant, SLUG, loader)).value == "value-1"
        assert loader.calls == 1
        assert (one.stats.misses, one.stats.l1_hits, one.stats.loads) == (1, 1, 1)
        assert (two.stats.l2_hits, two.stats.loads) == (1, 0)
    finally:
        await raw_redis.client_unpause()
        for cache in (one, two):
            await cache.aclose()
        for store in (one_store, two_store):
            await store.aclose()


async def test_a_loads_writes_wait_for_the_answer_of_the_request_that_needed_it() -> None:
    cache = memory_cache()
    loader = Loader()
    answering = Answering()
    token = answering.during()
    try:
        got = await cache.get(text_resource(), "t", SLUG, loader)
        await asyncio.wait([asyncio.ensure_future(cache.drain())], timeout=0.05)
        assert got.value == "value-1"
        assert cache.l1_entries == 0, "kept only once the answer is out"
        # Meanwhile the flight answers this process's reads: no second load.
        assert (await cache.get(text_resource(), "t", SLUG, loader)).value == "value-1"
        answering.sent()
        await cache.drain()
    finally:
        Answering.leave(token)
    assert cache.l1_entries == 1
    assert (await cache.get(text_resource(), "t", SLUG, loader)).value == "value-1"
    assert loader.calls == 1
    assert (cache.stats.misses, cache.stats.l1_hits, cache.stats.loads) == (1, 2, 1)
    await cache.aclose()


async def test_the_redis_write_and_release_follow_the_answer(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    cache = shared_cache(redis_store)
    resource = text_resource()
    key = entry_key(tenant, resource.name, SLUG)
    answering = Answering()
    token = answering.during()
    try:
        got = await cache.get(resource, tenant, SLUG, Loader())
        await asyncio.wait([asyncio.ensure_future(cache.drain())], timeout=0.05)
        assert got.value == "value-1"
        assert await raw_redis.exists(key) == 0
        assert await raw_redis.exists(lease_key(key)) == 1, "others wait for it, not load"
        answering.sent()
        await cache.drain()
    finally:
        Answering.leave(token)
        await cache.aclose()
    assert await raw_redis.exists(key) == 1
    assert await raw_redis.exists(lease_key(key)) == 0


async def test_a_miss_reads_leases_and_learns_generations_in_one_round_trip(
    own_redis_server: RedisServer, tenant: str
) -> None:
    store = RedisStore.from_url(own_redis_server.url)
    cache = shared_cache(store)
    raw = Redis.from_url(own_redis_server.url)
    resource = text_resource()
    key = entry_key(tenant, resource.name, SLUG)
    seen: dict[str, int] = {}

    async def load() -> str:
        stats = await raw.info("commandstats")
        seen.update({name: int(row["calls"]) for name, row in stats.items()})
        return "loaded"

    try:
        await store.warm(1, SCRIPTS)
        await cache.start()
        await raw.config_resetstat()
        got = await cache.get(resource, tenant, SLUG, load, tags=["link:demo"])
        assert got.value == "loaded"
        # Redis counts a script's own commands too (its GETs, PTTL and SET) but no MGET.
        assert seen.get("cmdstat_evalsha") == 1, seen
        assert "cmdstat_mget" not in seen, "the generations are read by the script"
        assert seen.get("cmdstat_set") == 1, "the lease, taken once"
        await cache.drain()
        # What the script took and read is what the write and the release after it use.
        assert await raw.exists(lease_key(key)) == 0
        other = shared_cache(store)
        assert (await other.get(resource, tenant, SLUG, Loader())).value == "loaded"
        await other.aclose()
        await cache.invalidate(tenant, ["link:demo"])
        assert await raw.exists(key) == 0
    finally:
        await cache.aclose()
        await store.aclose()
        await raw.aclose()


# -- Redis trouble -------------------------------------------------------------------------


async def test_requests_answer_while_redis_is_down(own_redis_server: RedisServer) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=30)
    cache = ReadThroughCache(FrozenClock(NOW), redis=store)
    loader = Loader()
    resource = text_resource()
    try:
        await cache.start()
        await cache.get(resource, "t", {"slug": "kept"}, loader)
        await cache.drain()  # kept in both tiers (its write follows the answer)
        own_redis_server.stop()
        async with asyncio.timeout(5):
            assert (await cache.get(resource, "t", {"slug": "kept"}, loader)).value == "value-1"
            await cache.get(resource, "t", {"slug": "first"}, loader)
            assert (cache.stats.breaker, cache.stats.redis_errors) == ("open", 1)
            answers = await asyncio.gather(
                *(cache.get(resource, "t", {"slug": f"new{n}"}, loader) for n in range(20))
            )
            await cache.invalidate("t", ["link:kept"])
        assert len({a.value for a in answers}) == 20
        assert loader.calls == 22
        assert cache.stats.breaker == "open"
        assert cache.stats.redis_errors == 1, "the open breaker kept later calls off Redis"
    finally:
        await cache.aclose()
        await store.aclose()


async def test_a_hung_redis_does_not_hang_requests(own_redis_server: RedisServer) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=30)
    cache = ReadThroughCache(FrozenClock(NOW), redis=store)
    loader = Loader()
    process = own_redis_server.process
    assert process is not None
    try:
        await cache.start()
        process.send_signal(signal.SIGSTOP)
        async with asyncio.timeout(5):
            await cache.get(text_resource(), "t", {"slug": "a"}, loader)
            await cache.get(text_resource(), "t", {"slug": "b"}, loader)
        assert loader.calls == 2
        assert cache.stats.breaker == "open"
    finally:
        process.send_signal(signal.SIGCONT)
        await cache.aclose()
        await store.aclose()


async def test_after_a_restart_l2_and_invalidations_work_again(
    own_redis_server: RedisServer,
) -> None:
    stores = [RedisStore.from_url(own_redis_server.url, breaker_cooldown=0.2) for _ in "ab"]
    one, two = (ReadThroughCache(FrozenClock(NOW), redis=store) for store in stores)
    loader = Loader()
    resource = text_resource()
    try:
        await one.start()
        await two.start()
        await two.get(resource, "t", {"slug": "before"}, loader)
        own_redis_server.stop()
        async with asyncio.timeout(5):
            await one.get(resource, "t", {"slug": "during"}, loader)
        assert one.stats.breaker == "open"
        own_redis_server.start()
        await eventually(lambda: one.stats.resyncs == 1 and two.stats.resyncs == 1)
        # Nothing was invalidated while unsubscribed: what L1 held still answers.
        assert (await two.get(resource, "t", {"slug": "before"}, loader)).value == "value-1"
        # Loaded while Redis was away, by a process that had never seen its tags: unknown.
        assert (one.stats.resync_drops, two.stats.resync_drops) == (1, 0)
        await asyncio.sleep(0.2)  # the breaker's cooldown
        await one.get(resource, "t", SLUG, loader, tags=["link:demo"])
        assert one.stats.breaker == "closed"
        got = await two.get(resource, "t", SLUG, loader, tags=["link:demo"])
        assert (got.value, loader.calls) == ("value-3", 3), "served from L2, not loaded"
        await one.invalidate("t", ["link:demo"])
        await eventually(lambda: two.stats.invalidations == 1)
        assert (await two.get(resource, "t", SLUG, loader)).value == "value-4"
    finally:
        await one.aclose()
        await two.aclose()
        for store in stores:
            await store.aclose()


async def test_an_invalidation_made_while_redis_is_down_is_applied_when_it_returns(
    own_redis_server: RedisServer,
) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=0.1)
    cache = ReadThroughCache(FrozenClock(NOW), redis=store)
    raw = Redis.from_url(own_redis_server.url)
    try:
        own_redis_server.stop()
        await cache.invalidate("t", ["link:demo"])
        own_redis_server.start()
        async with asyncio.timeout(5):
            await cache.drain()
        assert await raw.get(generation_key("t", "link:demo")) == b"1"
    finally:
        await cache.aclose()
        await store.aclose()
        await raw.aclose()


async def test_redis_coming_back_costs_no_more_loads_than_redis_staying_away(
    own_redis_server: RedisServer,
) -> None:
    stores = [RedisStore.from_url(own_redis_server.url, breaker_cooldown=0.1) for _ in "ab"]
    one, two = (ReadThroughCache(FrozenClock(NOW), redis=store) for store in stores)
    loader = Loader()
    resource = text_resource()
    slugs = [f"link-{n}" for n in range(6)]

    async def read_all() -> list[str]:
        return [
            (await one.get(resource, "t", {"slug": s}, loader, tags=[f"link:{s}"])).value
            for s in slugs
        ]

    try:
        await one.start()
        await two.start()
        warm = await read_all()
        assert loader.calls == 6
        own_redis_server.stop()
        async with asyncio.timeout(5):
            # This process invalidates one link, another process a second one; neither
            # reaches Redis, both are retried in the background.
            await one.invalidate("t", ["link:link-1"])
            await two.invalidate("t", ["link:link-2"])
            during = await read_all()
            assert await read_all() == during
        # What Redis staying away would cost: the reload of the link dropped here, once.
        assert loader.calls == 7
        assert during == [*warm[:1], "value-7", *warm[2:]]
        own_redis_server.start()
        async with asyncio.timeout(10):
            await two.drain()  # the other process's invalidation has reached Redis
            await eventually(lambda: one.stats.resyncs == 1, within=10)
            await one.drain()
        await eventually(lambda: one.stats.resync_drops + one.stats.invalidations == 2)
        after = await read_all()
        # Only the link invalidated elsewhere is loaded again: that invalidation is honoured,
        # and everything else, this process's own reload included, is still served from L1.
        assert loader.calls == 8
        assert after == [*during[:2], "value-8", *during[3:]]
        assert await read_all() == after
        assert loader.calls == 8
    finally:
        await one.aclose()
        await two.aclose()
        for store in stores:
            await store.aclose()


async def test_redis_coming_back_drops_what_was_invalidated_while_unsubscribed(
    own_redis_server: RedisServer,
) -> None:
    store = RedisStore.from_url(own_redis_server.url, breaker_cooldown=0.1)
    cache = ReadThroughCache(FrozenClock(NOW), redis=store)
    raw = Redis.from_url(own_redis_server.url)
    loader = Loader()
    resource = text_resource()
    try:
        await cache.start()
        await raw.incr(generation_key("t", "link:moved"))  # as of before the warm-up
        for slug in ("moved", "kept"):
            await cache.get(resource, "t", {"slug": slug}, loader, tags=[f"link:{slug}"])
        # An invalidation this process misses: its message goes to no channel it listens to.
        await store.invalidate("t", ["link:moved"], "elsewhere", b"{}")
        await raw.client_kill_filter(_type="pubsub")
        await eventually(lambda: cache.stats.resyncs == 1)
        assert cache.stats.resync_drops == 1
        moved = await cache.get(resource, "t", {"slug": "moved"}, loader, tags=["link:moved"])
        kept = await cache.get(resource, "t", {"slug": "kept"}, loader, tags=["link:kept"])
        assert (moved.value, kept.value, loader.calls) == ("value-3", "value-2", 3)
    finally:
        await cache.aclose()
        await store.aclose()
        await raw.aclose()


# -- tenants -------------------------------------------------------------------------------

CREDENTIALS = ["pat-na1-alpha", "pat-eu1-beta", "", None]

operations = st.lists(
    st.tuples(
        st.sampled_from(CREDENTIALS),
        st.sampled_from(["demo", "sales", "intro"]),
        st.sampled_from([0, 1]),
        st.booleans(),  # which of the two processes asks
        st.booleans(),  # whether it invalidates the link first
    ),
    min_size=1,
    max_size=16,
)


@settings(max_examples=25, deadline=None)
@given(operations)
def test_no_answer_ever_crosses_tenants(
    redis_server: RedisServer, ops: list[tuple[str | None, str, int, bool, bool]]
) -> None:
    async def scenario() -> None:
        stores = [RedisStore.from_url(redis_server.url) for _ in "ab"]
        caches = [ReadThroughCache(SystemClock(), redis=store) for store in stores]
        resource = text_resource("availability", ttl=60, max_stale=60)

        async def ask(
            credential: str | None, slug: str, month: int, first: bool, drop: bool
        ) -> None:
            cache = caches[first]
            tenant = tenant_id(credential)
            if drop:
                await cache.invalidate(tenant, [f"link:{slug}"])

            async def load() -> str:
                await asyncio.sleep(0.001)
                return f"{credential}|{slug}|{month}"

            got = await cache.get(
                resource, tenant, {"slug": slug, "month": month}, load, tags=[f"link:{slug}"]
            )
            assert got.value == f"{credential}|{slug}|{month}"

        try:
            await asyncio.gather(*(ask(*op) for op in ops))
        finally:
            for cache in caches:
                await cache.aclose()
            for store in stores:
                await store.aclose()

    asyncio.run(scenario())


# -- load outcomes and read accounting -------------------------------------------------------


async def test_a_passed_value_is_answered_to_its_flight_and_never_kept() -> None:
    cache = memory_cache()
    calls = 0
    gate = asyncio.Event()

    async def once() -> str | Pass[str]:
        nonlocal calls
        calls += 1
        await gate.wait()
        return Pass(f"once-{calls}")

    waiting = [asyncio.create_task(cache.get(text_resource(), "t", SLUG, once)) for _ in range(3)]
    await eventually(lambda: calls == 1)
    gate.set()
    answers = await asyncio.gather(*waiting)
    assert {(a.value, a.stale) for a in answers} == {("once-1", False)}
    assert (await cache.get(text_resource(), "t", SLUG, once)).value == "once-2"
    assert calls == 2
    assert cache.l1_entries == 0
    assert (cache.stats.loads, cache.stats.load_errors) == (2, 0)
    assert cache.stats.reads == {("links", "pass"): 4}
    await cache.aclose()


async def test_every_read_has_exactly_one_outcome() -> None:
    timer = ManualTimer()
    cache = memory_cache(timer)
    loader = Loader()
    resource = text_resource(ttl=30, max_stale=60, swr=0)
    await cache.get(resource, "t", SLUG, loader)  # miss
    await cache.get(resource, "t", SLUG, loader)  # l1
    loader.error = UpstreamUnavailable("down", status=503)
    with pytest.raises(UpstreamUnavailable):
        await cache.get(resource, "t", {"slug": "other"}, loader)  # error, nothing to fall back on
    timer.advance(31)
    assert (await cache.get(resource, "t", SLUG, loader)).stale  # stale-if-error
    loader.error = UpstreamNotFound("gone", status=404)
    with pytest.raises(UpstreamNotFound):
        await cache.get(resource, "t", {"slug": "gone"}, loader)  # error
    assert cache.stats.reads == {
        ("links", "miss"): 1,
        ("links", "l1"): 1,
        ("links", "error"): 2,
        ("links", "stale"): 1,
    }
    assert cache.stats.load_errors == 3
    await cache.aclose()


async def test_with_swr_zero_nothing_past_its_ttl_is_served_while_another_holds_the_lease(
    redis_store: RedisStore, other_redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    resource = text_resource(ttl=10, max_stale=30, swr=0)
    key = entry_key(tenant, resource.name, SLUG)
    one = shared_cache(redis_store)
    loader = Loader()
    await one.get(resource, tenant, SLUG, loader)
    await raw_redis.pexpire(key, 15_000)  # in L2 it is now 15 s old: past its TTL of 10
    await raw_redis.set(lease_key(key), "a-process-loading-it", px=60_000)
    two = shared_cache(other_redis_store)
    read = asyncio.create_task(two.get(resource, tenant, SLUG, loader))
    await eventually(lambda: read.done() or two.stats.lease_waits == 1)
    assert not read.done(), "a copy past its TTL was served although swr is 0"
    await raw_redis.delete(lease_key(key))  # the holder gave up: two loads itself
    async with asyncio.timeout(5):
        got = await read
    assert (got.value, got.stale) == ("value-2", False)
    assert loader.calls == 2
    await one.aclose()
    await two.aclose()


async def test_a_note_reaches_every_process_after_its_entries_are_gone(
    redis_store: RedisStore, other_redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    one = shared_cache(redis_store)
    two = shared_cache(other_redis_store)
    await one.start()
    await two.start()
    loader = Loader()
    resource = text_resource()
    tags = ["link:demo"]
    await two.get(resource, tenant, SLUG, loader, tags=tags)
    heard: list[tuple[str, str, int]] = []

    def on_one(note_tenant: str, note: str) -> None:
        # By now the entry is gone from Redis too: a read this note prompts loads afresh.
        heard.append(("one", note, 0))

    def on_two(note_tenant: str, note: str) -> None:
        heard.append(("two", note, two.l1_entries))
        assert note_tenant == tenant

    one.observe(on_one)
    two.observe(on_two)
    await one.invalidate(tenant, tags, note="slots:BOOKED")
    assert heard == [("one", "slots:BOOKED", 0)]
    assert await raw_redis.exists(entry_key(tenant, resource.name, SLUG)) == 0
    await eventually(lambda: len(heard) == 2)
    assert heard[1] == ("two", "slots:BOOKED", 0)  # its L1 copy went first
    # A note alone drops nothing.
    await two.get(resource, tenant, SLUG, loader, tags=tags)
    invalidations = two.stats.invalidations
    await one.announce(tenant, "slots:EXPIRED")
    await eventually(lambda: len(heard) == 4)
    assert [note for _, note, _ in heard[2:]] == ["slots:EXPIRED", "slots:EXPIRED"]
    assert two.stats.invalidations == invalidations
    assert two.l1_entries == 1
    await one.aclose()
    await two.aclose()


async def test_without_redis_a_note_stays_in_the_process() -> None:
    cache = memory_cache()
    heard: list[tuple[str, str]] = []
    cache.observe(lambda tenant, note: heard.append((tenant, note)))
    await cache.invalidate("t", ["link:demo"], note="slots:HELD")
    await cache.announce("t", "slots:EXPIRED")
    await cache.invalidate("t", ["link:demo"])  # no note, nothing heard
    assert heard == [("t", "slots:HELD"), ("t", "slots:EXPIRED")]
