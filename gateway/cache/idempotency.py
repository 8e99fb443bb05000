"""Idempotent bookings: a retry with the same key gets the first answer, never a second booking.

    store = build_idempotency_store(redis)
    body = await store.run(tenant, idempotency_key, fingerprint, book)

``run`` runs ``action`` once per (tenant, key) and stores the bytes it returns for 24 hours;
a later call with the same key and fingerprint returns them without running ``action``. The
same key with another fingerprint (the request changed) raises ``IdempotencyConflict``.
An action that sent nothing and has an answer that must not be replayed (HubSpot unreachable
before the booking left) returns ``Pass(bytes)``: its caller gets it, nothing is stored, and
the key is free again, as after an error.
Concurrent duplicates run ``action`` once: they wait for its result. If ``action`` raises,
nothing is stored, the error goes to the caller whose call ran it, and the waiters try
again (so one of them runs ``action`` anew): an action raises only when its request was never
sent. ``action`` runs in a task of its own, so a caller that stops waiting (its deadline, a
client gone) does not cut a booking in half: the answer is stored when it arrives.

``action`` receives a ``Claim`` and calls ``await claim.sent(seconds)`` just before its
request leaves, saying how long the request may take. From then on the key's record never
expires into a new claim: it waits for the answer, and if no answer is stored within those
seconds (the process that sent it died, or lost Redis), readers get ``IdempotencyInDoubt``:
the outcome was never learned and the request is never sent again. When the record cannot be
read or written (Redis unreachable), ``run`` or ``sent`` raises ``IdempotencyUnrecorded``:
the action does not run, or its request must not be sent, since another process may hold the
key, or a retry on another process could not know of this one.

``MemoryIdempotencyStore`` holds this guarantee within one process. ``RedisIdempotencyStore``
holds it across processes with a hash per key: ``pending`` with a lease while the action
checks its request (so a crashed process's claim expires), ``sent`` with the instant its
answer is due (on Redis's own clock, so replicas' clocks never disagree), then ``done`` with
the result. Duplicates in other processes poll it until the result appears; a ``pending``
claim is waited on for at most ``wait`` (``IdempotencyInProgress``: the client should retry
later). It runs every call through a ``MemoryIdempotencyStore`` first, so duplicates in one
process never reach Redis twice and a result Redis could not take is still answered here. A
waiter that loses Redis while another process holds the claim raises ``IdempotencyInProgress``
rather than risk a second booking.
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
from gateway.cache.layer import Pass
from gateway.cache.redis_store import RedisStore, StoreUnavailable
from gateway.errors import (
    IdempotencyConflict,
    IdempotencyInDoubt,
    IdempotencyInProgress,
    IdempotencyUnrecorded,
)

DAY = 24 * 3600.0


class Claim(Protocol):
    async def sent(self, seconds: float) -> None:
        """Record that the request leaves now and may take ``seconds``; raises
        ``IdempotencyUnrecorded`` when it must not leave."""


# The bytes to store and replay, or ``Pass(bytes)``: answered to this caller alone.
Result = bytes | Pass[bytes]
Action = Callable[[Claim], Awaitable[Result]]


class IdempotencyStore(Protocol):
    async def run(self, tenant: str, key: str, fingerprint: str, action: Action) -> Result: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Done:
    fingerprint: str
    result: bytes


@dataclass(frozen=True, slots=True)
class _Pending:
    fingerprint: str
    task: asyncio.Task[Result]


class _InProcess:
    """Within one process the running task is the record: nothing to write."""

    async def sent(self, seconds: float) -> None:
        return None


_IN_PROCESS = _InProcess()


def _conflict(key: str) -> IdempotencyConflict:
    return IdempotencyConflict(f"idempotency key {key!r} was already used for another request")


def _retrieved(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


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

    async def run(self, tenant: str, key: str, fingerprint: str, action: Action) -> Result:
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
                result = await asyncio.shield(pending.task)
            except (IdempotencyInDoubt, IdempotencyConflict):
                raise  # another process's verdict on the key: the same for this caller
            except Exception:
                continue  # its caller got the error; this duplicate tries again
            if isinstance(result, Pass):
                continue  # its caller's alone, as an error would be
            return result
        task = asyncio.create_task(self._settle(slot, fingerprint, action))
        # Its caller may have stopped waiting (a deadline): the error is then nobody's to see.
        task.add_done_callback(_retrieved)
        self._pending[slot] = _Pending(fingerprint, task)
        return await asyncio.shield(task)

    async def _settle(self, slot: tuple[str, str], fingerprint: str, action: Action) -> Result:
        try:
            result = await action(_IN_PROCESS)
        finally:
            del self._pending[slot]
        if not isinstance(result, Pass):
            self._done[slot] = _Done(fingerprint, result)
        return result

    async def aclose(self) -> None:
        """Let running actions finish: a booking under way is recorded, not cut short."""
        tasks = [pending.task for pending in self._pending.values()]
        await asyncio.gather(*tasks, return_exceptions=True)


# Redis's own clock, in ms: every process compares against the same one.
_NOW_MS = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
"""

# KEYS[1] the record. ARGV: fingerprint, token, lease ms.
_CLAIM = (
    _NOW_MS
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', 'pending', 'fingerprint', ARGV[1], 'token', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[1] then return {'conflict'} end
if state == 'done' then return {'done', redis.call('HGET', KEYS[1], 'result')} end
if state == 'sent' and tonumber(redis.call('HGET', KEYS[1], 'due')) <= now_ms then
  return {'in-doubt'}
end
return {state}
"""
)

# KEYS[1] the record. ARGV: fingerprint, token, flight ms, lifetime ms. Written by the claim's
# owner, or by a process that could not claim (Redis was unreachable) if nobody else did since.
_SENT = (
    _NOW_MS
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[1] then return 'conflict' end
  if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return 'taken' end
end
redis.call('HSET', KEYS[1], 'state', 'sent', 'fingerprint', ARGV[1], 'token', ARGV[2],
           'due', now_ms + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'sent'
"""
)

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

# How often a result Redis could not take is offered to it again.
RECORD_RETRY = 0.5

# Loaded at start with the other users' scripts (``RedisStore.warm``).
SCRIPTS = (_CLAIM, _SENT, _COMPLETE, _ABANDON)


class _RedisClaim:
    def __init__(self, store: RedisIdempotencyStore, key: str, name: str, fingerprint: str) -> None:
        self.store = store
        self.key = key
        self.name = name
        self.fingerprint = fingerprint
        self.token = secrets.token_hex(8)

    async def sent(self, seconds: float) -> None:
        store = self.store
        try:
            reply = await store.redis.call(
                lambda client: store.sent_script(
                    keys=[self.name],
                    args=[self.fingerprint, self.token, int(seconds * 1000), store.lifetime_ms],
                    client=client,
                )
            )
        except StoreUnavailable:
            raise IdempotencyUnrecorded(
                f"the record of idempotency key {self.key!r} could not be written "
                "(Redis is unreachable)"
            ) from None
        if reply == b"conflict":
            raise _conflict(self.key)
        if reply == b"taken":
            raise IdempotencyInProgress(f"idempotency key {self.key!r} is in use elsewhere")


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
        """``redis`` is borrowed: ``aclose`` leaves it open. ``lease`` must outlast the checks
        an action makes before it sends (a ``sent`` record has no lease); ``wait`` bounds a
        duplicate's wait on a ``pending`` claim, and how long a result Redis could not take
        is offered to it again."""
        self.redis = redis
        self.lifetime_ms = int(lifetime * 1000)
        self._lease_ms = int(lease * 1000)
        self._wait = wait
        self._poll = poll_interval
        self._timer = timer
        self._local = local or MemoryIdempotencyStore(lifetime=lifetime, timer=timer)
        self._claim = redis.client.register_script(_CLAIM)
        self.sent_script = redis.client.register_script(_SENT)
        self._complete = redis.client.register_script(_COMPLETE)
        self._abandon = redis.client.register_script(_ABANDON)
        self._recording: set[asyncio.Task[None]] = set()

    async def run(self, tenant: str, key: str, fingerprint: str, action: Action) -> Result:
        async def shared(_: Claim) -> Result:
            return await self._run_shared(tenant, key, fingerprint, action)

        return await self._local.run(tenant, key, fingerprint, shared)

    async def _run_shared(self, tenant: str, key: str, fingerprint: str, action: Action) -> Result:
        claim = _RedisClaim(self, key, idempotency_key(tenant, key), fingerprint)
        deadline = self._timer() + self._wait
        seen_pending = False
        while True:
            try:
                reply: list[Any] = await self.redis.call(
                    lambda client: self._claim(
                        keys=[claim.name],
                        args=[fingerprint, claim.token, self._lease_ms],
                        client=client,
                    )
                )
            except StoreUnavailable:
                if seen_pending:
                    raise IdempotencyInProgress(
                        f"idempotency key {key!r} is in use elsewhere and Redis is unreachable"
                    ) from None
                # Another process may hold the key: even the checks' answers could be wrong
                # (the slot taken by this very booking).
                raise IdempotencyUnrecorded(
                    f"the record of idempotency key {key!r} could not be read "
                    "(Redis is unreachable)"
                ) from None
            state = bytes(reply[0])
            if state == b"claimed":
                break
            if state == b"done":
                return bytes(reply[1])
            _refuse(state, key)
            seen_pending = True
            if state == b"pending" and self._timer() >= deadline:
                raise IdempotencyInProgress(f"idempotency key {key!r} is still in progress")
            await asyncio.sleep(self._poll)
        return await self._act(claim, action)

    async def _act(self, claim: _RedisClaim, action: Action) -> Result:
        try:
            result = await action(claim)
        except Exception:
            await self._give_up(claim)
            raise
        if isinstance(result, Pass):
            await self._give_up(claim)
            return result
        if not await self._record(claim, result):
            # This process answers its own retries from memory; the others learn it once
            # Redis takes it.
            task = asyncio.create_task(self._record_later(claim, result))
            self._recording.add(task)
            task.add_done_callback(self._recording.discard)
        return result

    async def _give_up(self, claim: _RedisClaim) -> None:
        """Free the key of an action that sent nothing (it raised, or passed its answer)."""
        # Unreachable Redis: the lease of a pending claim expires by itself.
        with contextlib.suppress(StoreUnavailable):
            await self.redis.call(
                lambda client: self._abandon(keys=[claim.name], args=[claim.token], client=client)
            )

    async def _record(self, claim: _RedisClaim, result: bytes) -> bool:
        try:
            await self.redis.call(
                lambda client: self._complete(
                    keys=[claim.name],
                    args=[claim.fingerprint, result, self.lifetime_ms],
                    client=client,
                )
            )
        except StoreUnavailable:
            return False
        return True

    async def _record_later(self, claim: _RedisClaim, result: bytes) -> None:
        give_up = self._timer() + self._wait
        while self._timer() < give_up:
            await asyncio.sleep(RECORD_RETRY)
            if await self._record(claim, result):
                return

    async def aclose(self) -> None:
        await self._local.aclose()
        for task in list(self._recording):
            task.cancel()
        await asyncio.gather(*self._recording, return_exceptions=True)


def _refuse(state: bytes, key: str) -> None:
    """Raise for a record that forbids both running and waiting."""
    if state == b"conflict":
        raise _conflict(key)
    if state == b"in-doubt":
        raise IdempotencyInDoubt(
            f"the request of idempotency key {key!r} was sent and its answer never recorded"
        )
