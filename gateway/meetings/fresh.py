"""Single flight for bookings' fresh reads: concurrent bookings of one month page share one
upstream read, and no booking uses a read that began before the booking did.

The cache's single flight (``cache/layer.py``) may hand out what was loaded a moment ago; a
booking must see the upstream as it is after the booking began. So a booking takes a stamp as
it begins and joins the read in flight for its page only when that read has not started yet,
or started after the stamp; otherwise it starts the next read, which later bookings join. A
read starts when its task first runs: after every booking that reached its check in the same
turn of the event loop, so a burst of bookings costs one read per page. The read is handed
the bookings that joined before it started (``participants``), so that it can go out as the
oldest of them. A finished read stays
on hand for ``keep`` seconds (longer than any request's deadline), for the bookings that began
before it started but reach their check after it ended (another process's hold in Redis may
answer late); it never serves one that began after it started.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
P = TypeVar("P")


@dataclass
class _Flight(Generic[T, P]):
    # The stamp taken when the read began; None while its task has not run yet.
    started: int | None = None
    # The event loop's time when it ended.
    ended: float | None = None
    participants: list[P] = field(default_factory=list)
    task: asyncio.Task[T] | None = field(default=None, repr=False)


class FreshReads(Generic[T, P]):
    def __init__(self, *, keep: float = 30.0) -> None:
        self._stamps = itertools.count(1)
        self._flights: dict[Hashable, _Flight[T, P]] = {}
        self._keep = keep

    def stamp(self) -> int:
        """A booking's beginning, in the order reads begin too."""
        return next(self._stamps)

    def join(
        self,
        key: Hashable,
        began: int,
        load: Callable[[list[P]], Awaitable[T]],
        participant: P,
    ) -> tuple[asyncio.Task[T], bool]:
        """The read a booking stamped ``began`` may use, and whether ``participant`` is among
        those handed to ``load`` (False: it joined a read already under way). ``key`` carries
        the tenant, like every single-flight key. Await the read through ``asyncio.shield``:
        one booking giving up does not cancel the read others share."""
        self._forget_old()
        flight = self._flights.get(key)
        if (
            flight is not None
            and flight.task is not None
            and (flight.started is None or flight.started > began)
        ):
            if flight.started is not None:
                return flight.task, False
            flight.participants.append(participant)
            return flight.task, True
        flight = _Flight[T, P](participants=[participant])
        self._flights[key] = flight
        flight.task = asyncio.create_task(self._run(flight, load))
        # Read by whoever waits; retrieved here too, so a read nobody waits for any more
        # never warns about an exception left unseen.
        flight.task.add_done_callback(_retrieve)
        return flight.task, True

    async def _run(self, flight: _Flight[T, P], load: Callable[[list[P]], Awaitable[T]]) -> T:
        flight.started = next(self._stamps)
        try:
            return await load(list(flight.participants))
        finally:
            flight.ended = asyncio.get_running_loop().time()

    def _forget_old(self) -> None:
        horizon = asyncio.get_running_loop().time() - self._keep
        old = [key for key, flight in self._flights.items() if (flight.ended or math.inf) < horizon]
        for key in old:
            del self._flights[key]


def _retrieve(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()
