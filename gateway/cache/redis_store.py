"""The shared tier: a ``Store`` of bytes in Redis that never fails or stalls a request.

Every call goes through ``RedisStore.call``: it is refused at once while the breaker is open,
bounded by a timeout (the socket timeouts plus an overall guard), and any Redis or socket
error becomes ``StoreUnavailable`` after opening the breaker. Callers treat
``StoreUnavailable`` as "no shared tier right now" and carry on in-process. The client
does not retry by itself: one failure is enough to open the breaker, which then probes
Redis again after its cooldown, so the store reconnects on its own when Redis returns.

Entries are stored with ``PX`` = the time they have left, preceded by an 8-byte header
holding their full lifetime in milliseconds; a reader derives the age as lifetime minus
``PTTL``. Redis's clock thus ages entries for every process alike.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.breaker import Breaker
from gateway.cache.keys import EVERY_ENTRY, entry_pattern, generation_key, tag_key
from gateway.cache.store import Hit
from gateway.settings import Settings

# GATEWAY_REDIS_TIMEOUT's and GATEWAY_REDIS_BREAKER_COOLDOWN's defaults.
DEFAULTS = Settings()

R = TypeVar("R")

_HEADER = struct.Struct("!Q")

# Generations read per round trip when L1 is checked after a resubscription.
_MGET_CHUNK = 500
# Dead pooled connections a check may meet (and replace) after Redis restarted.
_RECONNECTS = 2

# A generation key outlives any load that could have read it.
_GENERATION_LIFETIME_MS = 24 * 3600 * 1000

# KEYS: entry, then n generation keys, then m tag-set keys.
# ARGV: payload, px, lifetime ms, n, m, then n expected generations ("" for none).
_PUT = """
local n = tonumber(ARGV[4])
local m = tonumber(ARGV[5])
for i = 1, n do
  local current = redis.call('GET', KEYS[1 + i]) or ''
  if current ~= ARGV[5 + i] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local lifetime = tonumber(ARGV[3])
for i = 1, m do
  local index = KEYS[1 + n + i]
  redis.call('SADD', index, KEYS[1])
  if redis.call('PTTL', index) < lifetime then redis.call('PEXPIRE', index, lifetime) end
end
return 1
"""

# KEYS: n generation keys, then m tag-set keys. ARGV: n, m, generation lifetime ms, channel,
# message, whether to publish ("1"/"0"). Bumping generations first means a load that read the
# old ones cannot write back. Returns the new generations.
_INVALIDATE = """
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local bumped = {}
for i = 1, n do
  bumped[i] = redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
for i = 1, m do
  local index = KEYS[n + i]
  for _, key in ipairs(redis.call('SMEMBERS', index)) do redis.call('DEL', key) end
  redis.call('DEL', index)
end
if ARGV[6] == '1' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return bumped
"""

# KEYS: entry, lease, then n generation keys. ARGV: n, lease token, lease ms. The generations,
# then the entry and its PTTL, and, when there is no entry, the lease taken if it is free: a
# miss's three round trips (read, lease, generations) in one. Returns {generations, entry or
# false, pttl, 1 if leased}.
_READ_OR_LEASE = """
local n = tonumber(ARGV[1])
local generations = {}
for i = 1, n do generations[i] = redis.call('GET', KEYS[2 + i]) or '' end
local value = redis.call('GET', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
local leased = 0
if not value and redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then leased = 1 end
return {generations, value, left, leased}
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


# The store's scripts, loaded at start (``RedisStore.warm``) with those of Redis's other users.
SCRIPTS = (_PUT, _INVALIDATE, _RELEASE, _READ_OR_LEASE)


class StoreUnavailable(Exception):
    """Redis is down, slow, or bypassed by the open breaker; the caller carries on without it."""


class RedisStore:
    def __init__(self, client: Redis, *, timeout: float, breaker: Breaker) -> None:
        self.client = client
        self.breaker = breaker
        self.errors = 0
        self._guard = 2 * timeout + 0.05  # connect plus one read, should a socket timeout slip
        self._put = client.register_script(_PUT)
        self._invalidate = client.register_script(_INVALIDATE)
        self._release = client.register_script(_RELEASE)
        self._read_or_lease = client.register_script(_READ_OR_LEASE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULTS.redis_timeout,
        breaker_cooldown: float = DEFAULTS.redis_breaker_cooldown,
    ) -> RedisStore:
        client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        return cls(client, timeout=timeout, breaker=Breaker(1, breaker_cooldown))

    async def call(self, operation: Callable[[Redis], Awaitable[R]]) -> R:
        """Run one Redis operation under the breaker and the timeout."""
        if not self.breaker.allow():
            raise StoreUnavailable("the Redis breaker is open")
        try:
            async with asyncio.timeout(self._guard):
                result = await operation(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self.errors += 1
            self.breaker.record_failure()
            raise StoreUnavailable(str(exc) or type(exc).__name__) from exc
        except BaseException:
            # A cancelled probe must not leave the breaker half-open for good.
            if self.breaker.state == "half-open":
                self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return result

    async def get(self, key: str) -> Hit[bytes] | None:
        async def read(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                result: list[Any] = await pipe.execute()
                return result

        raw, left_ms = await self.call(read)
        return _hit(raw, left_ms)

    async def set(self, key: str, value: bytes, lifetime: float, *, age: float = 0.0) -> None:
        await self.put(key, value, lifetime, age=age)

    async def put(
        self,
        key: str,
        value: bytes,
        lifetime: float,
        *,
        age: float = 0.0,
        tenant: str = "",
        generations: Mapping[str, str] | None = None,
    ) -> bool:
        """Store ``value`` and index it under each tag in ``generations`` (tag → generation
        read before the value was loaded), unless an invalidation bumped one of them since;
        returns whether it was written."""
        px = int((lifetime - age) * 1000)
        if px <= 0:
            return False
        tags = sorted(generations or {})
        indexed = _indexed(tags)
        keys = [key, *_generation_keys(tenant, tags), *_index_keys(tenant, indexed)]
        args: list[str | bytes | int] = [
            _HEADER.pack(int(lifetime * 1000)) + value,
            px,
            int(lifetime * 1000),
            len(tags),
            len(indexed),
            *((generations or {})[t] for t in tags),
        ]
        written = await self.call(lambda client: self._put(keys=keys, args=args, client=client))
        return bool(written)

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(keys)
        if doomed:
            await self.call(lambda client: client.delete(*doomed))

    async def generations(self, tenant: str, tags: Sequence[str]) -> dict[str, str]:
        """Each tag's current generation, ``""`` for a tag never invalidated."""
        if not tags:
            return {}
        names = [generation_key(tenant, t) for t in tags]
        values: list[Any] = await self.call(lambda client: client.mget(names))
        return {t: _generation(v) for t, v in zip(tags, values, strict=True)}

    async def get_tagged(
        self, key: str, tenant: str, tags: Sequence[str]
    ) -> tuple[Hit[bytes] | None, dict[str, str]]:
        """``get`` and the tags' generations in one round trip, the generations read first."""
        names = [generation_key(tenant, t) for t in tags]

        async def read(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                if names:
                    pipe.mget(names)
                pipe.get(key)
                pipe.pttl(key)
                result: list[Any] = await pipe.execute()
                return result

        answers = await self.call(read)
        values: list[Any] = answers[0] if names else []
        raw, left_ms = answers[-2:]
        generations = {t: _generation(v) for t, v in zip(tags, values, strict=True)}
        return _hit(raw, left_ms), generations

    async def get_or_lease(
        self,
        key: str,
        tenant: str,
        tags: Sequence[str],
        *,
        lease: str,
        token: str,
        lifetime: float,
    ) -> tuple[Hit[bytes] | None, dict[str, str], bool]:
        """``get_tagged`` and, when ``key`` holds nothing, ``acquire(lease, token, lifetime)``,
        in one round trip (one script, so the generations are as of the lease); the last item
        says whether the lease was taken."""
        keys = [key, lease, *_generation_keys(tenant, tags)]
        args: list[str | int] = [len(tags), token, max(1, int(lifetime * 1000))]
        answer: list[Any] = await self.call(
            lambda client: self._read_or_lease(keys=keys, args=args, client=client)
        )
        values, raw, left_ms, leased = answer
        generations = {t: _generation(v) for t, v in zip(tags, values, strict=True)}
        return _hit(raw, left_ms), generations, bool(leased)

    async def current_generations(
        self, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The generation of each (tenant, tag), asked even while the breaker is open: it is
        read once the invalidation channel is back, which proves Redis answers again."""
        found: dict[tuple[str, str], str] = {}
        for start in range(0, len(pairs), _MGET_CHUNK):
            chunk = pairs[start : start + _MGET_CHUNK]
            names = [generation_key(tenant, tag) for tenant, tag in chunk]
            values = await self._mget_once_reconnected(names)
            found.update((pair, _generation(v)) for pair, v in zip(chunk, values, strict=True))
        return found

    async def _mget_once_reconnected(self, names: list[str]) -> list[Any]:
        # Pooled connections from before a restart fail once each before reconnecting.
        for attempt in range(_RECONNECTS + 1):
            try:
                async with asyncio.timeout(self._guard):
                    values: list[Any] = await self.client.mget(names)
                    return values
            except (RedisError, OSError, TimeoutError) as exc:
                self.errors += 1
                if attempt == _RECONNECTS:
                    raise StoreUnavailable(str(exc) or type(exc).__name__) from exc
        raise AssertionError("unreachable")

    async def invalidate(
        self, tenant: str, tags: Sequence[str], channel: str, message: bytes
    ) -> dict[str, str]:
        """Bump and drop ``tags`` and publish ``message``; returns each tag's new generation.

        ``EVERY_ENTRY`` has no index (it would hold every key a tenant ever wrote): its entries
        are found by scanning, after the bump (so no load begun before can write one back) and
        before the message (so no process reads one back into its L1)."""
        indexed = _indexed(tags)
        everything = len(indexed) < len(tags)
        keys = [*_generation_keys(tenant, tags), *_index_keys(tenant, indexed)]
        args: list[str | bytes | int] = [
            len(tags),
            len(indexed),
            _GENERATION_LIFETIME_MS,
            channel,
            message,
            "0" if everything else "1",
        ]

        async def run(client: Redis) -> list[Any]:
            bumped: list[Any] = await self._invalidate(keys=keys, args=args, client=client)
            if everything:
                doomed = [key async for key in client.scan_iter(match=entry_pattern(tenant))]
                for start in range(0, len(doomed), _MGET_CHUNK):
                    await client.delete(*doomed[start : start + _MGET_CHUNK])
                await client.publish(channel, message)
            return bumped

        bumped = await self.call(run)
        return {t: str(int(v)) for t, v in zip(tags, bumped, strict=True)}

    async def acquire(self, key: str, token: str, lifetime: float) -> bool:
        """Take a lease that expires by itself after ``lifetime`` seconds."""
        ms = max(1, int(lifetime * 1000))
        return bool(await self.call(lambda client: client.set(key, token, nx=True, px=ms)))

    async def release(self, key: str, token: str) -> None:
        """Drop a lease, unless it expired and someone else holds it now."""
        await self.call(lambda client: self._release(keys=[key], args=[token], client=client))

    async def exists(self, key: str) -> bool:
        return bool(await self.call(lambda client: client.exists(key)))

    async def listen(
        self,
        channel: str,
        handle: Callable[[bytes], None],
        on_subscribed: Callable[[], None],
        *,
        max_pause: float = 1.0,
    ) -> None:
        """Pass every message on ``channel`` to ``handle`` until cancelled.

        Survives Redis going away: it resubscribes with backoff and calls ``on_subscribed``
        each time a subscription is confirmed, so the caller can drop whatever it may have
        missed meanwhile. Bypasses the breaker: waiting for messages is not a request.
        """
        pause = 0.05
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(channel)
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        pause = 0.05
                        on_subscribed()
                    elif message["type"] == "message":
                        handle(message["data"])
            except (RedisError, OSError):
                pass  # Redis went away or restarted; the loop resubscribes
            finally:
                await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, max_pause)

    async def warm(self, connections: int, scripts: Iterable[str]) -> None:
        """Open ``connections`` pooled connections and load ``scripts``: otherwise a fresh
        process's first requests connect while they wait (one per concurrent read), and a
        fresh Redis answers each script's first EVALSHA with NOSCRIPT, then SCRIPT LOAD."""
        pool = self.client.connection_pool

        async def run(client: Redis) -> None:
            opened = [await pool.get_connection() for _ in range(connections)]  # type: ignore[no-untyped-call]
            for connection in opened:
                await pool.release(connection)
            async with client.pipeline(transaction=False) as pipe:
                for script in scripts:
                    pipe.script_load(script)
                await pipe.execute()

        await self.call(run)

    async def ping(self) -> bool:
        """Whether Redis answers now; asks it even while the breaker is open."""
        try:
            async with asyncio.timeout(self._guard):
                return bool(await self.client.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def aclose(self) -> None:
        await self.client.aclose()


def _hit(raw: Any, left_ms: int) -> Hit[bytes] | None:
    """A stored entry and its age (from its lifetime header and ``PTTL``), if there is one."""
    if raw is None or left_ms < 0:
        return None
    (lifetime_ms,) = _HEADER.unpack_from(raw)
    return Hit(bytes(raw[_HEADER.size :]), max(0.0, (lifetime_ms - left_ms) / 1000))


def _generation(raw: Any) -> str:
    """A stored generation as text, ``""`` for a tag never invalidated."""
    return bytes(raw).decode() if raw else ""


def _indexed(tags: Sequence[str]) -> list[str]:
    return [t for t in tags if t != EVERY_ENTRY]


def _generation_keys(tenant: str, tags: Sequence[str]) -> list[str]:
    return [generation_key(tenant, t) for t in tags]


def _index_keys(tenant: str, tags: Sequence[str]) -> list[str]:
    return [tag_key(tenant, t) for t in tags]
