"""Which webhook events were applied already: once per tenant and event id, in process and on
a real Redis shared by two clients."""

from __future__ import annotations

import pytest

from gateway.cache import DeliveryLog, RedisStore, build_delivery_log
from tests.support.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
def logs(
    request: pytest.FixtureRequest, redis_store: RedisStore, other_redis_store: RedisStore
) -> tuple[DeliveryLog, DeliveryLog]:
    if request.param == "memory":
        memory = build_delivery_log(None)
        return memory, memory
    return build_delivery_log(redis_store), build_delivery_log(other_redis_store)


async def test_an_event_is_first_once_per_tenant(
    logs: tuple[DeliveryLog, DeliveryLog], tenant: str
) -> None:
    one, other = logs
    assert await one.first(tenant, "101") is True
    assert await other.first(tenant, "101") is False
    assert await one.first(tenant, "101") is False
    assert await other.first(tenant, "102") is True
    assert await one.first(f"{tenant}-b", "101") is True


async def test_without_redis_an_event_counts_as_new(own_redis_server: RedisServer) -> None:
    store = RedisStore.from_url(own_redis_server.url)
    log = build_delivery_log(store)
    own_redis_server.stop()
    try:
        # Applying it twice only reads some pages again; dropping it could hide a booking.
        assert await log.first("t", "1") is True
        assert await log.first("t", "1") is True
    finally:
        await store.aclose()
