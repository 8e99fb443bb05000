"""The rate budget: how many upstream calls may start now, so the gateway stays under HubSpot's
per-app limit (100 to 190 calls per rolling ten seconds) instead of learning it from 429s.

The budget is a rolling window of the calls admitted in the last ``window`` seconds. Bookings
may fill all of it; reads only all but ``reserve`` of it, so that when reads are heavy a
booking still goes out. ``acquire`` admits a call (and counts it) or says how long until one
could start; the client decides whether that wait fits in the request's deadline.

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
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.breaker import Breaker
from gateway.hubspot.stats import UpstreamStats

R = TypeVar("R")

Kind = Literal["read", "booking"]

HUBSPOT_WINDOW = 10.0


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

    async def acquire(self, kind: Kind) -> float:
        """0 when a call may start now (it is counted), else the seconds until one may."""
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

    @property
    def used(self) -> int:
        self._prune(self._timer())
        return len(self._admitted)

    def try_acquire(self, kind: Kind) -> float:
        now = self._timer()
        if now < self._paused_until:
            return self._paused_until - now
        self._prune(now)
        allowed = self.shape.allowance(kind)
        if len(self._admitted) < allowed:
            self._admitted.append(now)
            return 0.0
        # The call that has to leave the window before one more fits.
        return self._admitted[len(self._admitted) - allowed] + self.shape.window - now

    def count_at_least(self, used: int) -> None:
        """Pad the window so it holds at least ``used`` calls, as the upstream counts them."""
        now = self._timer()
        self._prune(now)
        missing = min(used, self.shape.total) - len(self._admitted)
        self._admitted.extend([now] * max(0, missing))

    def pause_for(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._timer() + seconds)

    async def acquire(self, kind: Kind) -> float:
        return self.try_acquire(kind)

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


# KEYS: the window (a sorted set of admission times in ms), the pause marker.
# ARGV: window ms, allowance, member. Returns 0 (admitted and counted) or the ms to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local allowed = tonumber(ARGV[2])
if used < allowed then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], used - allowed, used - allowed, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
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


class SharedBudget:
    """One window for every gateway process of a tenant, in Redis."""

    def __init__(
        self,
        redis: Redis,
        tenant: str,
        local: WindowBudget,
        *,
        stats: UpstreamStats | None = None,
        timeout: float = 0.25,
        cooldown: float = 3.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shape = local.shape
        self.local = local
        self.stats = stats or UpstreamStats()
        self._timeout = timeout
        # One failure is enough: a Redis in trouble is skipped for the cooldown, then probed.
        self._breaker = Breaker(1, cooldown, timer=timer)
        self._window_key = f"gateway:rate:{tenant}:window"
        self._pause_key = f"gateway:rate:{tenant}:pause"
        self._member = secrets.token_hex(6)
        self._serial = itertools.count()
        self._acquire = redis.register_script(_ACQUIRE)
        self._count = redis.register_script(_COUNT_AT_LEAST)
        self._pause = redis.register_script(_PAUSE)

    async def acquire(self, kind: Kind) -> float:
        member = f"{self._member}:{next(self._serial)}"
        args: list[str | int] = [self._ms(self.shape.window), self.shape.allowance(kind), member]
        waited = await self._shared(
            lambda: self._acquire(keys=[self._window_key, self._pause_key], args=args)
        )
        if waited is None:
            return self.local.try_acquire(kind)
        return int(waited) / 1000

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
            async with asyncio.timeout(self._timeout):
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


def _count(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None
