"""A circuit breaker: a failing dependency gets a rest, and callers an answer at once.

After ``failures`` failures in a row the breaker opens: calls are refused without touching the
network for ``cooldown`` seconds. Then one call goes through as a probe; its success closes the
breaker, its failure opens it again for another cooldown. Calls made while the probe runs are
refused too, so a dependency that hangs costs one timeout per cooldown, not one per request.

The upstream's breaker opens after several failures (5xx, timeouts, refused connections; never
a 4xx, which proves HubSpot is up and merely disagrees), so the cache can answer stale data at
once; Redis's and the rate budget's open after one, since Redis is optional to an answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half-open"]


class Breaker:
    def __init__(
        self,
        failures: int = 5,
        cooldown: float = 5.0,
        *,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1 or cooldown <= 0:
            raise ValueError("expected failures >= 1 and cooldown > 0")
        self.failures = failures
        self.cooldown = cooldown
        self.opens = 0
        self._timer = timer
        self._streak = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._probing or self._timer() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Whether a call may go now; a ``True`` after the cooldown makes that call the probe."""
        if self._opened_at is None:
            return True
        if self._probing or self._timer() - self._opened_at < self.cooldown:
            return False
        self._probing = True
        return True

    def retry_after(self) -> float:
        """Seconds until a call may be let through again (a hint for clients)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self._timer()) or self.cooldown

    def record_success(self) -> None:
        self._streak = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        if self._opened_at is not None:
            # A failed probe, or a call sent before the breaker opened: rest again.
            self._open()
            return
        self._streak += 1
        if self._streak >= self.failures:
            self._open()

    def release(self) -> None:
        """A call let through ended without a verdict (cancelled, or never sent): if it was
        the probe, let the next call probe instead of leaving the breaker half-open for good."""
        self._probing = False

    def _open(self) -> None:
        self._opened_at = self._timer()
        self._probing = False
        self._streak = 0
        self.opens += 1
