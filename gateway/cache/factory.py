"""Building the cache parts from ``Settings``; the composition root owns what they return.

redis = build_redis_store(settings)                # None without REDIS_URL
cache = build_cache(settings, clock, redis)        # L1 alone, or L1 + L2
bookings = build_idempotency_store(redis)
holds = build_hold_store(redis)                    # slot holds, shared through Redis
ready = await ping(redis)
...
await cache.aclose(); await bookings.aclose()
if redis is not None:
    await redis.aclose()                           # one Redis client, closed last
"""

from __future__ import annotations

from gateway.cache.idempotency import (
    IdempotencyStore,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from gateway.cache.layer import ReadThroughCache
from gateway.cache.redis_store import RedisStore
from gateway.clock import Clock
from gateway.settings import Settings


def build_redis_store(settings: Settings) -> RedisStore | None:
    """Each Redis socket operation is bounded by ``GATEWAY_REDIS_TIMEOUT``; after a failure
    Redis is bypassed for ``GATEWAY_REDIS_BREAKER_COOLDOWN`` seconds."""
    if settings.redis_url is None:
        return None
    return RedisStore.from_url(
        settings.redis_url,
        timeout=settings.redis_timeout,
        breaker_cooldown=settings.redis_breaker_cooldown,
    )


def build_cache(
    settings: Settings, clock: Clock, redis: RedisStore | None = None
) -> ReadThroughCache:
    return ReadThroughCache(
        clock,
        max_entries=settings.l1_max_entries,
        max_bytes=settings.l1_max_bytes,
        redis=redis,
        invalidation_retry_for=settings.max_stale,
    )


def build_idempotency_store(redis: RedisStore | None = None) -> IdempotencyStore:
    if redis is None:
        return MemoryIdempotencyStore()
    return RedisIdempotencyStore(redis)


async def ping(redis: RedisStore | None) -> bool:
    """Readiness: ``True`` when no Redis is configured or the configured one answers."""
    return True if redis is None else await redis.ping()
