"""Live availability: watched ranges of slots, each read again when something may have moved
them, and the streams their differences are pushed to.

    watches = Watches(settings)                  # one per process, every tenant's
    watches.attach(cache, holds)                 # the notes it listens to, the holds it sweeps
    stream = await watches.open(service, slug, start=..., end=..., duration_minutes=...)
    while (change := await stream.next()) is not None: ...   # None: ended on shutdown
    watches.close(stream)                        # the client went away
    watches.end()                                # shutdown: every stream ends cleanly
    await watches.aclose()

Subscribers of one ``(tenant, slug, from, to, duration)`` share one ``Watch``: one read of the
range per reason, single flight, whatever the number of streams; its last slots are the
baseline every stream's differences are taken from. A watch is read again

- on every note (``gateway.meetings.changes``) of its tenant, from any replica: a booking
  (``BOOKED``), a hold granted or released (``HELD``, ``RELEASED``), a hold run out
  (``EXPIRED``), a HubSpot webhook (``UPSTREAM_CHANGED``);
- as its cached pages expire (``UPSTREAM_CHANGED``: a meeting booked on HubSpot's own page
  shows up with no webhook at all). The cache does not say when a page was loaded (its clock
  may be frozen), so the range is read every half ``GATEWAY_AVAILABILITY_TTL`` (an L1 hit,
  while fresh); the first read past a page's TTL answers it stale and refreshes it, and is
  followed by another soon. A change at HubSpot thus arrives within 1.5 TTLs at worst.

Expiry is observed by the hold store itself (``gateway.cache.holds``): this process sweeps the
holds of every tenant it watches when the next one runs out, and whichever replica removes an
expired hold announces it to all. Each stream keeps at most ``GATEWAY_STREAM_QUEUE`` changes
unsent; past that it fails with ``SlowConsumer`` rather than buffer without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from gateway.cache import HoldStore, ReadThroughCache, StoreUnavailable
from gateway.errors import (
    GatewayError,
    InputError,
    ShuttingDown,
    SlowConsumer,
    TooManyStreams,
)
from gateway.meetings.availability import Slot
from gateway.meetings.changes import Reason, SlotChange, difference, slot_set
from gateway.meetings.service import MeetingsService, check_duration
from gateway.meetings.slugs import slug_problem
from gateway.settings import Settings

log = logging.getLogger("gateway.watches")

T = TypeVar("T")

# After a read answered stale pages, the next comes this soon (their refresh is under way).
STALE_RECHECK = 0.25
# The longest the sweeper sleeps with no hold known to run out (new holds wake it anyway),
# and how soon it tries again when the hold store is out of reach.
SWEEP_IDLE = 5.0
SWEEP_RETRY_MS = 1000


def detached(work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """A task of the watch's own, outside the context of the request that happened to start
    it: its reads outlive that request, and carry none of its deadline, ids or spans."""
    return asyncio.get_running_loop().create_task(work, context=contextvars.Context())


@dataclass(frozen=True, slots=True)
class WatchedRange:
    tenant: str
    slug: str
    start: datetime | None
    end: datetime | None
    duration_minutes: int | None


@dataclass
class StreamStats:
    """What live availability did in this process, read by /metrics at scrape time."""

    opened: int = 0
    changes: int = 0  # changes handed to streams
    dropped: int = 0  # streams failed as slow consumers
    reads: int = 0  # watched-range reads
    read_errors: int = 0
    # HubSpot webhook deliveries and events by outcome (see rest/webhooks.py).
    webhooks: dict[str, int] = field(default_factory=dict)

    def webhook(self, outcome: str, count: int = 1) -> None:
        self.webhooks[outcome] = self.webhooks.get(outcome, 0) + count


class Stream:
    """One subscriber's changes, in order, bounded."""

    def __init__(self, watch: Watch, size: int) -> None:
        self.watch = watch
        self._size = size
        self._pending: deque[SlotChange] = deque()
        self._wake = asyncio.Event()
        self._ending = False
        self._failure: GatewayError | None = None

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def offer(self, change: SlotChange) -> bool:
        """Queue ``change``; False when that dropped the stream (it is full)."""
        if self._failure is not None or self._ending:
            return True
        if len(self._pending) >= self._size:
            self._pending.clear()
            self._failure = SlowConsumer(
                f"more than {self._size} changes were waiting for this client; subscribe again"
            )
            self._wake.set()
            return False
        self._pending.append(change)
        self._wake.set()
        return True

    def end(self) -> None:
        """End after the changes already queued (shutdown)."""
        self._ending = True
        self._wake.set()

    async def next(self) -> SlotChange | None:
        """The next change; None once the stream ended cleanly."""
        while True:
            if self._failure is not None:
                raise self._failure
            if self._pending:
                return self._pending.popleft()
            if self._ending:
                return None
            self._wake.clear()
            await self._wake.wait()


class Watch:
    """One watched range: its last slots, its streams, and the one reader of it."""

    def __init__(self, key: WatchedRange, service: MeetingsService, watches: Watches) -> None:
        self.key = key
        self.service = service
        self.streams: set[Stream] = set()
        self.slots: frozenset[Slot] = frozenset()
        self._watches = watches
        self._reasons: deque[Reason] = deque()
        self._reader: asyncio.Task[None] | None = None
        self._soon = asyncio.Event()
        self._timer: asyncio.Task[None] | None = None
        self.ready: asyncio.Task[None] = detached(self._seed())

    async def _seed(self) -> None:
        self.slots, _stale = await self._read()
        self._timer = detached(self._tick())

    def poke(self, reason: Reason) -> None:
        """Read the range again for ``reason`` (once per reason already waiting)."""
        if not self.ready.done() or reason in self._reasons:
            return
        self._reasons.append(reason)
        if self._reader is None or self._reader.done():
            self._reader = detached(self._drain())

    async def _drain(self) -> None:
        while self._reasons:
            reason = self._reasons.popleft()
            try:
                slots, stale = await self._read()
            except Exception as exc:
                self._watches.stats.read_errors += 1
                log.warning("watched range of %s unreadable: %s", self.key.slug, exc)
                continue
            if stale:
                self._soon.set()
            change = difference(self.slots, slots, reason, self.key.slug, self.service.now())
            self.slots = slots
            if change is not None:
                self._push(change)

    def _push(self, change: SlotChange) -> None:
        for stream in list(self.streams):
            if stream.offer(change):
                self._watches.stats.changes += 1
            else:
                self._watches.stats.dropped += 1

    async def _read(self) -> tuple[frozenset[Slot], bool]:
        key = self.key
        self._watches.stats.reads += 1
        start = key.start or self.service.now()
        end = key.end or start + timedelta(days=self._watches.max_days)
        window = await self.service.availability(
            key.slug, start=key.start, end=end, duration_minutes=key.duration_minutes, first=None
        )
        if window is None:
            raise InputError("slug", "MEETING_LINK_NOT_FOUND", "no meeting link has this slug")
        return slot_set(window.slots), window.stale

    async def _tick(self) -> None:
        """Read again when the cached pages expire, or soon after a stale read."""
        while True:
            self._soon.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._watches.ttl):
                    await self._soon.wait()
                    await asyncio.sleep(STALE_RECHECK)
            self.poke(Reason.UPSTREAM_CHANGED)

    async def caught_up(self) -> None:
        """Wait until every change noted so far is read and pushed."""
        while self._reader is not None and not self._reader.done():
            await asyncio.shield(self._reader)

    def tasks(self) -> list[asyncio.Task[Any]]:
        return [t for t in (self.ready, self._reader, self._timer) if t is not None]


@dataclass
class Watches:
    settings: Settings
    stats: StreamStats = field(default_factory=StreamStats)
    _watches: dict[WatchedRange, Watch] = field(default_factory=dict)
    _streams: int = 0
    _cache: ReadThroughCache | None = None
    _holds: HoldStore | None = None
    _sweeper: asyncio.Task[None] | None = None
    _sweep_now: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _ended: bool = False

    @property
    def ttl(self) -> float:
        """How often each range is read for changes no note announces."""
        return self.settings.availability_ttl / 2

    @property
    def max_days(self) -> int:
        return self.settings.subscription_max_days

    @property
    def open_streams(self) -> int:
        return self._streams

    @property
    def watched_ranges(self) -> int:
        return len(self._watches)

    def watched(self) -> list[Watch]:
        return list(self._watches.values())

    def attach(self, cache: ReadThroughCache, holds: HoldStore) -> None:
        """Listen to ``cache``'s notes and sweep ``holds`` (again after an ``aclose``)."""
        self._ended = False
        self._watches.clear()
        self._streams = 0
        self._cache = cache
        self._holds = holds
        cache.observe(self._on_note)
        holds.observer = self._expired

    async def open(
        self,
        service: MeetingsService,
        slug: str,
        *,
        start: datetime | None,
        end: datetime | None,
        duration_minutes: int | None,
    ) -> Stream:
        """A stream of the range's changes, once its arguments are checked and it is read."""
        self._check(service, slug, start, end, duration_minutes)
        if self._ended:
            raise ShuttingDown("the gateway is shutting down; subscribe again elsewhere")
        if self._streams >= self.settings.max_streams:
            raise TooManyStreams(
                f"this gateway process serves {self.settings.max_streams} streams already; "
                "try again later"
            )
        key = WatchedRange(service.tenant, slug, start, end, duration_minutes)
        watch = self._watches.get(key)
        if watch is None:
            watch = self._watches[key] = Watch(key, service, self)
            self._sweep_now.set()
        stream = Stream(watch, self.settings.stream_queue)
        watch.streams.add(stream)
        self._streams += 1
        try:
            await asyncio.shield(watch.ready)
        except BaseException:
            self.close(stream)
            raise
        self.stats.opened += 1
        self._ensure_sweeping()
        return stream

    def _check(
        self,
        service: MeetingsService,
        slug: str,
        start: datetime | None,
        end: datetime | None,
        duration_minutes: int | None,
    ) -> None:
        """Refuse bad arguments before anything is read (as ``availability`` does)."""
        problem = slug_problem(slug)
        if problem is not None:
            raise InputError("slug", "INVALID_SLUG", problem)
        check_duration(duration_minutes)
        if end is None:
            return
        begin = start or service.now()
        if end <= begin:
            raise InputError("to", "INVALID_RANGE", "to must be after from (and after now)")
        if end - begin > timedelta(days=self.max_days):
            raise InputError(
                "to", "RANGE_TOO_LONG", f"a watched range may span at most {self.max_days} days"
            )

    def close(self, stream: Stream) -> None:
        watch = stream.watch
        if stream not in watch.streams:
            return
        watch.streams.discard(stream)
        self._streams -= 1
        if not watch.streams and self._watches.get(watch.key) is watch:
            del self._watches[watch.key]
            for task in watch.tasks():
                task.cancel()

    def end(self) -> None:
        """Every stream ends after what it has queued; no new one opens."""
        self._ended = True
        for watch in self._watches.values():
            for stream in watch.streams:
                stream.end()

    async def aclose(self) -> None:
        self.end()
        tasks: list[asyncio.Task[Any]] = [*self._tasks]
        if self._sweeper is not None:
            tasks.append(self._sweeper)
        for watch in self._watches.values():
            tasks.extend(watch.tasks())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- what moves slots --------------------------------------------------------------------

    def _on_note(self, tenant: str, note: str) -> None:
        reason = Reason.of_note(note)
        if reason is None:
            return
        if reason is Reason.HELD:
            self._sweep_now.set()  # a new hold: its expiry is the next to watch for
        for watch in list(self._watches.values()):
            if watch.key.tenant == tenant:
                watch.poke(reason)

    def _expired(self, tenant: str) -> None:
        """A hold of ``tenant`` ran out, seen by this process alone: tell every replica."""
        if self._cache is None:
            return
        self._track(self._cache.announce(tenant, Reason.EXPIRED.note))

    def _track(self, work: Any) -> None:
        task: asyncio.Task[None] = detached(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _ensure_sweeping(self) -> None:
        if self._holds is not None and (self._sweeper is None or self._sweeper.done()):
            self._sweeper = detached(self._sweep(self._holds))

    async def _sweep(self, holds: HoldStore) -> None:
        """Remove the watched tenants' holds as they run out (which announces them)."""
        while True:
            self._sweep_now.clear()
            pause = SWEEP_IDLE
            for tenant in {key.tenant for key in self._watches}:
                try:
                    left = await holds.sweep(tenant)
                except StoreUnavailable:
                    left = SWEEP_RETRY_MS
                if left is not None:
                    # Just past it: Redis counts a hold live up to its very millisecond.
                    pause = min(pause, left / 1000 + 0.002)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._sweep_now.wait()
