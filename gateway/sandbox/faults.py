"""Injected trouble: latency, a share of 5xx answers, and HubSpot's ten-second rate limit."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

RATE_WINDOW_SECONDS = 10.0


@dataclass
class Faults:
    """The knobs ``PUT /_sandbox/faults`` turns; ``rate_limit`` None means unlimited."""

    latency_ms: float = 0
    error_rate: float = 0
    rate_limit: int | None = None


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.limit),
            "X-HubSpot-RateLimit-Remaining": str(self.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(RATE_WINDOW_SECONDS * 1000)),
        }


class RateWindow:
    """A rolling ten-second window of accepted calls, on the monotonic clock.

    The window runs on real time even when the sandbox's clock is frozen, because clients
    back off in real time.
    """

    def __init__(self) -> None:
        self._accepted: deque[float] = deque()

    def clear(self) -> None:
        self._accepted.clear()

    def admit(self, limit: int, now: float | None = None) -> RateDecision:
        """Count one call if it fits under ``limit``; rejected calls are not counted."""
        moment = time.monotonic() if now is None else now
        while self._accepted and self._accepted[0] <= moment - RATE_WINDOW_SECONDS:
            self._accepted.popleft()
        if len(self._accepted) >= limit:
            wait = self._accepted[len(self._accepted) - limit] + RATE_WINDOW_SECONDS - moment
            return RateDecision(False, limit, 0, max(1, math.ceil(wait)))
        self._accepted.append(moment)
        return RateDecision(True, limit, limit - len(self._accepted), 0)
