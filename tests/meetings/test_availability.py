from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.hubspot.models import LinkAvailability, TimeRange
from gateway.meetings.availability import (
    MAX_KEPT,
    MonthSlots,
    Slot,
    first_of,
    merge_slots,
    slots_of,
    window_runs,
    without,
)

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


LENGTHS = st.sampled_from([HOUR // 4, HOUR // 2, HOUR])


@st.composite
def months(draw: st.DrawFn) -> list[LinkAvailability | None]:
    """Month pages, following each other or (rarely, never from HubSpot) interleaving."""
    pages: list[LinkAvailability | None] = []
    for index in range(draw(st.integers(0, 3))):
        if draw(st.booleans()) and draw(st.booleans()):
            pages.append(None)
            continue
        base = T0 + index * 40 * HOUR - draw(st.sampled_from([0, 0, 0, 50 * HOUR]))
        offsets = st.lists(st.integers(0, 39), max_size=12)
        drawn = draw(st.dictionaries(LENGTHS, offsets, max_size=3))
        pages.append(page({n: [base + k * HOUR // 4 for k in ks] for n, ks in drawn.items()}))
    return pages


BOUNDS = st.integers(-50, 170).map(lambda n: T0 + n * HOUR)


@given(
    pages=months(),
    start=BOUNDS,
    end=BOUNDS,
    duration=st.one_of(st.none(), LENGTHS),
    hidden=st.sets(st.integers(0, 60), max_size=5),
    first=st.one_of(st.none(), st.integers(0, 30)),
)
def test_runs_of_sorted_months_hold_what_merging_answers(
    pages: list[LinkAvailability | None],
    start: int,
    end: int,
    duration: int | None,
    hidden: set[int],
    first: int | None,
) -> None:
    merged = merge_slots(pages, start, end, duration)
    runs = window_runs(pages, start, end, duration)
    assert slots_of(runs) == tuple(merged)
    refused = {merged[i] for i in hidden if i < len(merged)}
    kept, dropped = without(runs, lambda slot: slot not in refused)
    assert slots_of(kept) == tuple(s for s in merged if s not in refused)
    assert dropped == bool(refused)
    assert all(len(run) > 0 for run in kept)
    if first is not None:
        cut, more = first_of(kept, first)
        assert slots_of(cut) == slots_of(kept)[:first]
        assert more == (len(slots_of(kept)) > first)


def test_a_month_is_sorted_once_per_page_and_duration() -> None:
    month = page({HOUR: [T0 + HOUR, T0]})
    assert MonthSlots.of(month, None) is MonthSlots.of(month, None)
    assert MonthSlots.of(month, HOUR) is not MonthSlots.of(month, None)
    # A duration the page does not offer is kept nowhere (a client may ask any).
    assert MonthSlots.of(month, 7 * HOUR).slots == ()
    assert set(month.derived) == {("month-slots", None), ("month-slots", HOUR)}


def test_what_is_kept_beside_a_month_is_bounded() -> None:
    month = MonthSlots([Slot(T0, T0 + HOUR, HOUR)])
    for key in range(MAX_KEPT + 1):
        assert month.kept(key, lambda key=key: key * 10) == key * 10  # type: ignore[misc]
    assert month.kept(MAX_KEPT, lambda: -1) == MAX_KEPT * 10
    assert month.kept(1, lambda: -1) == 10
    assert month.kept(0, lambda: -1) == -1  # the oldest went first


@given(
    drawn=st.dictionaries(LENGTHS, st.lists(st.integers(0, 39), max_size=12), max_size=3),
    ordered=st.booleans(),
    start=BOUNDS,
    end=BOUNDS,
    duration=st.one_of(st.none(), LENGTHS),
)
def test_one_page_merges_as_sorting_its_unique_slots_would_in_order_or_not(
    drawn: dict[int, list[int]], ordered: bool, start: int, end: int, duration: int | None
) -> None:
    # HubSpot sends each duration's slots in order (then they are merged, not sorted); any
    # other page still comes out sorted and deduplicated.
    starts = {n: sorted(set(ks)) if ordered else ks for n, ks in drawn.items()}
    one = page({n: [T0 + k * HOUR // 4 for k in ks] for n, ks in starts.items()})
    expected = sorted(
        {
            Slot(span.start_ms, span.end_ms, length)
            for length, spans in one.by_duration.items()
            if duration in (None, length)
            for span in spans
            if start <= span.start_ms < end
        },
        key=lambda slot: (slot.start_ms, slot.duration_ms),
    )
    assert merge_slots([one], start, end, duration) == expected
