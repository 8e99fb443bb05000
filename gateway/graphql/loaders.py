"""Loaders, made fresh for every request: one upstream read per distinct key per request.
Each notes in the request's ``ReadLog`` whether what it read was stale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from gateway.graphql.context import ReadLog
from gateway.hubspot.models import MeetingLink
from gateway.meetings.availability import AvailabilityWindow, Slot
from gateway.meetings.service import BookingInfoView, MeetingsService, Read

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class AvailabilityKey:
    slug: str
    start: datetime | None
    end: datetime | None
    duration_minutes: int | None
    first: int | None


@dataclass(frozen=True, slots=True)
class NextSlotKey:
    slug: str
    duration_minutes: int | None
    after: datetime | None


class Loader(Generic[K, V]):
    """One read per distinct key per request. The first resolver to ask for a key reads it
    itself, inline (a read the cache answers costs no turn of the event loop, nor a task);
    those asking for it meanwhile, or later, await the same outcome: its value or its error.
    HubSpot has no batch reads, so batching keys, as strawberry's ``DataLoader`` does, would
    buy nothing; deduplication is the loader's worth."""

    __slots__ = ("_fetch", "_outcomes")

    def __init__(self, fetch: Callable[[K], Awaitable[V]]) -> None:
        self._fetch = fetch
        self._outcomes: dict[K, asyncio.Future[V]] = {}

    async def load(self, key: K) -> V:
        found = self._outcomes.get(key)
        if found is not None:
            return await asyncio.shield(found) if not found.done() else found.result()
        outcome: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._outcomes[key] = outcome
        try:
            value = await self._fetch(key)
        except BaseException as exc:
            if isinstance(exc, Exception):
                outcome.set_exception(exc)
                outcome.exception()  # retrieved: it is raised here, and to later askers
            else:  # cancelled: those waiting are too, and a later ask reads again
                outcome.cancel()
                del self._outcomes[key]
            raise
        outcome.set_result(value)
        return value


class Loaders:
    def __init__(self, service: MeetingsService, reads: ReadLog) -> None:
        async def link(slug: str) -> MeetingLink | None:
            return _noted(reads, await service.read_link(slug))

        async def booking_info(slug: str) -> BookingInfoView | None:
            view = await service.booking_info(slug)
            reads.note(view is not None and view.stale)
            return view

        async def availability(key: AvailabilityKey) -> AvailabilityWindow | None:
            window = await service.availability(
                key.slug,
                start=key.start,
                end=key.end,
                duration_minutes=key.duration_minutes,
                first=key.first,
            )
            if window is not None:
                reads.note(window.stale, window.held)
            return window

        async def next_slot(key: NextSlotKey) -> Slot | None:
            found = await service.next_available_slot(
                key.slug, duration_minutes=key.duration_minutes, after=key.after
            )
            return _noted(reads, found)

        self.link_by_slug: Loader[str, MeetingLink | None] = Loader(link)
        self.booking_info: Loader[str, BookingInfoView | None] = Loader(booking_info)
        self.availability: Loader[AvailabilityKey, AvailabilityWindow | None] = Loader(availability)
        self.next_slot: Loader[NextSlotKey, Slot | None] = Loader(next_slot)


def _noted(reads: ReadLog, read: Read[V]) -> V:
    reads.note(read.stale, read.held)
    return read.value
