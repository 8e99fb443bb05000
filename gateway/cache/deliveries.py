"""Which webhook events were applied already: HubSpot retries a delivery until it is
acknowledged, and an event may come again in a later delivery.

    log = build_delivery_log(redis)          # in process without REDIS_URL
    if await log.first(tenant, event_id): apply(event)

Keys: ``mg:v1:w:<tenant>:<event id>``, kept a day (HubSpot's retries span about a day). With
Redis unreachable an event counts as new: applying one twice only reads some pages again.
"""

from __future__ import annotations

from typing import Protocol

from cachetools import TTLCache

from gateway.cache.keys import delivery_key
from gateway.cache.redis_store import RedisStore, StoreUnavailable

KEEP_SECONDS = 24 * 3600
# Events remembered in process; past it the oldest are forgotten (a replay then re-reads).
MEMORY_EVENTS = 100_000


class DeliveryLog(Protocol):
    async def first(self, tenant: str, event_id: str) -> bool:
        """Whether ``event_id`` is seen now for the first time (and from now on, not)."""


class MemoryDeliveryLog:
    def __init__(self) -> None:
        self._seen: TTLCache[tuple[str, str], bool] = TTLCache(MEMORY_EVENTS, KEEP_SECONDS)

    async def first(self, tenant: str, event_id: str) -> bool:
        key = (tenant, event_id)
        if key in self._seen:
            return False
        self._seen[key] = True
        return True


class RedisDeliveryLog:
    def __init__(self, redis: RedisStore) -> None:
        self._redis = redis

    async def first(self, tenant: str, event_id: str) -> bool:
        key = delivery_key(tenant, event_id)
        try:
            return bool(
                await self._redis.call(
                    lambda client: client.set(key, b"1", nx=True, px=KEEP_SECONDS * 1000)
                )
            )
        except StoreUnavailable:
            return True


def build_delivery_log(redis: RedisStore | None) -> DeliveryLog:
    return MemoryDeliveryLog() if redis is None else RedisDeliveryLog(redis)
