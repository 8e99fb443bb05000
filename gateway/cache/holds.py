"""Slot holds' storage: all-or-nothing grants over the members a hold covers.

    store = build_hold_store(redis)                 # in process without REDIS_URL
    remaining_ms = await store.grant(tenant, draft, ttl_ms)   # None: something overlaps
    held = await store.active(tenant)               # every live hold of the tenant
    store.observer = on_expired                     # on_expired(tenant): some hold ran out
    next_ms = await store.sweep(tenant)             # drop what ran out; ms to the next expiry

Expiry is the store's own: the index holds each hold's expiry, and whatever call finds one
past it (a grant, a read, a ``sweep``) removes it in the same script and tells ``observer``.
The removal is atomic, so of all the replicas exactly one observes each expiry. (Redis's
keyspace events would need ``notify-keyspace-events`` on every Redis the gateway meets.)

A hold covers ``scopes`` (``link:<slug>``, ``member:<user id>``) over ``[start_ms, end_ms)``;
a grant is refused when a live hold of the same tenant overlaps it in time and shares a
scope. ``RedisHoldStore`` decides that in one Lua script, on Redis's own clock, so every
replica sees one answer; holds then expire by Redis's ``PX``. Times are handed out as
milliseconds left, never as instants: the gateway's clock may be frozen, a hold's life is not.

Keys (tenant-scoped like every key):

    mg:v1:hi:<tenant>         sorted set: hold id -> expiry (Redis ms); kept a day past its
                              last hold, so that an expiry is seen (and counted) once
    mg:v1:h:<tenant>:<id>     hash: record (the domain's JSON), start, end, renewals, s:<scope>

A store that cannot reach Redis raises ``StoreUnavailable``: holds are then neither granted
nor enforced (see the README).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from gateway.cache.keys import hold_index_key, hold_key
from gateway.cache.redis_store import RedisStore

# KEYS: index, the new hold's key. ARGV: hold key prefix, record, ttl ms, start, end, scopes...
_GRANT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local start = tonumber(ARGV[4])
local finish = tonumber(ARGV[5])
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local span = redis.call('HMGET', key, 'start', 'end')
  if span[1] and tonumber(span[1]) < finish and start < tonumber(span[2]) then
    for i = 6, #ARGV do
      if redis.call('HEXISTS', key, 's:' .. ARGV[i]) == 1 then return {0, expired} end
    end
  end
end
local fields = {'record', ARGV[2], 'start', ARGV[4], 'end', ARGV[5], 'renewals', 0}
for i = 6, #ARGV do
  fields[#fields + 1] = 's:' .. ARGV[i]
  fields[#fields + 1] = 1
end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, string.sub(KEYS[2], #ARGV[1] + 1))
local keep = ttl + 86400000
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return {ttl, expired}
"""

# KEYS: index. ARGV: hold key prefix. Returns expired count, then record, ms left, renewals...
_ACTIVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)}
local held = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #held, 2 do
  local fields = redis.call('HMGET', ARGV[1] .. held[i], 'record', 'renewals')
  if fields[1] then
    out[#out + 1] = fields[1]
    out[#out + 1] = tonumber(held[i + 1]) - now
    out[#out + 1] = tonumber(fields[2])
  end
end
return out
"""

# KEYS: index, hold key. ARGV: id, ttl ms, max renewals. {0}: none, {2}: at the cap.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= now or redis.call('EXISTS', KEYS[2]) == 0 then
  return {0}
end
local renewals = tonumber(redis.call('HGET', KEYS[2], 'renewals'))
local record = redis.call('HGET', KEYS[2], 'record')
if renewals >= tonumber(ARGV[3]) then
  return {2, record, tonumber(expiry) - now, renewals}
end
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[2], 'renewals', renewals + 1)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
local keep = ttl + 86400000
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return {1, record, ttl, renewals + 1}
"""

# KEYS: index. Returns the holds that ran out (removed here), then ms to the next expiry or -1.
_SWEEP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then return {expired, tonumber(first[2]) - now} end
return {expired, -1}
"""

# KEYS: index, hold key. ARGV: id. Returns the record of the live hold it dropped, or false.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
local record = redis.call('HGET', KEYS[2], 'record')
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
if expiry and tonumber(expiry) > now and record then return record end
return false
"""

# Loaded at start with the other users' scripts (``RedisStore.warm``).
SCRIPTS = (_GRANT, _ACTIVE, _RENEW, _RELEASE, _SWEEP)


@dataclass(frozen=True, slots=True)
class HoldDraft:
    id: str
    record: bytes
    start_ms: int
    end_ms: int
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiveHold:
    record: bytes
    remaining_ms: int
    renewals: int


@dataclass(frozen=True, slots=True)
class RenewalRefused:
    """The hold is live but was renewed the most times allowed."""

    hold: LiveHold


@dataclass
class HoldStats:
    """What happened to holds in this process, read by /metrics at scrape time."""

    granted: int = 0
    refused: int = 0
    released: int = 0
    expired: int = 0
    consumed: int = 0


# Told the tenant whose holds ran out (from inside the store: it must not block).
ExpiryObserver = Callable[[str], None]


class HoldStore(Protocol):
    stats: HoldStats
    observer: ExpiryObserver | None

    async def sweep(self, tenant: str) -> int | None:
        """Drop the tenant's holds that ran out; the ms until its next one does, or None."""

    async def grant(self, tenant: str, draft: HoldDraft, ttl_ms: int) -> int | None: ...

    async def active(self, tenant: str, *, fresh: bool = False) -> list[LiveHold]:
        """``fresh``: a read that begins now, never one already under way (a booking's
        check must see every hold granted before it)."""

    async def renew(
        self, tenant: str, hold_id: str, ttl_ms: int, max_renewals: int
    ) -> LiveHold | RenewalRefused | None: ...

    async def release(self, tenant: str, hold_id: str) -> bytes | None: ...


@dataclass
class _Held:
    draft: HoldDraft
    expires: float
    renewals: int = 0


@dataclass
class MemoryHoldStore:
    """One process's holds; nothing here awaits, so each call is atomic in its event loop."""

    stats: HoldStats = field(default_factory=HoldStats)
    observer: ExpiryObserver | None = None
    _holds: dict[tuple[str, str], _Held] = field(default_factory=dict)

    def _sweep(self, tenant: str) -> dict[str, _Held]:
        now = time.monotonic()
        ran_out = [k for k, held in self._holds.items() if held.expires <= now]
        for key in ran_out:
            del self._holds[key]
            self.stats.expired += 1
        if self.observer is not None:
            for owner in {key[0] for key in ran_out}:
                self.observer(owner)
        return {k[1]: held for k, held in self._holds.items() if k[0] == tenant}

    async def sweep(self, tenant: str) -> int | None:
        left = [held.expires for held in self._sweep(tenant).values()]
        return max(0, round((min(left) - time.monotonic()) * 1000)) if left else None

    async def grant(self, tenant: str, draft: HoldDraft, ttl_ms: int) -> int | None:
        for held in self._sweep(tenant).values():
            other = held.draft
            overlaps = other.start_ms < draft.end_ms and draft.start_ms < other.end_ms
            if overlaps and set(other.scopes) & set(draft.scopes):
                return None
        self._holds[(tenant, draft.id)] = _Held(draft, time.monotonic() + ttl_ms / 1000)
        return ttl_ms

    async def active(self, tenant: str, *, fresh: bool = False) -> list[LiveHold]:
        return [_live(held) for held in self._sweep(tenant).values()]

    async def renew(
        self, tenant: str, hold_id: str, ttl_ms: int, max_renewals: int
    ) -> LiveHold | RenewalRefused | None:
        held = self._sweep(tenant).get(hold_id)
        if held is None:
            return None
        if held.renewals >= max_renewals:
            return RenewalRefused(_live(held))
        renewed = replace(
            held, expires=time.monotonic() + ttl_ms / 1000, renewals=held.renewals + 1
        )
        self._holds[(tenant, hold_id)] = renewed
        return _live(renewed)

    async def release(self, tenant: str, hold_id: str) -> bytes | None:
        self._sweep(tenant)
        held = self._holds.pop((tenant, hold_id), None)
        return held.draft.record if held else None


def _live(held: _Held) -> LiveHold:
    remaining = max(0, round((held.expires - time.monotonic()) * 1000))
    return LiveHold(held.draft.record, remaining, held.renewals)


class RedisHoldStore:
    """Holds shared by every replica on one Redis.

    A process sends one change at a time and shares one read among concurrent readers of a
    tenant: a burst of holds on one slot (the point of holds) then needs one connection, not
    one each, so it never trips the Redis breaker by exhausting connects."""

    def __init__(self, redis: RedisStore) -> None:
        self.stats = HoldStats()
        self.observer: ExpiryObserver | None = None
        self._redis = redis
        self._changes = asyncio.Lock()
        self._reads: dict[str, asyncio.Task[list[LiveHold]]] = {}
        client = redis.client
        self._grant = client.register_script(_GRANT)
        self._active = client.register_script(_ACTIVE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._sweep = client.register_script(_SWEEP)

    def _ran_out(self, tenant: str, count: int) -> None:
        self.stats.expired += count
        if count and self.observer is not None:
            self.observer(tenant)

    async def sweep(self, tenant: str) -> int | None:
        keys = [hold_index_key(tenant)]
        expired, next_ms = await self._redis.call(lambda c: self._sweep(keys, [], client=c))
        self._ran_out(tenant, int(expired))
        return None if int(next_ms) < 0 else int(next_ms)

    async def grant(self, tenant: str, draft: HoldDraft, ttl_ms: int) -> int | None:
        keys = [hold_index_key(tenant), hold_key(tenant, draft.id)]
        args: list[Any] = [
            hold_key(tenant, ""),
            draft.record,
            ttl_ms,
            draft.start_ms,
            draft.end_ms,
            *draft.scopes,
        ]
        async with self._changes:
            granted, expired = await self._redis.call(lambda c: self._grant(keys, args, client=c))
        self._ran_out(tenant, int(expired))
        return int(granted) or None

    async def active(self, tenant: str, *, fresh: bool = False) -> list[LiveHold]:
        if fresh:
            return await self._read(tenant)
        read = self._reads.get(tenant)
        if read is None:
            read = self._reads[tenant] = asyncio.ensure_future(self._read(tenant))
            read.add_done_callback(lambda _: self._reads.pop(tenant, None))
        return await asyncio.shield(read)

    async def _read(self, tenant: str) -> list[LiveHold]:
        keys, args = [hold_index_key(tenant)], [hold_key(tenant, "")]
        out = await self._redis.call(lambda c: self._active(keys, args, client=c))
        self._ran_out(tenant, int(out[0]))
        rows = out[1:]
        return [
            LiveHold(bytes(rows[i]), int(rows[i + 1]), int(rows[i + 2]))
            for i in range(0, len(rows), 3)
        ]

    async def renew(
        self, tenant: str, hold_id: str, ttl_ms: int, max_renewals: int
    ) -> LiveHold | RenewalRefused | None:
        keys = [hold_index_key(tenant), hold_key(tenant, hold_id)]
        args: list[Any] = [hold_id, ttl_ms, max_renewals]
        async with self._changes:
            out = await self._redis.call(lambda c: self._renew(keys, args, client=c))
        if int(out[0]) == 0:
            return None
        live = LiveHold(bytes(out[1]), int(out[2]), int(out[3]))
        return RenewalRefused(live) if int(out[0]) == 2 else live

    async def release(self, tenant: str, hold_id: str) -> bytes | None:
        keys = [hold_index_key(tenant), hold_key(tenant, hold_id)]
        async with self._changes:
            found = await self._redis.call(lambda c: self._release(keys, [hold_id], client=c))
        return bytes(found) if found else None


def build_hold_store(redis: RedisStore | None) -> HoldStore:
    return MemoryHoldStore() if redis is None else RedisHoldStore(redis)
