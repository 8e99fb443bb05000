"""The cached data layer: L1 in process (cachetools), L2 in Redis, read-through with single
flight, stale-while-revalidate, tenant-scoped keys and tag invalidation, plus idempotent
bookings. ``layer`` and ``idempotency`` document the behaviour; ``keys`` the key layout."""

from gateway.cache.deliveries import DeliveryLog, build_delivery_log
from gateway.cache.factory import (
    build_cache,
    build_idempotency_store,
    build_redis_store,
    ping,
)
from gateway.cache.holds import (
    HoldDraft,
    HoldStats,
    HoldStore,
    LiveHold,
    MemoryHoldStore,
    RedisHoldStore,
    RenewalRefused,
    build_hold_store,
)
from gateway.cache.idempotency import (
    Claim,
    IdempotencyStore,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from gateway.cache.keys import FORMAT_VERSION, entry_key, tenant_id
from gateway.cache.layer import Cached, Pass, ReadThroughCache, Resource
from gateway.cache.redis_store import RedisStore, StoreUnavailable
from gateway.cache.stats import CacheStats
from gateway.cache.store import Hit, MemoryStore, Store

__all__ = [
    "FORMAT_VERSION",
    "CacheStats",
    "Cached",
    "Claim",
    "DeliveryLog",
    "Hit",
    "HoldDraft",
    "HoldStats",
    "HoldStore",
    "IdempotencyStore",
    "LiveHold",
    "MemoryHoldStore",
    "MemoryIdempotencyStore",
    "MemoryStore",
    "Pass",
    "ReadThroughCache",
    "RedisHoldStore",
    "RedisIdempotencyStore",
    "RedisStore",
    "RenewalRefused",
    "Resource",
    "Store",
    "StoreUnavailable",
    "build_cache",
    "build_delivery_log",
    "build_hold_store",
    "build_idempotency_store",
    "build_redis_store",
    "entry_key",
    "ping",
    "tenant_id",
]
