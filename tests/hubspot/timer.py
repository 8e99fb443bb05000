"""A hand-moved monotonic timer for the budget, retry-budget and breaker tests."""

from __future__ import annotations


class Timer:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
