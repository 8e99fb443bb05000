"""The read-through layer between ``MeetingsService`` and the HubSpot client.

    cache = ReadThroughCache(clock, max_entries=settings.l1_max_entries, redis=store)
    got = await cache.get(LINKS, tenant_id(token), {"slug": slug}, load, tags=[f"link:{slug}"])
    got.value, got.fetched_at, got.stale
    await cache.invalidate(tenant, [f"link:{slug}"])    # after a booking, say
    await cache.forget_tenant(tenant)    # everything of a tenant, e.g. its credential refused
    await cache.invalidate(tenant, tags, note="booked")   # and tell every process's observers
    await cache.announce(tenant, "expired")      # a note alone, nothing dropped
    cache.observe(lambda tenant, note: ...)      # notes, here and from every other process
    await cache.start()     # optional: subscribe to invalidations now, not on first use
    cache.stats             # CacheStats: hits by tier, loads, stale answers, breaker...
    await cache.drain()     # waits for the refreshes and retries under way
    await cache.aclose()    # cancels them and the subscriber; Redis stays open

``Resource[T]`` says how one kind of upstream data is cached: ``ttl`` (seconds fresh),
``max_stale`` (the age after which it is gone from every tier), ``swr`` (how long past ``ttl``
a stale value is answered at once while one refresh runs; ``None`` means until
``max_stale``), ``not_found_ttl`` (seconds an ``UpstreamNotFound`` is remembered in this
process; 0, the default, remembers nothing) and ``encode``/``decode`` for Redis.

``get`` answers from L1 (this process), then L2 (Redis, decoded once and promoted to L1),
then ``load()``, whose value is written to both tiers. With Redis the write follows the
answer (a background task, awaited by ``drain``): the loader's lease is held and its flight
stays open until the value is in L2 and L1, so a get meanwhile, here or elsewhere, still
shares that load. A load that must be answered but not
kept (a response holding an error, say) returns ``Pass(value)``: the callers sharing its flight
get it, nothing is stored, and it is no load error. Keys are described in
``gateway.cache.keys``: format version, tenant, resource and normalized params.

- Freshness is measured on a monotonic timer in L1 and by Redis's key expiry in L2, never
  by the ``Clock``: a clock frozen by ``SANDBOX_NOW`` must not keep entries fresh for ever.
  The ``Clock`` only stamps ``Cached.fetched_at``, when the upstream produced the value.
- Single flight: concurrent gets of one key in a process share one task, so 100 identical
  misses make one ``load()``; a caller cancelled while waiting does not cancel the others.
  Across processes the loader first takes a lease, ``SET lease:<key> <token> NX PX``, in the
  script that found nothing in L2 (it reads the tags' generations too: one round trip); the
  others answer stale data if they have it, else poll L2 until the value appears, or load
  themselves once the lease is gone (its holder failed or died) or has outlived its time.
- Stale-while-revalidate: a value older than ``ttl`` but within the ``swr`` window is
  answered with ``stale=True`` while one background refresh runs. Past that window nothing
  stale is answered before a load was tried, not even while another process holds the lease.
- Every read is counted once in ``stats.reads`` by its outcome: ``l1``, ``l2``, ``negative``,
  ``stale``, ``miss`` (loaded and kept), ``pass`` (loaded, not kept) or ``error``.
- Stale-if-error: when ``load()`` raises ``UpstreamError`` (other than
  ``UpstreamNotFound`` and ``UpstreamValidationError``, which always propagate) and a value
  younger than ``max_stale`` exists, it is answered with ``stale=True``; otherwise the error
  propagates. Exceptions are never cached as values.
- A refused credential (``UpstreamAuthError``, ``UpstreamForbidden``) is no outage: it is never
  met with stale data, and the tenant's entries are dropped everywhere (``forget_tenant``), so
  a revoked token reads nothing more, not even after the refusal has been seen elsewhere.
- Invalidation: ``get`` may tag an entry (``link:<slug>``, ``member:<userId>``);
  ``invalidate(tenant, tags)`` drops that tenant's tagged entries from L1, L2, and the L1 of
  every other process on the same Redis (via pub/sub). A load that started before an
  invalidation never writes its value back: in-process loads are flagged, and the Redis write
  is refused by a script when a tag's generation moved since the load began. When Redis is
  unreachable at the time, the Redis half of an invalidation is retried in the background
  until it succeeds or ``max_stale`` has passed (after which nothing it could drop exists).
- Notes: an invalidation may carry a ``note`` (or ``announce`` sends one alone). Every
  process's observers get ``(tenant, note)`` once its entries are gone: the others' after the
  message dropped their L1 (one message, so a note never overtakes its invalidation), this
  one's after the Redis half landed (so no read it prompts finds the dropped L2 entry). Notes
  are how live availability learns, on every replica, that a tenant's slots may have moved.
- Every entry carries the tag ``EVERY_ENTRY`` besides its own, so that one invalidation of it
  drops a whole tenant.
- After the invalidation channel is resubscribed (Redis restarted or the connection broke),
  invalidations may have been missed meanwhile. Each L1 entry remembers the generations of its
  tags as they were before its value was read (from Redis, or the last ones this process saw
  when Redis was down); on resubscribing, the layer reads the current generations once and
  drops only the entries whose tags moved (or whose generations it never knew). The rest keep
  serving, so Redis coming back costs no more upstream calls than Redis staying away. When
  that read fails, L1 is emptied.
- Redis trouble never fails or stalls a get: see ``gateway.cache.redis_store``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, NamedTuple, TypeVar, cast

from gateway.answering import answer_sent
from gateway.cache.keys import (
    EVERY_ENTRY,
    INVALIDATION_CHANNEL,
    Params,
    check_resource_name,
    entry_key,
    lease_key,
)
from gateway.cache.redis_store import RedisStore, StoreUnavailable
from gateway.cache.stats import CacheStats, ReadOutcome
from gateway.cache.store import Hit, MemoryStore
from gateway.clock import Clock
from gateway.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamValidationError,
)

T = TypeVar("T")

log = logging.getLogger("gateway.cache")

_FETCHED_AT = struct.Struct("!d")

Source = Literal["l2", "load", "stale", "pass"]
_READ_OUTCOME: dict[Source, ReadOutcome] = {
    "l2": "l2",
    "load": "miss",
    "stale": "stale",
    "pass": "pass",
}
# Past this many remembered tag generations the memory starts afresh (it only saves reloads).
_KNOWN_GENERATIONS = 65_536


@dataclass(frozen=True)
class Resource(Generic[T]):
    name: str
    ttl: float
    max_stale: float
    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]
    swr: float | None = None
    not_found_ttl: float = 0.0

    def __post_init__(self) -> None:
        check_resource_name(self.name)
        if not 0 < self.ttl <= self.max_stale:
            raise ValueError(f"{self.name}: expected 0 < ttl <= max_stale")

    @property
    def serve_stale_until(self) -> float:
        """The age up to which a stale value is answered without waiting for the upstream."""
        if self.swr is None:
            return self.max_stale
        return min(self.ttl + self.swr, self.max_stale)


@dataclass(frozen=True, slots=True)
class Pass(Generic[T]):
    """What a load answers without it being kept in any tier."""

    value: T


class Cached(NamedTuple, Generic[T]):
    value: T
    fetched_at: datetime
    stale: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    value: object
    fetched_at: datetime
    tenant: str
    tags: frozenset[str]
    not_found: str | None = None  # the message of a remembered UpstreamNotFound
    # Each tag's generation before the value was read; None: not known, so not to be trusted
    # once invalidations may have been missed. Advanced in place by this process's own
    # invalidations (see ``_advance``).
    generations: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Stale:
    entry: _Entry
    born: float  # on the monotonic timer


@dataclass(frozen=True, slots=True)
class _Lease:
    token: str
    # The tags' generations read with the lease (one script, so as of it); None: not read.
    generations: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    cached: Cached[Any]
    source: Source


@dataclass(eq=False)
class _Flight:
    tenant: str
    tags: frozenset[str]
    invalidated: bool = False
    task: asyncio.Task[_Outcome] = field(init=False)
    # A loaded value to keep, and the task keeping it (Redis, then L1) once it was answered.
    unwritten: tuple[_Entry, dict[str, str] | None] | None = None
    writing: asyncio.Task[None] | None = None


class ReadThroughCache:
    def __init__(
        self,
        clock: Clock,
        *,
        max_entries: int = 2048,
        max_bytes: int | None = None,
        redis: RedisStore | None = None,
        lease_ttl: float = 5.0,
        poll_interval: float = 0.02,
        invalidation_retry_for: float = 600.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        """``redis`` is borrowed, not owned: ``aclose`` leaves it open for its other users.
        L1 keeps at most ``max_entries`` entries and, if given, ``max_bytes`` bytes."""
        self._clock = clock
        self._timer = timer
        self._memory: MemoryStore[_Entry] = MemoryStore(
            max_entries, max_bytes=max_bytes, timer=timer
        )
        self._redis = redis
        self._lease_ttl = lease_ttl
        self._poll = poll_interval
        self._invalidation_retry_for = invalidation_retry_for
        self._stats = CacheStats()
        self._flights: dict[str, _Flight] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._epoch = 0  # bumped by every invalidation applied here
        self._origin = secrets.token_hex(8)
        self._closed = False
        # The last generation seen in Redis per (tenant, tag), lent to loads made without it.
        self._known: dict[tuple[str, str], str] = {}
        self._observers: list[Callable[[str, str], None]] = []

    @property
    def stats(self) -> CacheStats:
        if self._redis is not None:
            self._stats.redis_errors = self._redis.errors
            self._stats.breaker = self._redis.breaker.state
        return self._stats

    @property
    def l1_entries(self) -> int:
        return len(self._memory)

    @property
    def l1_weight(self) -> int:
        """What L1's entries count against its byte bound (at least the bytes they hold)."""
        return self._memory.weight

    async def start(self, *, wait: float = 1.0) -> None:
        """Subscribe to invalidations now rather than on first use, waiting up to ``wait``
        seconds for the subscription to be confirmed (no error if Redis is down)."""
        self._ensure_listening()
        if self._listener is not None:
            try:
                async with asyncio.timeout(wait):
                    await self._subscribed.wait()
            except TimeoutError:
                pass

    async def get(
        self,
        resource: Resource[T],
        tenant: str,
        params: Params,
        load: Callable[[], Awaitable[T | Pass[T]]],
        tags: Iterable[str] = (),
        *,
        key: str | None = None,
    ) -> Cached[T]:
        """The value under ``params``; ``load()`` returns it to keep or ``Pass(value)``.

        ``key``: the entry's key, ``entry_key(tenant, resource.name, params)``, when the caller
        keeps it (a repeated read then skips working it out)."""
        self._ensure_listening()
        if key is None:
            key = entry_key(tenant, resource.name, params)
        found = self._memory.lookup(key)
        fresh = self._fresh(resource, found)
        if fresh is not None:
            return fresh
        stale: _Stale | None = None
        if found is not None:
            entry = found.value
            if entry.not_found is not None:
                self._stats.read(resource.name, "negative")
                raise UpstreamNotFound(entry.not_found, status=404)
            stale = _Stale(entry, self._timer() - found.age)
            if found.age < resource.serve_stale_until:
                self._stats.read(resource.name, "stale")
                if key not in self._flights:
                    self._launch(resource, key, tenant, load, tags, stale, read_shared=True)
                return Cached(cast(T, entry.value), entry.fetched_at, stale=True)
        flight = self._flights.get(key)
        if flight is not None and flight.writing is not None:
            # Loaded and answered, on its way to L1: what an L1 read would answer.
            self._stats.read(resource.name, "l1")
            return cast(Cached[T], flight.task.result().cached)
        if flight is None:
            flight = self._launch(resource, key, tenant, load, tags, stale, read_shared=True)
        else:
            self._stats.flight_waits += 1
        try:
            outcome = await asyncio.shield(flight.task)
        except Exception:
            self._stats.read(resource.name, "error")
            raise
        self._stats.read(resource.name, _READ_OUTCOME[outcome.source])
        return cast(Cached[T], outcome.cached)

    def fresh(self, resource: Resource[T], key: str) -> Cached[T] | None:
        """The value this process holds fresh under ``key`` (an entry key), read without a
        coroutine; None for anything else (absent, stale, a remembered 404), which ``get``
        answers. An entry in L1 means a ``get`` came first, so invalidations are listened to."""
        return self._fresh(resource, self._memory.lookup(key))

    def _fresh(self, resource: Resource[T], found: Hit[_Entry] | None) -> Cached[T] | None:
        """What ``found`` (an L1 lookup's outcome) answers at once, counted as an L1 read."""
        if found is None or found.age >= resource.ttl or found.value.not_found is not None:
            return None
        self._stats.read(resource.name, "l1")
        return Cached(cast(T, found.value.value), found.value.fetched_at, stale=False)

    async def invalidate(
        self, tenant: str, tags: Iterable[str], *, note: str | None = None
    ) -> None:
        """Drop every entry of ``tenant`` carrying any of ``tags``, here and everywhere, then
        hand ``note`` (if any) to every process's observers."""
        doomed = sorted(set(tags))
        if not doomed and note is None:
            return
        self._ensure_listening()
        if doomed:
            self._drop_local(tenant, frozenset(doomed))
        if self._redis is None:
            self._tell(tenant, note)
            return
        message = json.dumps(
            {"origin": self._origin, "tenant": tenant, "tags": doomed, "note": note}
        ).encode()
        try:
            landed = await self._redis.invalidate(tenant, doomed, INVALIDATION_CHANNEL, message)
        except StoreUnavailable:
            self._track(asyncio.create_task(self._retry_invalidation(tenant, doomed, message)))
            self._tell(tenant, note)
            return
        self._advance(tenant, landed)
        self._tell(tenant, note)

    async def announce(self, tenant: str, note: str) -> None:
        """Hand ``note`` to every process's observers, dropping nothing."""
        await self.invalidate(tenant, (), note=note)

    def observe(self, observer: Callable[[str, str], None]) -> None:
        """Call ``observer(tenant, note)`` for every note, this process's and the others'."""
        self._observers.append(observer)

    def _tell(self, tenant: str, note: str | None) -> None:
        if note is None:
            return
        for observer in self._observers:
            try:
                observer(tenant, note)
            except Exception:
                log.exception("an observer of cache notes failed")

    async def forget_tenant(self, tenant: str) -> None:
        """Drop every entry of ``tenant``, here, in Redis and in every other process."""
        await self.invalidate(tenant, [EVERY_ENTRY])

    async def drain(self) -> None:
        """Wait for the loads, refreshes and invalidation retries under way to finish."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def aclose(self) -> None:
        """Cancel background refreshes, retries and the subscriber, and wait for them."""
        self._closed = True
        tasks = list(self._tasks)
        if self._listener is not None:
            tasks.append(self._listener)
            self._listener = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._flights.clear()

    # -- loading ---------------------------------------------------------------------------

    def _launch(
        self,
        resource: Resource[T],
        key: str,
        tenant: str,
        load: Callable[[], Awaitable[T | Pass[T]]],
        given: Iterable[str],
        stale: _Stale | None,
        *,
        read_shared: bool,
    ) -> _Flight:
        tags = frozenset(given) | {EVERY_ENTRY}
        flight = _Flight(tenant, tags)
        coroutine = self._fill(flight, resource, key, tenant, load, tags, stale, read_shared)
        flight.task = self._track(asyncio.create_task(coroutine))
        self._flights[key] = flight

        def forget(_task: asyncio.Task[Any]) -> None:
            if self._flights.get(key) is flight:
                del self._flights[key]

        def landed(task: asyncio.Task[_Outcome]) -> None:
            # A value still being kept stays in flight: a get meanwhile shares it, not loads.
            if flight.writing is not None and not flight.writing.done():
                flight.writing.add_done_callback(forget)
            else:
                forget(task)

        flight.task.add_done_callback(landed)
        return flight

    async def _fill(
        self,
        flight: _Flight,
        resource: Resource[T],
        key: str,
        tenant: str,
        load: Callable[[], Awaitable[T | Pass[T]]],
        tags: frozenset[str],
        stale: _Stale | None,
        read_shared: bool,
    ) -> _Outcome:
        redis = self._redis
        lease: _Lease | None = None
        if redis is not None:
            tried = False
            if read_shared:
                shared, lease, tried = await self._read_or_lease(resource, key, tenant, tags)
                if shared is not None:
                    age = self._timer() - shared.born
                    if age < resource.ttl:
                        return _Outcome(self._cached(shared, stale=False), "l2")
                    if stale is None or shared.born > stale.born:
                        stale = shared
                    if age < resource.serve_stale_until:
                        # Answer now; the refresh continues as a flight of its own.
                        self._launch(resource, key, tenant, load, tags, stale, read_shared=False)
                        return _Outcome(self._cached(stale, stale=True), "stale")
            if lease is None:
                leased = await self._lease(redis, resource, key, tenant, tags, stale, tried=tried)
                if isinstance(leased, _Outcome):
                    return leased
                lease = leased
        token = lease.token if lease is not None else None
        known = lease.generations if lease is not None else None
        try:
            outcome = await self._load(flight, resource, key, tenant, load, tags, stale, known)
        except BaseException:
            await self._let_go(key, token)
            raise
        if flight.unwritten is None:
            await self._let_go(key, token)
        else:
            # Answered now; the writes (Redis, then L1) and the lease's release follow once the
            # request's answer is out. The lease is held until the value is in L2, so other
            # processes still wait for it rather than load; the flight stays until it is in L1
            # and answers this process's reads meanwhile (see ``_launch``).
            entry, generations = flight.unwritten
            flight.writing = self._track(
                asyncio.create_task(self._keep(flight, resource, key, entry, generations, token))
            )
        return outcome

    async def _keep(
        self,
        flight: _Flight,
        resource: Resource[T],
        key: str,
        entry: _Entry,
        generations: dict[str, str] | None,
        token: str | None,
    ) -> None:
        try:
            await answer_sent()
            await self._write(flight, resource, key, entry, generations)
        finally:
            await self._let_go(key, token)

    async def _let_go(self, key: str, token: str | None) -> None:
        if self._redis is not None and token is not None:
            # Unreachable Redis: the lease expires by itself.
            with contextlib.suppress(StoreUnavailable):
                await self._redis.release(lease_key(key), token)

    async def _lease(
        self,
        redis: RedisStore,
        resource: Resource[T],
        key: str,
        tenant: str,
        tags: frozenset[str],
        stale: _Stale | None,
        *,
        tried: bool = False,
    ) -> _Lease | _Outcome | None:
        """The lease, or what another process loaded, or ``None``: load without a lease.
        ``tried``: the read before found the lease taken, so the first attempt is spent."""
        token = secrets.token_hex(8)
        name = lease_key(key)
        deadline = self._timer() + self._lease_ttl + self._poll
        counted = False
        try:
            while True:
                if tried:
                    tried = False
                elif await redis.acquire(name, token, self._lease_ttl):
                    return _Lease(token)
                if stale is not None and self._servable(resource, stale):
                    return _Outcome(self._cached(stale, stale=True), "stale")
                if not counted:
                    self._stats.lease_waits += 1
                    counted = True
                waited = await self._await_holder(redis, resource, key, tenant, tags, deadline)
                if waited != "taken-over":
                    return waited
        except StoreUnavailable:
            return None

    async def _await_holder(
        self,
        redis: RedisStore,
        resource: Resource[T],
        key: str,
        tenant: str,
        tags: frozenset[str],
        deadline: float,
    ) -> _Outcome | Literal["taken-over"] | None:
        """What the lease holder wrote, ``"taken-over"`` once its lease is gone, or ``None``
        when it is too slow (a duplicate load then beats waiting)."""
        while self._timer() <= deadline:
            await asyncio.sleep(self._poll)
            found = await self._written(resource, key, tenant, tags)
            if found is not None:
                return found
            if not await redis.exists(lease_key(key)):
                # The holder writes before it lets go: a value written since the read above
                # is there now, and only a holder that died leaves none.
                return await self._written(resource, key, tenant, tags) or "taken-over"
        return None

    async def _written(
        self, resource: Resource[T], key: str, tenant: str, tags: frozenset[str]
    ) -> _Outcome | None:
        shared = await self._read_shared(resource, key, tenant, tags)
        # The copy the holder is replacing may still be in L2: only a servable one ends the
        # wait.
        if shared is None or not self._servable(resource, shared):
            return None
        fresh = self._timer() - shared.born < resource.ttl
        return _Outcome(self._cached(shared, stale=not fresh), "l2")

    def _servable(self, resource: Resource[T], found: _Stale) -> bool:
        """Whether ``found`` may be answered without waiting for a load: fresh, or stale
        within the swr window."""
        return self._timer() - found.born < resource.serve_stale_until

    async def _load(
        self,
        flight: _Flight,
        resource: Resource[T],
        key: str,
        tenant: str,
        load: Callable[[], Awaitable[T | Pass[T]]],
        tags: frozenset[str],
        stale: _Stale | None,
        known: dict[str, str] | None = None,
    ) -> _Outcome:
        """``known``: the tags' generations read with the lease (else they are read here)."""
        generations = known
        if generations is None and self._redis is not None:
            # Unreachable Redis: no generations, so the value is kept out of L2.
            with contextlib.suppress(StoreUnavailable):
                generations = await self._redis.generations(tenant, sorted(tags))
                self._learn(tenant, generations)
        seen = dict(generations) if generations is not None else self._recall(tenant, tags)
        self._stats.loads += 1
        try:
            loaded = await load()
        except UpstreamNotFound as exc:
            self._stats.load_errors += 1
            if resource.not_found_ttl > 0 and not flight.invalidated:
                entry = _Entry(None, self._clock.now(), tenant, tags, not_found=exc.message)
                await self._memory.set(key, entry, resource.not_found_ttl)
            raise
        except UpstreamValidationError:
            self._stats.load_errors += 1
            raise
        except (UpstreamAuthError, UpstreamForbidden):
            self._stats.load_errors += 1
            # The credential is refused, not the upstream down: nothing it read before is to
            # be shown again, here or in any other process.
            await self.forget_tenant(tenant)
            raise
        except UpstreamError:
            self._stats.load_errors += 1
            if stale is not None and self._timer() - stale.born < resource.max_stale:
                return _Outcome(self._cached(stale, stale=True), "stale")
            raise
        except Exception:
            self._stats.load_errors += 1
            raise
        if isinstance(loaded, Pass):
            return _Outcome(Cached(loaded.value, self._clock.now(), stale=False), "pass")
        value = loaded
        entry = _Entry(value, self._clock.now(), tenant, tags, generations=seen)
        flight.unwritten = (entry, generations)  # kept by ``_fill`` once answered
        return _Outcome(Cached(value, entry.fetched_at, stale=False), "load")

    async def _write(
        self,
        flight: _Flight,
        resource: Resource[T],
        key: str,
        entry: _Entry,
        generations: dict[str, str] | None,
    ) -> None:
        if flight.invalidated:
            self._stats.writes_skipped += 1
            return
        if self._redis is not None and generations is not None:
            payload = _FETCHED_AT.pack(entry.fetched_at.timestamp())
            payload += resource.encode(cast(T, entry.value))
            try:
                written = await self._redis.put(
                    key,
                    payload,
                    resource.max_stale,
                    tenant=entry.tenant,
                    generations=generations,
                )
            except StoreUnavailable:
                written = True  # L1 alone then; the flag below still guards it
            if not written:
                self._stats.writes_skipped += 1
                return
        if flight.invalidated:
            self._stats.writes_skipped += 1
            return
        await self._memory.set(key, entry, resource.max_stale)

    async def _read_shared(
        self, resource: Resource[T], key: str, tenant: str, tags: frozenset[str]
    ) -> _Stale | None:
        """The L2 entry under ``key``, promoted to L1; ``None`` if absent, unreadable or
        Redis is unavailable."""
        assert self._redis is not None
        epoch = self._epoch
        try:
            # The generations are read before the entry: an entry found is as new as they are.
            hit, generations = await self._redis.get_tagged(key, tenant, sorted(tags))
        except StoreUnavailable:
            return None
        return await self._promoted(resource, key, tenant, tags, hit, generations, epoch)

    async def _read_or_lease(
        self, resource: Resource[T], key: str, tenant: str, tags: frozenset[str]
    ) -> tuple[_Stale | None, _Lease | None, bool]:
        """``_read_shared``, and the lease taken in the same round trip when L2 holds nothing:
        the entry found, the lease taken, and whether it was tried (so found taken when not
        taken)."""
        assert self._redis is not None
        epoch = self._epoch
        token = secrets.token_hex(8)
        try:
            hit, generations, leased = await self._redis.get_or_lease(
                key,
                tenant,
                sorted(tags),
                lease=lease_key(key),
                token=token,
                lifetime=self._lease_ttl,
            )
        except StoreUnavailable:
            return None, None, False
        if hit is not None:
            return (
                await self._promoted(resource, key, tenant, tags, hit, generations, epoch),
                None,
                False,
            )
        self._learn(tenant, generations)
        return None, _Lease(token, generations) if leased else None, True

    async def _promoted(
        self,
        resource: Resource[T],
        key: str,
        tenant: str,
        tags: frozenset[str],
        hit: Hit[bytes] | None,
        generations: dict[str, str],
        epoch: int,
    ) -> _Stale | None:
        """The L2 entry ``hit`` (read with ``generations`` when the epoch was ``epoch``),
        promoted to L1; ``None`` if absent or unreadable."""
        self._learn(tenant, generations)
        if hit is None:
            return None
        try:
            (stamp,) = _FETCHED_AT.unpack_from(hit.value)
            value = resource.decode(hit.value[_FETCHED_AT.size :])
        except Exception:
            return None  # an entry this code cannot read is a miss, not an outage
        fetched_at = datetime.fromtimestamp(stamp, UTC)
        entry = _Entry(value, fetched_at, tenant, tags, generations=generations)
        if epoch == self._epoch:
            # Otherwise an invalidation may have landed while the read was in flight.
            await self._memory.set(key, entry, resource.max_stale, age=hit.age)
        return _Stale(entry, self._timer() - hit.age)

    def _cached(self, found: _Stale, *, stale: bool) -> Cached[Any]:
        return Cached(found.entry.value, found.entry.fetched_at, stale=stale)

    # -- invalidation ----------------------------------------------------------------------

    def _drop_local(self, tenant: str, tags: frozenset[str]) -> None:
        self._epoch += 1
        self._stats.invalidations += 1
        for key, flight in list(self._flights.items()):
            if flight.tenant == tenant and not flight.tags.isdisjoint(tags):
                flight.invalidated = True
                del self._flights[key]  # later gets start a load of their own
        self._memory.evict(
            lambda _key, entry: entry.tenant == tenant and not entry.tags.isdisjoint(tags)
        )

    async def _retry_invalidation(self, tenant: str, tags: list[str], message: bytes) -> None:
        assert self._redis is not None
        deadline = self._timer() + self._invalidation_retry_for
        pause = 0.1
        while self._timer() < deadline:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)
            try:
                landed = await self._redis.invalidate(tenant, tags, INVALIDATION_CHANNEL, message)
            except StoreUnavailable:
                continue
            self._advance(tenant, landed)
            return

    def _ensure_listening(self) -> None:
        if self._redis is None or self._listener is not None or self._closed:
            return
        self._listener = asyncio.create_task(
            self._redis.listen(INVALIDATION_CHANNEL, self._on_message, self._on_subscribed)
        )

    def _on_subscribed(self) -> None:
        self._stats.subscriptions += 1
        if self._subscribed.is_set():
            self._resync()
        self._subscribed.set()

    def _resync(self) -> None:
        self._epoch += 1
        # A load under way may have lent generations read before an invalidation now missed.
        for flight in self._flights.values():
            flight.invalidated = True
        self._flights.clear()
        self._track(asyncio.create_task(self._revalidate()))

    async def _revalidate(self) -> None:
        """Drop the L1 entries whose tags moved while invalidations could be missed."""
        assert self._redis is not None
        pairs = sorted(
            {
                (entry.tenant, tag)
                for _key, entry in self._memory.items()
                if entry.generations is not None
                for tag in entry.generations
            }
        )
        try:
            current = await self._redis.current_generations(pairs)
        except StoreUnavailable:
            self._memory.clear()  # nothing is known about what was missed
            self._stats.resyncs += 1
            return
        self._known.clear()
        self._known.update(current)
        self._stats.resync_drops += self._memory.evict(
            lambda _key, entry: not _unmoved(entry, current)
        )
        self._stats.resyncs += 1

    def _learn(self, tenant: str, generations: dict[str, str]) -> None:
        if len(self._known) > _KNOWN_GENERATIONS:
            self._known.clear()
        for tag, generation in generations.items():
            self._known[(tenant, tag)] = generation

    def _recall(self, tenant: str, tags: Iterable[str]) -> dict[str, str] | None:
        """The last generations seen of ``tags``, or ``None`` if one of them was never seen."""
        recalled: dict[str, str] = {}
        for tag in tags:
            generation = self._known.get((tenant, tag))
            if generation is None:
                return None
            recalled[tag] = generation
        return recalled

    def _advance(self, tenant: str, landed: dict[str, str]) -> None:
        """Our own invalidation reached Redis, bumping each tag to ``landed[tag]``.

        Every L1 entry still carrying such a tag was loaded after that invalidation dropped its
        elders here, so it is as new as the bump: unless another process bumped the tag too
        (the generation then moved by more than one), it now stands for the new generation."""
        for tag, after in landed.items():
            before = _previous(after)
            if before is None:
                continue
            if self._known.get((tenant, tag)) == before:
                self._known[(tenant, tag)] = after
            for _key, entry in self._memory.items():
                seen = entry.generations
                if entry.tenant == tenant and seen is not None and seen.get(tag) == before:
                    seen[tag] = after

    def _on_message(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            origin, tenant, tags = message["origin"], message["tenant"], message["tags"]
        except (ValueError, KeyError, TypeError):
            return  # not ours to understand; never let it kill the subscriber
        if origin == self._origin or not isinstance(tenant, str) or not isinstance(tags, list):
            return
        if tags:
            self._drop_local(tenant, frozenset(str(tag) for tag in tags))
        note = message.get("note")
        self._tell(tenant, note if isinstance(note, str) else None)

    def _track(self, task: asyncio.Task[T]) -> asyncio.Task[T]:
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # a refresh's failure has no awaiting caller to report it to


def _unmoved(entry: _Entry, current: dict[tuple[str, str], str]) -> bool:
    seen = entry.generations
    return seen is not None and all(
        current.get((entry.tenant, tag)) == generation for tag, generation in seen.items()
    )


def _previous(generation: str) -> str | None:
    """The generation before ``generation`` (``""`` before ``"1"``), None if not a count."""
    if not generation.isdigit() or int(generation) < 1:
        return None
    return str(int(generation) - 1) if int(generation) > 1 else ""
