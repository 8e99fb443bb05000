"""What changed in a watched range of slots, and why: the events of live availability.

    note = Reason.BOOKED.note                   # rides on the cache invalidation it explains
    Reason.of_note(note)                        # Reason.BOOKED; None for a note not ours
    change = difference(before, after, Reason.BOOKED, slug, at)   # None when nothing moved

A change is told as a cache note (``ReadThroughCache.invalidate(..., note=...)``): one message
on the invalidation channel both drops the entries a booking made stale and says why, in every
process, so no replica re-reads before its copy of the old slots is gone. Changes are
tenant-wide: a booking or hold on one link takes time from every link sharing its members, and
re-reading a range whose pages were not dropped costs no upstream call.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gateway.meetings.availability import Slot

_NOTE_PREFIX = "slots:"


class Reason(enum.Enum):
    BOOKED = "BOOKED"
    HELD = "HELD"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    UPSTREAM_CHANGED = "UPSTREAM_CHANGED"

    @property
    def note(self) -> str:
        return _NOTE_PREFIX + self.value

    @classmethod
    def of_note(cls, note: str) -> Reason | None:
        if not note.startswith(_NOTE_PREFIX):
            return None
        try:
            return cls(note.removeprefix(_NOTE_PREFIX))
        except ValueError:
            return None  # a newer replica's reason: its change is read at the next one


@dataclass(frozen=True, slots=True)
class SlotChange:
    """Slots that left and joined a watched range, sorted by start then length."""

    slug: str
    reason: Reason
    removed: tuple[Slot, ...]
    added: tuple[Slot, ...]
    at: datetime


def slot_set(slots: Iterable[Slot]) -> frozenset[Slot]:
    return frozenset(slots)


def _ordered(slots: Iterable[Slot]) -> tuple[Slot, ...]:
    return tuple(sorted(slots, key=lambda slot: (slot.start_ms, slot.end_ms)))


def difference(
    before: frozenset[Slot], after: frozenset[Slot], reason: Reason, slug: str, at: datetime
) -> SlotChange | None:
    if before == after:
        return None
    return SlotChange(slug, reason, _ordered(before - after), _ordered(after - before), at)
