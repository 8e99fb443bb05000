"""The rate budget: how many upstream calls may start now, so the gateway stays under HubSpot's
per-app limit (100 to 190 calls per rolling ten seconds) instead of learning it from 429s.

The budget is a rolling window of the calls admitted in the last ``window`` seconds. Bookings
may fill all of it; reads only all but ``reserve`` of it, so that when reads are heavy a
booking still goes out. ``acquire`` admits a call (and counts it) or says how long until one
could start; the client decides whether that wait fits in the request's deadline.

A booking in progress first takes a ``Hold`` on the calls it is about to make (its fresh
availability read and its POST). Held calls are out of reads' reach: reads leave the larger
of the reserve and everything held, so a flood of reads arriving during a burst of bookings
never takes the room the bookings need. Holds are numbered in arrival order, and a booking's
call may only take the room the holds older than its own leave: waiting bookings are
admitted oldest first, whatever order their sleeps end in, and when the window cannot fit
them all it is the youngest that are refused. A hold is spent call by call as the booking's
calls are admitted, given back when the booking stops early, and expires with the request's
deadline, so a crashed process holds nothing for long.

The budget adapts to what HubSpot says on every answer (``X-HubSpot-RateLimit-Max``,
``-Remaining``, ``-Interval-Milliseconds``): the limit becomes the smaller of the configured
one and HubSpot's ``Max``; when ``Remaining`` is down in the reserve, the window is padded so
that it counts at least the calls HubSpot counts (other clients of the same app spend the same
limit), and a 429 pauses everyone for its ``Retry-After``.

``WindowBudget`` keeps the window in this process. ``SharedBudget`` keeps it in Redis, one
window per tenant for every gateway process, with Redis's clock; when Redis is unreachable or
slow it falls back to its ``WindowBudget`` (per process, then) and skips Redis for a cooldown,
so Redis trouble never fails or stalls a call.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.breaker import Breaker
from gateway.hubspot.stats import UpstreamStats

R = TypeVar("R")

Kind = Literal["read", "booking"]

HUBSPOT_WINDOW = 10.0
# How soon a call kept out only by holds looks again: holds are spent or given back within a
# booking's own few calls, much sooner than admissions leave the window.
HOLD_RECHECK = 0.02
# Budget operations one process runs on Redis at once.
REDIS_LANES = 8


@dataclass
class Hold:
    """The calls a booking in progress is about to make, numbered by its arrival."""

    id: str
    seq: int
    units: int
    expires: float = math.inf
    # Taken in Redis (every process sees it) or, while Redis cannot answer, in this process.
    shared: bool = False


# The hold of the booking this task is making: its calls are in the booking lane and spend it.
BOOKING_HOLD: ContextVar[Hold | None] = ContextVar("gateway_booking_hold", default=None)
# Set while a booking is made: its reads before it holds anything (its link's booking info)
# are in the booking lane too, behind every hold.
IN_BOOKING: ContextVar[bool] = ContextVar("gateway_in_booking", default=False)


@dataclass
class BudgetShape:
    """The window and how much of it each kind of call may use; updated from HubSpot's headers."""

    limit: int
    reserve: float = 0.2
    window: float = HUBSPOT_WINDOW
    upstream_max: int | None = None

    def __post_init__(self) -> None:
        if self.limit < 1 or not 0 <= self.reserve < 1 or self.window <= 0:
            raise ValueError("expected limit >= 1, 0 <= reserve < 1 and window > 0")

    @property
    def total(self) -> int:
        return self.limit if self.upstream_max is None else min(self.limit, self.upstream_max)

    def room(self, kind: Kind, held_ahead: int) -> int:
        """How many calls the window may hold for this call to start: a read leaves the larger
        of the reserve and every held call; a booking's call the calls held by older bookings."""
        if kind == "booking":
            return self.total - held_ahead
        return min(self.allowance("read"), self.total - held_ahead)

    def allowance(self, kind: Kind) -> int:
        total = self.total
        if kind == "booking":
            return total
        # Never zero: with a limit of one call, reads share it rather than starve.
        return max(1, total - math.ceil(total * self.reserve - 1e-9))

    def learn(self, headers: Mapping[str, str]) -> int | None:
        """Take HubSpot's numbers from an answer. When its ``Remaining`` is down in the reserve,
        returns how many calls the window must count so that no more room is left in it."""
        upstream_max = _count(headers.get("X-HubSpot-RateLimit-Max"))
        remaining = _count(headers.get("X-HubSpot-RateLimit-Remaining"))
        interval = _count(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        if upstream_max is not None and upstream_max > 0:
            self.upstream_max = upstream_max
        if interval is not None and interval > 0:
            self.window = interval / 1000
        if remaining is None:
            return None
        total = self.total
        if remaining > total - self.allowance("read"):
            return None
        # Leave no more room than HubSpot has left.
        return max(0, total - remaining)


class RateBudget(Protocol):
    shape: BudgetShape

    async def acquire(self, kind: Kind, hold: Hold | None = None) -> float:
        """0 when a call may start now (it is counted, and spends one of ``hold``'s calls),
        else the seconds until one may. A booking's call without a hold comes after every
        hold taken so far."""
        ...

    async def hold(self, units: int, ttl: float) -> Hold:
        """Keep ``units`` calls for a booking in progress, for ``ttl`` seconds at most."""
        ...

    async def release(self, hold: Hold, units: int | None = None) -> None:
        """Give back ``units`` (all, when None) of the calls ``hold`` has not spent."""
        ...

    async def refund(self) -> None:
        """Uncount the call admitted last: it was never sent."""
        ...

    async def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from the rate-limit headers of an upstream answer."""
        ...

    async def pause(self, seconds: float) -> None:
        """Start no call for ``seconds`` (the upstream answered 429)."""
        ...


class WindowBudget:
    """The window in this process, on a monotonic timer."""

    def __init__(self, shape: BudgetShape, *, timer: Callable[[], float] = time.monotonic) -> None:
        self.shape = shape
        self._timer = timer
        self._admitted: deque[float] = deque()
        self._paused_until = 0.0
        # In arrival order, so the holds ahead of one are a prefix.
        self._holds: dict[str, Hold] = {}
        self._serial = itertools.count(1)

    @property
    def used(self) -> int:
        self._prune(self._timer())
        return len(self._admitted)

    @property
    def held(self) -> int:
        self._drop_expired(self._timer())
        return sum(hold.units for hold in self._holds.values())

    def try_acquire(self, kind: Kind, hold: Hold | None = None) -> float:
        now = self._timer()
        if now < self._paused_until:
            return self._paused_until - now
        self._prune(now)
        self._drop_expired(now)
        used = len(self._admitted)
        if used < self.shape.room(kind, self._held_ahead(kind, hold)):
            self._admitted.append(now)
            if hold is not None:
                self._spend(hold)
            return 0.0
        allowed = self.shape.allowance(kind)
        if used < allowed:
            return HOLD_RECHECK  # only holds stand in the way
        # The call that has to leave the window before one more fits.
        return self._admitted[used - allowed] + self.shape.window - now

    def take_hold(self, units: int, ttl: float) -> Hold:
        seq = next(self._serial)
        hold = Hold(f"local:{seq}", seq, units, self._timer() + ttl)
        self._holds[hold.id] = hold
        return hold

    def give_back(self, hold: Hold, units: int | None = None) -> None:
        hold.units -= hold.units if units is None else min(units, hold.units)
        if hold.units <= 0:
            self._holds.pop(hold.id, None)

    def uncount(self) -> None:
        if self._admitted:
            self._admitted.pop()

    def _held_ahead(self, kind: Kind, hold: Hold | None) -> int:
        # A read, or a booking's call that took no hold, comes after every hold.
        if kind == "read" or hold is None:
            return sum(kept.units for kept in self._holds.values())
        return sum(kept.units for kept in self._holds.values() if kept.seq < hold.seq)

    def _spend(self, hold: Hold) -> None:
        self.give_back(hold, 1)

    def _drop_expired(self, now: float) -> None:
        for key in [key for key, hold in self._holds.items() if hold.expires <= now]:
            del self._holds[key]

    def count_at_least(self, used: int) -> None:
        """Pad the window so it holds at least ``used`` calls, as the upstream counts them."""
        now = self._timer()
        self._prune(now)
        missing = min(used, self.shape.total) - len(self._admitted)
        self._admitted.extend([now] * max(0, missing))

    def pause_for(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._timer() + seconds)

    async def acquire(self, kind: Kind, hold: Hold | None = None) -> float:
        return self.try_acquire(kind, hold)

    async def hold(self, units: int, ttl: float) -> Hold:
        return self.take_hold(units, ttl)

    async def release(self, hold: Hold, units: int | None = None) -> None:
        self.give_back(hold, units)

    async def refund(self) -> None:
        self.uncount()

    async def observe(self, headers: Mapping[str, str]) -> None:
        used = self.shape.learn(headers)
        if used is not None:
            self.count_at_least(used)

    async def pause(self, seconds: float) -> None:
        self.pause_for(seconds)

    def _prune(self, now: float) -> None:
        horizon = now - self.shape.window
        while self._admitted and self._admitted[0] <= horizon:
            self._admitted.popleft()


# KEYS: the window (a sorted set of admission times in ms), the pause marker, the holds (a
# sorted set of held calls by the hold's number), the holds' expiry (the same calls by expiry).
# ARGV: window ms, total, read allowance, kind, the hold's number (0: none), member, the held
# call it spends ('' for none), recheck ms. Returns 0 (admitted and counted) or the ms to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
for _, call in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('ZREM', KEYS[3], call)
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local used = redis.call('ZCARD', KEYS[1])
local total = tonumber(ARGV[2])
local seq = tonumber(ARGV[5])
local allowed = tonumber(ARGV[3])
local ahead
if ARGV[4] == 'booking' then
  allowed = total
end
if ARGV[4] == 'booking' and seq > 0 then
  ahead = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. seq)
else
  ahead = redis.call('ZCARD', KEYS[3])
end
if used < math.min(allowed, total - ahead) then
  redis.call('ZADD', KEYS[1], now, ARGV[6])
  redis.call('PEXPIRE', KEYS[1], window)
  if ARGV[7] ~= '' then
    redis.call('ZREM', KEYS[3], ARGV[7])
    redis.call('ZREM', KEYS[4], ARGV[7])
  end
  return 0
end
if used < allowed then return tonumber(ARGV[8]) end
local oldest = redis.call('ZRANGE', KEYS[1], used - allowed, used - allowed, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS: the holds, their expiry, the hold counter. ARGV: calls, ttl ms, hold id.
# Returns the hold's number; its calls are members "<id>:1" .. "<id>:<calls>".
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = redis.call('INCR', KEYS[3])
local ttl = tonumber(ARGV[2])
for i = 1, tonumber(ARGV[1]) do
  local call = ARGV[3] .. ':' .. i
  redis.call('ZADD', KEYS[1], seq, call)
  redis.call('ZADD', KEYS[2], now + ttl, call)
end
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
redis.call('PEXPIRE', KEYS[3], 3600000)
return seq
"""

# KEYS: the holds, their expiry. ARGV: the held calls given back.
_RELEASE = """
for _, call in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], call)
  redis.call('ZREM', KEYS[2], call)
end
return 1
"""

# KEYS: the window. ARGV: the member admitted last.
_REFUND = """
return redis.call('ZREM', KEYS[1], ARGV[1])
"""

# KEYS: the window. ARGV: window ms, calls it must hold at least, member prefix.
_COUNT_AT_LEAST = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
for i = used + 1, tonumber(ARGV[2]) do redis.call('ZADD', KEYS[1], now, ARGV[3] .. i) end
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""

# KEYS: the pause marker. ARGV: ms. A shorter pause never cuts a longer one short.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""

# Loaded at start with the other users' scripts (``RedisStore.warm``).
SCRIPTS = (_ACQUIRE, _COUNT_AT_LEAST, _PAUSE, _HOLD, _RELEASE, _REFUND)


class SharedBudget:
    """One window for every gateway process of a tenant, in Redis."""

    def __init__(
        self,
        redis: Redis,
        tenant: str,
        local: WindowBudget,
        *,
        stats: UpstreamStats | None = None,
        # Bounds the loop's lag as well as Redis: a burst keeps the event loop busy for a few
        # hundred ms, and a tighter bound would fall back to per-process windows (and let the
        # replicas together overspend) just when the shared one matters most.
        timeout: float = 1.0,
        cooldown: float = 3.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shape = local.shape
        self.local = local
        self.stats = stats or UpstreamStats()
        self._timeout = timeout
        # One failure is enough: a Redis in trouble is skipped for the cooldown, then probed.
        self._breaker = Breaker(1, cooldown, timer=timer)
        # A burst would otherwise open a Redis connection per call at once, and connecting a
        # hundred under a busy loop outlasts the connect timeout: a few connections, reused.
        self._lanes = asyncio.Semaphore(REDIS_LANES)
        self._window_key = f"gateway:rate:{tenant}:window"
        self._pause_key = f"gateway:rate:{tenant}:pause"
        self._hold_keys = [f"gateway:rate:{tenant}:holds", f"gateway:rate:{tenant}:hold-expiry"]
        self._counter_key = f"gateway:rate:{tenant}:hold-counter"
        self._member = secrets.token_hex(6)
        self._serial = itertools.count()
        self._last = ""
        self._acquire = redis.register_script(_ACQUIRE)
        self._count = redis.register_script(_COUNT_AT_LEAST)
        self._pause = redis.register_script(_PAUSE)
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)
        self._refund = redis.register_script(_REFUND)

    async def acquire(self, kind: Kind, hold: Hold | None = None) -> float:
        member = f"{self._member}:{next(self._serial)}"
        shared = hold if hold is not None and hold.shared else None
        spend = f"{shared.id}:{shared.units}" if shared is not None and shared.units > 0 else ""
        shape = self.shape
        args: list[str | int] = [
            self._ms(shape.window),
            shape.total,
            shape.allowance("read"),
            kind,
            shared.seq if shared is not None else 0,
            member,
            spend,
            self._ms(HOLD_RECHECK),
        ]
        keys = [self._window_key, self._pause_key, *self._hold_keys]
        waited = await self._shared(lambda: self._acquire(keys=keys, args=args))
        if waited is None:
            self._last = ""
            # A hold taken in Redis means nothing to this process's window.
            return self.local.try_acquire(kind, None if shared is not None else hold)
        if int(waited) > 0:
            return int(waited) / 1000
        self._last = member
        if shared is not None:
            shared.units = max(0, shared.units - 1)
        elif hold is not None:
            self.local.give_back(hold, 1)
        return 0.0

    async def hold(self, units: int, ttl: float) -> Hold:
        hold_id = f"{self._member}:hold:{next(self._serial)}"
        args: list[str | int] = [units, self._ms(ttl), hold_id]
        keys = [*self._hold_keys, self._counter_key]
        seq = await self._shared(lambda: self._hold(keys=keys, args=args))
        if seq is None:
            return self.local.take_hold(units, ttl)
        return Hold(hold_id, int(seq), units, shared=True)

    async def release(self, hold: Hold, units: int | None = None) -> None:
        if not hold.shared:
            self.local.give_back(hold, units)
            return
        count = hold.units if units is None else min(units, hold.units)
        calls = [f"{hold.id}:{hold.units - n}" for n in range(count)]
        hold.units -= count
        if calls:
            await self._shared(lambda: self._release(keys=self._hold_keys, args=calls))

    async def refund(self) -> None:
        last, self._last = self._last, ""
        if not last:  # admitted by this process's window while Redis could not answer
            self.local.uncount()
            return
        await self._shared(lambda: self._refund(keys=[self._window_key], args=[last]))

    async def observe(self, headers: Mapping[str, str]) -> None:
        used = self.shape.learn(headers)
        if used is None:
            return
        self.local.count_at_least(used)
        prefix = f"{self._member}:sync:{next(self._serial)}:"
        args: list[str | int] = [self._ms(self.shape.window), used, prefix]
        await self._shared(lambda: self._count(keys=[self._window_key], args=args))

    async def pause(self, seconds: float) -> None:
        self.local.pause_for(seconds)
        ms = self._ms(seconds)
        await self._shared(lambda: self._pause(keys=[self._pause_key], args=[ms]))

    async def _shared(self, operation: Callable[[], Awaitable[R]]) -> R | None:
        """The operation's result, or None when Redis cannot answer now."""
        if not self._breaker.allow():
            self.stats.budget_fallbacks += 1
            return None
        try:
            async with self._lanes, asyncio.timeout(self._timeout):
                result = await operation()
        except (RedisError, OSError, TimeoutError):
            self._breaker.record_failure()
            self.stats.budget_fallbacks += 1
            return None
        except BaseException:
            self._breaker.release()
            raise
        self._breaker.record_success()
        return result

    @staticmethod
    def _ms(seconds: float) -> int:
        return max(1, math.ceil(seconds * 1000))


class CappedBudget:
    """A tenant's budget under the app's: HubSpot counts its limits per app, so in pass-through
    mode every tenant's calls also spend one ceiling, which made-up tokens cannot multiply.

    Holds and bookings' order live in the ceiling (where bookings of every tenant compete);
    HubSpot's headers and 429s speak of the token they answered, so they reach the tenant's."""

    def __init__(self, tenant: RateBudget, ceiling: RateBudget) -> None:
        self.shape = tenant.shape
        self.tenant = tenant
        self.ceiling = ceiling

    async def acquire(self, kind: Kind, hold: Hold | None = None) -> float:
        wait = await self.tenant.acquire(kind)
        if wait > 0:
            return wait
        wait = await self.ceiling.acquire(kind, hold)
        if wait > 0:
            await self.tenant.refund()  # counted above, yet never sent
        return wait

    async def hold(self, units: int, ttl: float) -> Hold:
        return await self.ceiling.hold(units, ttl)

    async def release(self, hold: Hold, units: int | None = None) -> None:
        await self.ceiling.release(hold, units)

    async def refund(self) -> None:
        await self.tenant.refund()
        await self.ceiling.refund()

    async def observe(self, headers: Mapping[str, str]) -> None:
        await self.tenant.observe(headers)

    async def pause(self, seconds: float) -> None:
        await self.tenant.pause(seconds)


def _count(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None
