"""A circuit breaker that keeps a sick Redis from slowing every request.

After a failure Redis is bypassed for ``cooldown`` seconds; then a single call is let through
as a probe. Its success closes the breaker, its failure opens it for another cooldown. Calls
made while the probe runs are bypassed too, so a Redis that hangs costs one timeout per
cooldown rather than one per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half-open"]


class Breaker:
    def __init__(self, cooldown: float, *, timer: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self._timer = timer
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
        """Whether a call may go to Redis now; a ``True`` after a cooldown makes it the probe."""
        if self._opened_at is None:
            return True
        if self._probing or self._timer() - self._opened_at < self.cooldown:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._opened_at = self._timer()
        self._probing = False
