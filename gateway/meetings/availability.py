"""Merging HubSpot's month pages into one range, and saying why a range is empty."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.hubspot.models import BookingInfo, LinkAvailability


class EmptyReason(StrEnum):
    DURATION_NOT_OFFERED = "DURATION_NOT_OFFERED"
    BEYOND_BOOKING_WINDOW = "BEYOND_BOOKING_WINDOW"
    BEFORE_MINIMUM_NOTICE = "BEFORE_MINIMUM_NOTICE"
    FULLY_BOOKED = "FULLY_BOOKED"
    NO_WORKING_HOURS = "NO_WORKING_HOURS"
    IN_THE_PAST = "IN_THE_PAST"


@dataclass(frozen=True, slots=True)
class Slot:
    start_ms: int
    end_ms: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class AvailabilityWindow:
    """Offered slots of one link over one range, sorted by start then duration."""

    slots: tuple[Slot, ...]
    durations_ms: tuple[int, ...]
    has_more: bool
    empty_reason: EmptyReason | None
    fetched_at: datetime
    stale: bool
    # A held slot was hidden: the answer must not outlive the hold.
    held: bool = False


def merge_slots(
    pages: Iterable[LinkAvailability | None],
    start_ms: int,
    end_ms: int,
    duration_ms: int | None,
) -> list[Slot]:
    """Every slot of ``pages`` that starts inside ``[start_ms, end_ms)``, deduplicated, sorted."""
    seen: set[tuple[int, int]] = set()
    slots: list[Slot] = []
    for page in pages:
        if page is None:
            continue
        for length, ranges in page.by_duration.items():
            if duration_ms is not None and length != duration_ms:
                continue
            for span in ranges:
                key = (span.start_ms, length)
                if start_ms <= span.start_ms < end_ms and key not in seen:
                    seen.add(key)
                    slots.append(Slot(span.start_ms, span.end_ms, length))
    slots.sort(key=lambda slot: (slot.start_ms, slot.duration_ms))
    return slots


def empty_reason(
    info: BookingInfo,
    *,
    now_ms: int,
    start_ms: int,
    end_ms: int,
    duration_ms: int | None,
    window_start_ms: int,
    window_end_ms: int,
    earliest_slot_ms: int | None,
) -> EmptyReason:
    """Why ``[start_ms, end_ms)`` holds no slot, from what booking info says of the link."""
    settings = info.settings
    if duration_ms is not None and duration_ms not in settings.durations_ms:
        return EmptyReason.DURATION_NOT_OFFERED
    if end_ms <= now_ms:
        return EmptyReason.IN_THE_PAST
    if start_ms >= window_end_ms or end_ms <= window_start_ms:
        return EmptyReason.BEYOND_BOOKING_WINDOW
    if not settings.availability or not any(e > s for s, e in settings.availability.values()):
        return EmptyReason.NO_WORKING_HOURS
    busy_in_range = any(
        busy.start_ms < end_ms and busy.end_ms > max(start_ms, now_ms)
        for member in info.busy_times
        for busy in member.busy
    )
    if busy_in_range:
        return EmptyReason.FULLY_BOOKED
    if earliest_slot_ms is not None and end_ms <= earliest_slot_ms and start_ms <= now_ms:
        # The range begins now and ends before the first time the link offers at all: the
        # only thing between them is the link's minimum notice.
        return EmptyReason.BEFORE_MINIMUM_NOTICE
    return EmptyReason.NO_WORKING_HOURS
