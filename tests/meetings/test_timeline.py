from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway.meetings.timeline import from_ms, month_index, month_offsets, to_ms

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)


def test_a_range_inside_one_month_needs_one_page() -> None:
    assert month_offsets(NOW, NOW, NOW + timedelta(days=7)) == range(1)


def test_a_range_across_months_needs_each_page() -> None:
    start = datetime(2026, 3, 27, tzinfo=UTC)
    assert month_offsets(NOW, start, datetime(2026, 5, 2, tzinfo=UTC)) == range(3)


def test_an_end_at_midnight_of_the_first_does_not_ask_for_that_month() -> None:
    assert month_offsets(NOW, NOW, datetime(2026, 4, 1, tzinfo=UTC)) == range(1)


def test_past_months_are_never_asked_for() -> None:
    start = datetime(2025, 12, 1, tzinfo=UTC)
    assert month_offsets(NOW, start, datetime(2026, 4, 15, tzinfo=UTC)) == range(2)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=1, max_value=200 * 24 * 60),
)
def test_every_instant_of_a_range_falls_in_one_of_its_pages(start: datetime, minutes: int) -> None:
    end = start + timedelta(minutes=minutes)
    pages = month_offsets(start, start, end)
    for instant in (start, end - timedelta(microseconds=1), start + (end - start) / 2):
        assert month_index(instant) - month_index(start) in pages


def test_milliseconds_round_trip() -> None:
    assert from_ms(to_ms(NOW)) == NOW
