"""Idempotent bookings: a retry with the same key gets the first answer, never a second booking.

    store = build_idempotency_store(redis)
    body = await store.run(tenant, idempotency_key, fingerprint, book)

``run`` runs ``action`` once per (tenant, key) and stores the bytes it returns for 24 hours;
a later call with the same key and fingerprint returns them without running ``action``. The
same key with another fingerprint (the request changed) raises ``IdempotencyConflict``.
Concurrent duplicates run ``action`` once: they wait for its result. If ``action`` raises,
nothing is stored, the error goes to the caller whose call ran it, and the waiters try
again (so one of them runs ``action`` anew). ``action`` runs in a task of its own, so a
caller that goes away does not cut a booking in half.

``MemoryIdempotencyStore`` holds this guarantee within one process. ``RedisIdempotencyStore``
holds it across processes with a hash per key: a ``pending`` marker carrying a lease (so a
crashed process's claim expires), then ``done`` with the result. Duplicates in other
processes poll it until the result appears or ``wait`` runs out
(``IdempotencyInProgress``: the client should retry later). It runs every call through a
``MemoryIdempotencyStore`` first, so duplicates in one process never reach Redis twice, and
when Redis is unreachable it keeps the in-process guarantee alone: a retry landing on another
process could then run ``action`` again. A waiter that loses Redis while another process
holds the claim raises ``IdempotencyInProgress`` rather than risk a second booking.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cachetools import TTLCache

from gateway.cache.keys import idempotency_key
from gateway.cache.redis_store import RedisStore, StoreUnavailable
from gateway.errors import GatewayError

DAY = 24 * 3600.0

Action = Callable[[], Awaitable[bytes]]


class IdempotencyConflict(GatewayError):
    """The idempotency key was used before for a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyInProgress(GatewayError):
    """A request with this idempotency key is still running elsewhere; retry later."""

    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


class IdempotencyStore(Protocol):
    async def run(self, tenant: str, key: str, fingerprint: str, action: Action) -> bytes: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Done:
    fingerprint: str
    result: bytes


@dataclass(frozen=True, slots=True)
class _Pending:
    fingerprint: str
    task: asyncio.Task[bytes]


def _conflict(key: str) -> IdempotencyConflict:
    return IdempotencyConflict(f"idempotency key {key!r} was already used for another request")


class MemoryIdempotencyStore:
    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        lifetime: float = DAY,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._done: TTLCache[tuple[str, str], _Done] = TTLCache(max_entries, lifetime, timer)
        self._pending: dict[tuple[str, str], _Pending] = {}

    async def run(self, tenant: str, key: str, fingerprint: str, action: Action) -> bytes:
        slot = (tenant, key)
        while True:
            done = self._done.get(slot)
            if done is not None:
                if done.fingerprint != fingerprint:
                    raise _conflict(key)
                return done.result
            pending = self._pending.get(slot)
            if pending is None:
                break
            if pending.fingerprint != fingerprint:
                raise _conflict(key)
            try:
                return await asyncio.shield(pending.task)
            except Exception:
                continue  # its caller got the error; this duplicate tries again
        task = asyncio.create_task(self._settle(slot, fingerprint, action))
        self._pending[slot] = _Pending(fingerprint, task)
        return await asyncio.shield(task)

    async def _settle(self, slot: tuple[str, str], fingerprint: str, action: Action) -> bytes:
        try:
            result = await action()
        finally:
            del self._pending[slot]
        self._done[slot] = _Done(fingerprint, result)
        return result

    async def aclose(self) -> None:
        """Let running actions finish: a booking under way is recorded, not cut short."""
        tasks = [pending.task for pending in self._pending.values()]
        await asyncio.gather(*tasks, return_exceptions=True)


# KEYS[1] the record. ARGV: fingerprint, token, lease ms.
_CLAIM = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', 'pending', 'fingerprint', ARGV[1], 'token', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[1] then return {'conflict'} end
if state == 'done' then return {'done', redis.call('HGET', KEYS[1], 'result')} end
return {'pending'}
"""

# KEYS[1] the record. ARGV: fingerprint, result, lifetime ms. The first result stored wins.
_COMPLETE = """
if redis.call('HGET', KEYS[1], 'state') == 'done' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'done', 'fingerprint', ARGV[1], 'result', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS[1] the record. ARGV: token. Only the claim's owner may drop it.
_ABANDON = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIdempotencyStore:
    def __init__(
        self,
        redis: RedisStore,
        *,
        lifetime: float = DAY,
        lease: float = 60.0,
        wait: float = 30.0,
        poll_interval: float = 0.05,
        local: MemoryIdempotencyStore | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        """``redis`` is borrowed: ``aclose`` leaves it open. ``lease`` must outlast the
        slowest booking, or a duplicate may run once the claim expires."""
        self._redis = redis
        self._lifetime_ms = int(lifetime * 1000)
        self._lease_ms = int(lease * 1000)
        self._wait = wait
        self._poll = poll_interval
        self._timer = timer
        self._local = local or MemoryIdempotencyStore(lifetime=lifetime, timer=timer)
        self._claim = redis.client.register_script(_CLAIM)
        self._complete = redis.client.register_script(_COMPLETE)
        self._abandon = redis.client.register_script(_ABANDON)

    async def run(self, tenant: str, key: str, fingerprint: str, action: Action) -> bytes:
        async def shared() -> bytes:
            return await self._run_shared(tenant, key, fingerprint, action)

        return await self._local.run(tenant, key, fingerprint, shared)

    async def _run_shared(self, tenant: str, key: str, fingerprint: str, action: Action) -> bytes:
        name = idempotency_key(tenant, key)
        token = secrets.token_hex(8)
        deadline = self._timer() + self._wait
        seen_pending = False
        while True:
            try:
                reply: list[Any] = await self._redis.call(
                    lambda client: self._claim(
                        keys=[name], args=[fingerprint, token, self._lease_ms], client=client
                    )
                )
            except StoreUnavailable:
                if seen_pending:
                    raise IdempotencyInProgress(
                        f"idempotency key {key!r} is in use elsewhere and Redis is unreachable"
                    ) from None
                return await action()
            state = bytes(reply[0])
            if state == b"claimed":
                break
            if state == b"conflict":
                raise _conflict(key)
            if state == b"done":
                return bytes(reply[1])
            seen_pending = True
            if self._timer() >= deadline:
                raise IdempotencyInProgress(f"idempotency key {key!r} is still in progress")
            await asyncio.sleep(self._poll)
        try:
            result = await action()
        except BaseException:
            # Unreachable Redis: the claim's lease expires by itself.
            with contextlib.suppress(StoreUnavailable):
                await self._redis.call(
                    lambda client: self._abandon(keys=[name], args=[token], client=client)
                )
            raise
        # Unreachable Redis: this process still remembers the result (see the docstring).
        with contextlib.suppress(StoreUnavailable):
            await self._redis.call(
                lambda client: self._complete(
                    keys=[name], args=[fingerprint, result, self._lifetime_ms], client=client
                )
            )
        return result

    async def aclose(self) -> None:
        await self._local.aclose()
