"""Merging HubSpot's month pages into one range, and saying why a range is empty.

A month page's slots are sorted and deduplicated once (``MonthSlots``, kept with the cached
page), so a range asked of it is two bisections and a run of that page's slots (``SlotRun``);
months that follow each other join as runs, never re-sorted. What the layers above derive
from a month's slots (their rendering in a zone, say) is kept beside them, bounded, for as long
as the page is cached: a page read again from the upstream is a new object with nothing kept.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import chain, pairwise
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from gateway.hubspot.models import BookingInfo, LinkAvailability


class EmptyReason(StrEnum):
    DURATION_NOT_OFFERED = "DURATION_NOT_OFFERED"
    BEYOND_BOOKING_WINDOW = "BEYOND_BOOKING_WINDOW"
    BEFORE_MINIMUM_NOTICE = "BEFORE_MINIMUM_NOTICE"
    FULLY_BOOKED = "FULLY_BOOKED"
    NO_WORKING_HOURS = "NO_WORKING_HOURS"
    IN_THE_PAST = "IN_THE_PAST"


class Slot(NamedTuple):
    """An offered slot. A month has thousands: a tuple is made in a third of the time a frozen
    dataclass takes."""

    start_ms: int
    end_ms: int
    duration_ms: int


# What ``Slot(start, end, length)`` calls, without its Python-level ``__new__``.
_new_slot = tuple.__new__


V = TypeVar("V")

# Renderings kept per month's slots (a few zones and selections cover nearly every visitor);
# each weighs about what the page's JSON does, held beside the L1 entry, outside its byte bound.
MAX_KEPT = 4
# Bounds wide enough for any epoch ms HubSpot sends.
EVERY_MS = (-(2**62), 2**62)


class MonthSlots:
    """One month page's slots (of one duration, or all), deduplicated, sorted by start then
    duration, with what layers above derive from them kept beside."""

    __slots__ = ("_kept", "slots", "starts")

    def __init__(self, slots: Sequence[Slot]) -> None:
        self.slots = tuple(slots)
        self.starts = [slot.start_ms for slot in self.slots]
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    @classmethod
    def of(cls, page: LinkAvailability, duration_ms: int | None) -> MonthSlots:
        """``page``'s slots, sorted once per cached page and duration."""
        if duration_ms is not None and duration_ms not in page.by_duration:
            return NO_SLOTS  # kept nowhere: a client may ask for any duration
        key = ("month-slots", duration_ms)
        found: MonthSlots | None = page.derived.get(key)
        if found is None:
            found = page.derived[key] = cls(merge_slots([page], *EVERY_MS, duration_ms))
        return found

    def run(self, start_ms: int, end_ms: int) -> SlotRun:
        """The slots starting inside ``[start_ms, end_ms)``."""
        starts = self.starts
        lo = bisect_left(starts, start_ms)
        return SlotRun(self, lo, max(lo, bisect_left(starts, end_ms)))

    def kept(self, key: Hashable, make: Callable[[], V]) -> V:
        """What ``make()`` derives from these slots, made once per ``key`` while kept."""
        kept = self._kept
        if key in kept:
            kept.move_to_end(key)
            value: V = kept[key]
            return value
        value = kept[key] = make()
        if len(kept) > MAX_KEPT:
            kept.popitem(last=False)
        return value


NO_SLOTS = MonthSlots(())


@dataclass(frozen=True, slots=True)
class SlotRun:
    """Consecutive slots of one month: ``month.slots[lo:hi]``."""

    month: MonthSlots
    lo: int
    hi: int

    def __len__(self) -> int:
        return self.hi - self.lo

    def __iter__(self) -> Iterator[Slot]:
        return iter(self.month.slots[self.lo : self.hi])


def window_runs(
    pages: Iterable[LinkAvailability | None],
    start_ms: int,
    end_ms: int,
    duration_ms: int | None,
) -> list[SlotRun]:
    """What ``merge_slots`` answers, as runs of each page's sorted slots. Pages whose slots
    interleave (HubSpot sends none) are merged into one month of their own, kept nowhere."""
    present = [page for page in pages if page is not None]
    runs: list[SlotRun] = []
    last: tuple[int, int] | None = None
    for page in present:
        run = MonthSlots.of(page, duration_ms).run(start_ms, end_ms)
        if not run:
            continue
        first, final = run.month.slots[run.lo], run.month.slots[run.hi - 1]
        if last is not None and (first.start_ms, first.duration_ms) <= last:
            merged = MonthSlots(merge_slots(present, start_ms, end_ms, duration_ms))
            return [SlotRun(merged, 0, len(merged.slots))]
        last = (final.start_ms, final.duration_ms)
        runs.append(run)
    return runs


def without(runs: Iterable[SlotRun], keep: Callable[[Slot], bool]) -> tuple[list[SlotRun], bool]:
    """``runs`` split around the slots ``keep`` refuses, and whether it refused any."""
    kept: list[SlotRun] = []
    dropped = False
    for run in runs:
        lo, slots = run.lo, run.month.slots
        for index in range(run.lo, run.hi):
            if not keep(slots[index]):
                dropped = True
                if lo < index:
                    kept.append(SlotRun(run.month, lo, index))
                lo = index + 1
        if lo < run.hi:
            kept.append(SlotRun(run.month, lo, run.hi))
    return kept, dropped


def first_of(runs: Iterable[SlotRun], count: int) -> tuple[list[SlotRun], bool]:
    """The first ``count`` slots of ``runs``, and whether any was cut."""
    kept: list[SlotRun] = []
    for run in runs:
        if count <= 0:
            return kept, True
        if len(run) > count:
            kept.append(SlotRun(run.month, run.lo, run.lo + count))
            return kept, True
        kept.append(run)
        count -= len(run)
    return kept, False


def slots_of(runs: Iterable[SlotRun]) -> tuple[Slot, ...]:
    return tuple(chain.from_iterable(runs))


@dataclass(frozen=True, slots=True)
class AvailabilityWindow:
    """Offered slots of one link over one range, sorted by start then duration."""

    # The slots as runs of month pages' slots (whose renderings are kept beside them).
    runs: tuple[SlotRun, ...]
    durations_ms: tuple[int, ...]
    has_more: bool
    empty_reason: EmptyReason | None
    fetched_at: datetime
    stale: bool
    # A held slot was hidden: the answer must not outlive the hold.
    held: bool = False

    @property
    def slots(self) -> tuple[Slot, ...]:
        return slots_of(self.runs)


_BY_START_THEN_LENGTH = attrgetter("start_ms", "duration_ms")
_BY_START = attrgetter("start_ms")


def merge_slots(
    pages: Iterable[LinkAvailability | None],
    start_ms: int,
    end_ms: int,
    duration_ms: int | None,
) -> list[Slot]:
    """Every slot of ``pages`` that starts inside ``[start_ms, end_ms)``, deduplicated, sorted."""
    present = [page for page in pages if page is not None]
    if len(present) == 1 and _ordered(present[0]):
        return _merged_in_order(present[0], start_ms, end_ms, duration_ms)
    seen: set[tuple[int, int]] = set()
    slots: list[Slot] = []
    for page in present:
        for length, ranges in page.by_duration.items():
            if duration_ms is not None and length != duration_ms:
                continue
            for span in ranges:
                key = (span.start_ms, length)
                if start_ms <= span.start_ms < end_ms and key not in seen:
                    seen.add(key)
                    slots.append(_new_slot(Slot, (span.start_ms, span.end_ms, length)))
    slots.sort(key=_BY_START_THEN_LENGTH)
    return slots


def _ordered(page: LinkAvailability) -> bool:
    """Whether each duration's slots start strictly one after another, as HubSpot sends them
    (then none repeats within its duration)."""
    return all(
        all(one.start_ms < two.start_ms for one, two in pairwise(ranges))
        for ranges in page.by_duration.values()
    )


def _merged_in_order(
    page: LinkAvailability, start_ms: int, end_ms: int, duration_ms: int | None
) -> list[Slot]:
    """``merge_slots`` of one page whose durations are each in order: no pair to deduplicate,
    and a stable sort by start of the durations laid end to end, shortest first, is the order
    by start then duration (the sort only merges runs)."""
    slots: list[Slot] = []
    for length, ranges in sorted(page.by_duration.items()):
        if duration_ms is not None and length != duration_ms:
            continue
        starts = [span.start_ms for span in ranges]
        lo, hi = bisect_left(starts, start_ms), bisect_left(starts, end_ms)
        slots.extend(
            [_new_slot(Slot, (span.start_ms, span.end_ms, length)) for span in ranges[lo:hi]]
        )
    slots.sort(key=_BY_START)
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
