"""Slot lists rendered and serialized once per month page, zone and selection.

An availability answer is mostly its slots, and every slot costs the same each time it is
answered: an instant rendered in the client's zone, three fields resolved, the JSON written.
Each month's slots (``MonthSlots``, kept with the cached page) keep their JSON here, one text of
every slot's object with where each ends, for the zone and the sub-fields asked; a request
slices its runs out of it and hands the bytes to the encoder as an ``orjson.Fragment``. Only
what the execution context recognizes as the plain slot shape (``start``, ``end``,
``durationMinutes``, in any order, no alias, argument, directive or ``__typename``) takes this
path; anything else is executed. A slot's object is what graphql-core's execution would
serialize for the slot (a test compares the bytes), and it is kept inside the page's cache
entry, which carries the tenant in its key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

import orjson

from gateway.meetings.availability import MonthSlots, Slot, SlotRun
from gateway.meetings.timeline import from_ms
from gateway.meetings.zones import zone

ZERO = timedelta(0)

# The sub-fields of ``Slot``.
SLOT_FIELDS = ("start", "end", "durationMinutes")


# Instants are rendered by arithmetic inside spans of this length whose two ends have the same
# UTC offset: no zone changes its offset twice within six hours.
SPAN_MS = 6 * 3_600_000
DAY_MS = 86_400_000
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def renderer(time_zone: str) -> Callable[[int], str]:
    """Epoch ms -> RFC 3339 in ``time_zone`` (what ``datetime.isoformat`` writes), remembering
    instants already rendered: slots of different durations share their starts, and one slot's
    end is often the next one's start. Whole seconds in a span of one whole-minute offset are
    written from the offset, the rest by ``datetime``."""
    tz = zone(time_zone)
    rendered: dict[int, str] = {}
    offsets: dict[int, int | None] = {}  # span -> its one offset in ms, or None
    suffixes: dict[int, str] = {}
    dates: dict[int, str] = {}

    def offset_of(span: int) -> int | None:
        if span not in offsets:
            first = from_ms(span * SPAN_MS, tz).utcoffset()
            last = from_ms((span + 1) * SPAN_MS - 1, tz).utcoffset()
            whole = first is not None and first == last and first % timedelta(minutes=1) == ZERO
            offsets[span] = (
                first // timedelta(milliseconds=1) if whole and first is not None else None
            )
        return offsets[span]

    clocks: dict[int, str] = {}  # seconds into a day -> "HH:MM:SS"

    def written(ms: int) -> str:
        offset = offset_of(ms // SPAN_MS) if ms % 1000 == 0 else None
        if offset is None:
            return from_ms(ms, tz).isoformat()
        local = ms + offset
        day, clock = divmod(local, DAY_MS)
        text = dates.get(day)
        if text is None:
            text = dates[day] = date.fromordinal(_EPOCH_DAY + day).isoformat()
        suffix = suffixes.get(offset)
        if suffix is None:
            sign, minutes = ("-", -offset // 60_000) if offset < 0 else ("+", offset // 60_000)
            suffix = suffixes[offset] = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        seconds = clock // 1000
        time_of_day = clocks.get(seconds)
        if time_of_day is None:
            time_of_day = clocks[seconds] = (
                f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            )
        return f"{text}T{time_of_day}{suffix}"

    def render(ms: int) -> str:
        text = rendered.get(ms)
        if text is None:
            text = rendered[ms] = written(ms)
        return text

    return render


def plain_slot_selection(names: Iterable[str]) -> bool:
    chosen = list(names)
    return bool(chosen) and len(set(chosen)) == len(chosen) and set(chosen) <= set(SLOT_FIELDS)


# Each sub-field as orjson writes it (``str.format`` fields: the start, the end, the minutes):
# keys and RFC 3339 instants need no escaping, and an int is its decimal digits (the tests
# compare the bytes with graphql-core's execution).
_WRITTEN = {
    "start": '"start":"{0}"',
    "end": '"end":"{1}"',
    "durationMinutes": '"durationMinutes":{2}',
}


def _pieces(slots: Iterable[Slot], time_zone: str, names: tuple[str, ...]) -> list[str]:
    """Each slot's object (ASCII: as many bytes as characters)."""
    render = renderer(time_zone)
    write = ("{{" + ",".join(_WRITTEN[name] for name in names) + "}}").format
    return [
        write(render(slot.start_ms), render(slot.end_ms), slot.duration_ms // 60_000)
        for slot in slots
    ]


@dataclass(frozen=True, slots=True)
class RenderedMonth:
    """A month's slot objects as one JSON text, ``,`` between them, and where each ends: a run
    of them is one slice of the text, not a join of its pieces."""

    text: bytes
    ends: tuple[int, ...]  # ends[i]: where slot i's object ends in ``text``

    @classmethod
    def of(cls, pieces: list[str]) -> RenderedMonth:
        """``pieces``: the slots' objects, in ASCII."""
        text = ",".join(pieces).encode("ascii")
        return cls(text, tuple(accumulate(len(piece) + 1 for piece in pieces)))

    def __len__(self) -> int:
        return len(self.ends)

    def run(self, lo: int, hi: int) -> bytes:
        """Slots ``lo`` to ``hi`` (exclusive), ``,`` between them."""
        start = self.ends[lo - 1] if lo > 0 else 0
        return self.text[start : self.ends[hi - 1] - 1]


def month_rendering(month: MonthSlots, time_zone: str, names: tuple[str, ...]) -> RenderedMonth:
    """``month``'s slots as JSON, made once while the month is kept."""
    return month.kept(
        ("graphql-slots", time_zone, names),
        lambda: RenderedMonth.of(_pieces(month.slots, time_zone, names)),
    )


def slot_list(runs: Iterable[SlotRun], time_zone: str, names: tuple[str, ...]) -> orjson.Fragment:
    """The JSON list of ``runs``' slots with the sub-fields ``names``, in that order."""
    parts = [
        month_rendering(run.month, time_zone, names).run(run.lo, run.hi)
        for run in runs
        if run.hi > run.lo
    ]
    return orjson.Fragment(b"".join([b"[", b",".join(parts), b"]"]))
