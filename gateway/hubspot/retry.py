"""When to try an upstream call again: attempts, jittered backoff, and a retry budget.

Retries multiply load on an upstream that is already struggling, so they are bounded three
ways: at most ``MAX_ATTEMPTS`` attempts per call, a full-jitter exponential backoff between
them (clients that failed together do not come back together), and a ``RetryBudget`` that
caps retries at a share of the calls made recently, as Finagle's and gRPC's retry budgets do:
during an outage the gateway adds about 10% extra calls, not 200%.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 0.1
    cap: float = 1.0

    def delay(self, retry: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds before retry number ``retry`` (1, 2, ...): uniform in [0, base * 2**retry],
        capped ("full jitter")."""
        return draw() * min(self.cap, self.base * 2.0**retry)


class RetryBudget:
    """Retries in the last ``window`` seconds may not exceed ``min_retries`` plus ``ratio``
    times the calls made in it; ``min_retries`` lets a quiet process retry at all."""

    def __init__(
        self,
        ratio: float = 0.1,
        *,
        window: float = 10.0,
        min_retries: int = 2,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if ratio < 0 or window <= 0 or min_retries < 0:
            raise ValueError("expected ratio >= 0, window > 0 and min_retries >= 0")
        self.ratio = ratio
        self.window = window
        self.min_retries = min_retries
        self._timer = timer
        self._calls: deque[float] = deque()
        self._retries: deque[float] = deque()

    def deposit(self) -> None:
        """Count one call (its first attempt) towards what may be retried."""
        now = self._timer()
        self._prune(now)
        self._calls.append(now)

    def try_withdraw(self) -> bool:
        """Whether one retry may go now; if so it is counted."""
        now = self._timer()
        self._prune(now)
        if len(self._retries) + 1 > self.min_retries + self.ratio * len(self._calls) + 1e-9:
            return False
        self._retries.append(now)
        return True

    def _prune(self, now: float) -> None:
        horizon = now - self.window
        for times in (self._calls, self._retries):
            while times and times[0] <= horizon:
                times.popleft()
