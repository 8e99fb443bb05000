"""DataLoaders, made fresh for every request: one upstream read per distinct key per request.
Each notes in the request's ``ReadLog`` whether what it read was stale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from strawberry.dataloader import DataLoader

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


def _each(fetch: Callable[[K], Awaitable[V]]) -> Callable[[Sequence[K]], Awaitable[list[V]]]:
    async def batch(keys: Sequence[K]) -> list[V]:
        # HubSpot has no batch reads; the loader's worth is deduplication within a request.
        if len(keys) == 1:
            # One key (the usual batch): read in the batch's own task, without a task for it
            # and the loop turns ``gather`` takes; a failure is its result, as with gather.
            try:
                return [await fetch(keys[0])]
            except Exception as exc:
                return [exc]  # type: ignore[list-item]
        results = await asyncio.gather(*(fetch(key) for key in keys), return_exceptions=True)
        return list(results)  # type: ignore[arg-type]

    return batch


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

        self.link_by_slug: DataLoader[str, MeetingLink | None] = DataLoader(_each(link))
        self.booking_info: DataLoader[str, BookingInfoView | None] = DataLoader(_each(booking_info))

        self.availability: DataLoader[AvailabilityKey, AvailabilityWindow | None] = DataLoader(
            _each(availability)
        )
        self.next_slot: DataLoader[NextSlotKey, Slot | None] = DataLoader(_each(next_slot))


def _noted(reads: ReadLog, read: Read[V]) -> V:
    reads.note(read.stale, read.held)
    return read.value
