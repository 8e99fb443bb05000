"""Slot lists rendered and serialized once per month page, zone and selection.

An availability answer is mostly its slots, and every slot costs the same each time it is
answered: an instant rendered in the client's zone, three fields resolved, the JSON written.
Each month's slots (``MonthSlots``, kept with the cached page) keep their JSON here, one
piece per slot, for the zone and the sub-fields asked; a request joins the pieces of its runs
and hands the bytes to the encoder as an ``orjson.Fragment``. Only what the execution context
recognizes as the plain slot shape (``start``, ``end``, ``durationMinutes``, in any order, no
alias, argument, directive or ``__typename``) takes this path; anything else is executed.
A piece is what graphql-core's execution would serialize for the slot (a test compares the
bytes), and it is kept inside the page's cache entry, which carries the tenant in its key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain

import orjson

from gateway.meetings.availability import MonthSlots, Slot, SlotRun
from gateway.meetings.timeline import from_ms
from gateway.meetings.zones import zone

# The sub-fields of ``Slot``.
SLOT_FIELDS = ("start", "end", "durationMinutes")


def renderer(time_zone: str) -> Callable[[int], str]:
    """Epoch ms -> RFC 3339 in ``time_zone``, remembering instants already rendered: slots of
    different durations share their starts, and one slot's end is often the next one's start."""
    tz = zone(time_zone)
    rendered: dict[int, str] = {}

    def render(ms: int) -> str:
        text = rendered.get(ms)
        if text is None:
            text = rendered[ms] = from_ms(ms, tz).isoformat()
        return text

    return render


def plain_slot_selection(names: Iterable[str]) -> bool:
    chosen = list(names)
    return bool(chosen) and len(set(chosen)) == len(chosen) and set(chosen) <= set(SLOT_FIELDS)


# Each sub-field as orjson writes it: keys and RFC 3339 instants need no escaping, and an int
# is its decimal digits (the tests compare the bytes with graphql-core's execution).
_WRITTEN = {"start": '"start":"%s"', "end": '"end":"%s"', "durationMinutes": '"durationMinutes":%d'}


def _pieces(slots: Iterable[Slot], time_zone: str, names: tuple[str, ...]) -> list[bytes]:
    render = renderer(time_zone)
    template = "{" + ",".join(_WRITTEN[name] for name in names) + "}"
    values: dict[str, Callable[[Slot], str | int]] = {
        "start": lambda slot: render(slot.start_ms),
        "end": lambda slot: render(slot.end_ms),
        "durationMinutes": lambda slot: slot.duration_ms // 60_000,
    }
    chosen = [values[name] for name in names]
    return [(template % tuple(value(slot) for value in chosen)).encode() for slot in slots]


def month_pieces(month: MonthSlots, time_zone: str, names: tuple[str, ...]) -> list[bytes]:
    """One JSON object per slot of ``month``, made once while the month is kept."""
    return month.kept(
        ("graphql-slots", time_zone, names), lambda: _pieces(month.slots, time_zone, names)
    )


def slot_list(runs: Iterable[SlotRun], time_zone: str, names: tuple[str, ...]) -> orjson.Fragment:
    """The JSON list of ``runs``' slots with the sub-fields ``names``, in that order."""
    joined = b",".join(
        chain.from_iterable(
            month_pieces(run.month, time_zone, names)[run.lo : run.hi] for run in runs
        )
    )
    return orjson.Fragment(b"[" + joined + b"]")
