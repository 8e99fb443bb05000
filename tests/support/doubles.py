"""Test doubles for the cache tests: a hand-driven timer and a counting upstream loader.

Redis is never faked; these stand in for time and for HubSpot only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from gateway.cache import Resource

FAR_FUTURE = 3600.0


class ManualTimer:
    """A monotonic timer that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Loader:
    """Stands in for the HubSpot client: counts calls, can be slow, gated or failing."""

    def __init__(self, value: str = "value", *, delay: float = 0.0) -> None:
        self.value = value
        self.delay = delay
        self.calls = 0
        self.cancelled = 0
        self.error: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> str:
        self.calls += 1
        number = self.calls
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.delay:
                await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        if self.error is not None:
            raise self.error
        return f"{self.value}-{number}"


def text_resource(
    name: str = "links",
    *,
    ttl: float = FAR_FUTURE,
    max_stale: float = FAR_FUTURE,
    swr: float | None = None,
    not_found_ttl: float = 0.0,
) -> Resource[str]:
    return Resource(
        name,
        ttl=ttl,
        max_stale=max_stale,
        encode=str.encode,
        decode=bytes.decode,
        swr=swr,
        not_found_ttl=not_found_ttl,
    )


async def eventually(condition: Callable[[], bool], *, within: float = 5.0) -> None:
    """Wait until ``condition()`` holds; fail the test if it does not within ``within`` s."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
