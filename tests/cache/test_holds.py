"""Hold stores: overlap on a shared scope refuses, all or nothing, the same in process and on
a real Redis shared by two clients."""

from __future__ import annotations

import asyncio
import json

import pytest

from gateway.cache import (
    HoldDraft,
    HoldStore,
    MemoryHoldStore,
    RedisHoldStore,
    RedisStore,
    RenewalRefused,
)

MINUTE = 60_000
TTL = 60_000


def draft(hold_id: str, start: int, minutes: int, *scopes: str) -> HoldDraft:
    record = json.dumps({"id": hold_id}).encode()
    return HoldDraft(hold_id, record, start, start + minutes * MINUTE, scopes)


@pytest.fixture(params=["memory", "redis"])
def stores(
    request: pytest.FixtureRequest, redis_store: RedisStore, other_redis_store: RedisStore
) -> tuple[HoldStore, HoldStore]:
    """Two processes' stores: one shared store in process, two clients on one Redis."""
    if request.param == "memory":
        memory = MemoryHoldStore()
        return memory, memory
    return RedisHoldStore(redis_store), RedisHoldStore(other_redis_store)


async def test_an_overlap_on_a_shared_scope_is_refused_whoever_asks(
    stores: tuple[HoldStore, HoldStore], tenant: str
) -> None:
    first, second = stores
    assert await first.grant(tenant, draft("a", 0, 30, "link:x", "member:1"), TTL) == TTL
    # Another duration overlapping on the member, from another link: refused.
    assert (
        await second.grant(tenant, draft("b", 15 * MINUTE, 60, "link:y", "member:1"), TTL) is None
    )
    # Same time, other members and link: granted.
    assert await second.grant(tenant, draft("c", 0, 30, "link:z", "member:2"), TTL) == TTL
    # Right after the first: no overlap.
    assert await second.grant(tenant, draft("d", 30 * MINUTE, 30, "member:1"), TTL) == TTL
    # Another tenant never meets these holds.
    assert await second.grant(f"{tenant}-other", draft("e", 0, 30, "member:1"), TTL) == TTL
    held = sorted(json.loads(live.record)["id"] for live in await first.active(tenant))
    assert held == ["a", "c", "d"]


async def test_release_and_renew_up_to_the_cap(
    stores: tuple[HoldStore, HoldStore], tenant: str
) -> None:
    first, second = stores
    await first.grant(tenant, draft("a", 0, 30, "member:1"), TTL)
    renewed = await second.renew(tenant, "a", TTL, 1)
    assert renewed is not None
    assert not isinstance(renewed, RenewalRefused)
    assert renewed.renewals == 1
    assert isinstance(await first.renew(tenant, "a", TTL, 1), RenewalRefused)
    assert await second.release(tenant, "a") == json.dumps({"id": "a"}).encode()
    assert await first.release(tenant, "a") is None
    assert await first.renew(tenant, "a", TTL, 1) is None
    assert await first.grant(tenant, draft("b", 0, 30, "member:1"), TTL) == TTL


async def test_an_expiry_is_observed_once_whoever_sweeps(
    stores: tuple[HoldStore, HoldStore], tenant: str
) -> None:
    one, other = stores
    seen: list[str] = []
    one.observer = other.observer = seen.append
    assert await one.sweep(tenant) is None  # nothing held, nothing to wait for
    assert await one.grant(tenant, draft("h1", 0, 30, "link:a"), 80) == 80
    left = await other.sweep(tenant)
    assert left is not None
    assert 0 < left <= 80
    assert seen == []
    await asyncio.sleep(left / 1000 + 0.02)  # the hold's own time has to pass
    assert await other.sweep(tenant) is None
    assert await one.sweep(tenant) is None
    assert seen == [tenant]
    assert one.stats.expired + (other.stats.expired if other is not one else 0) == 1
