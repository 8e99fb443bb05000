"""Bookings under way: each runs in a task of its own, so that the request that started it
can end (its deadline passed, its client went away) without cutting the upstream call short.

Keyed bookings run in the idempotency store's own tasks; ``Flights`` holds the others, and
the app's lifespan waits for them on shutdown so that no answer is dropped unheard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Flights:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, call: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(call)
        self._tasks.add(task)  # a task nobody holds may be collected mid-flight
        task.add_done_callback(self._tasks.discard)
        return task

    async def aclose(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)


class SendMark:
    """The ``Claim`` of a booking without a key: it only remembers that the call left."""

    def __init__(self) -> None:
        self.was_sent = False

    async def sent(self, seconds: float) -> None:
        self.was_sent = True
