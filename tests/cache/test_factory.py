from __future__ import annotations

from gateway.cache import (
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
    build_cache,
    build_idempotency_store,
    build_redis_store,
    ping,
)
from gateway.clock import SystemClock
from gateway.settings import Settings
from tests.support.doubles import Loader, text_resource
from tests.support.redis_server import RedisServer


async def test_without_redis_url_everything_stays_in_process() -> None:
    settings = Settings.from_environ({"GATEWAY_L1_MAX_ENTRIES": "2"})
    redis = build_redis_store(settings)
    assert redis is None
    cache = build_cache(settings, SystemClock(), redis)
    loader = Loader()
    for slug in ("a", "b", "c", "a"):
        await cache.get(text_resource(), "t", {"slug": slug}, loader)
    assert loader.calls == 4, "the L1 bound comes from GATEWAY_L1_MAX_ENTRIES"
    assert isinstance(build_idempotency_store(redis), MemoryIdempotencyStore)
    assert await ping(redis)
    await cache.aclose()


async def test_with_redis_url_the_cache_shares_entries(redis_server: RedisServer) -> None:
    settings = Settings.from_environ({"REDIS_URL": redis_server.url})
    redis = build_redis_store(settings)
    assert redis is not None
    one = build_cache(settings, SystemClock(), redis)
    two = build_cache(settings, SystemClock(), redis)
    loader = Loader()
    resource = text_resource("booking-info")
    await one.get(resource, "factory", {"slug": "shared"}, loader)
    await two.get(resource, "factory", {"slug": "shared"}, loader)
    assert loader.calls == 1
    assert two.stats.l2_hits == 1
    assert isinstance(build_idempotency_store(redis), RedisIdempotencyStore)
    assert await ping(redis)
    await one.aclose()
    await two.aclose()
    await redis.aclose()


async def test_ping_is_false_while_redis_is_down(own_redis_server: RedisServer) -> None:
    redis = build_redis_store(Settings(redis_url=own_redis_server.url))
    assert redis is not None
    assert await ping(redis)
    own_redis_server.stop()
    assert not await ping(redis)
    own_redis_server.start()
    assert await ping(redis)
    await redis.aclose()
