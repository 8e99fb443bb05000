from __future__ import annotations

from datetime import UTC, datetime

from gateway.hubspot.models import LinkAvailability, TimeRange
from gateway.meetings.availability import Slot, merge_slots

HOUR = 3_600_000
T0 = int(datetime(2026, 3, 3, 14, tzinfo=UTC).timestamp() * 1000)


def page(durations: dict[int, list[int]]) -> LinkAvailability:
    return LinkAvailability(
        has_more=False,
        by_duration={
            length: tuple(TimeRange(start, start + length) for start in starts)
            for length, starts in durations.items()
        },
    )


def test_pages_merge_sorted_by_start_then_duration_without_duplicates() -> None:
    first = page({HOUR: [T0 + HOUR, T0], HOUR // 2: [T0]})
    second = page({HOUR: [T0 + HOUR, T0 + 2 * HOUR]})
    slots = merge_slots([first, second, None], T0, T0 + 10 * HOUR, None)
    assert slots == [
        Slot(T0, T0 + HOUR // 2, HOUR // 2),
        Slot(T0, T0 + HOUR, HOUR),
        Slot(T0 + HOUR, T0 + 2 * HOUR, HOUR),
        Slot(T0 + 2 * HOUR, T0 + 3 * HOUR, HOUR),
    ]


def test_the_range_keeps_slots_starting_inside_it_and_the_duration_filter_applies() -> None:
    availability = page({HOUR: [T0 - HOUR, T0, T0 + HOUR], HOUR // 2: [T0]})
    assert merge_slots([availability], T0, T0 + HOUR, HOUR) == [Slot(T0, T0 + HOUR, HOUR)]
