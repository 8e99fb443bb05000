from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.cache import RedisStore
from tests.support.redis_server import RedisServer

# Short enough that tests see the breaker close again without long sleeps.
BREAKER_COOLDOWN = 0.2


@pytest.fixture
def tenant() -> str:
    """A tenant of this test alone, so tests sharing the session's Redis never meet."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    store = RedisStore.from_url(redis_server.url, breaker_cooldown=BREAKER_COOLDOWN)
    yield store
    await store.aclose()


@pytest.fixture
async def other_redis_store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    """A second client on the same Redis: what another gateway process would hold."""
    store = RedisStore.from_url(redis_server.url, breaker_cooldown=BREAKER_COOLDOWN)
    yield store
    await store.aclose()


@pytest.fixture
async def raw_redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A plain client for looking at what the stores wrote."""
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()
