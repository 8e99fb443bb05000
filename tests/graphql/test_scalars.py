from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.graphql.scalars import parse_date_time, parse_time_zone, serialize_date_time


@pytest.mark.parametrize("name", ["America/New_York", "Asia/Kolkata", "UTC", "Australia/Lord_Howe"])
def test_iana_names_pass(name: str) -> None:
    assert parse_time_zone(name) == name


@pytest.mark.parametrize(
    "name", ["EST", "+05:00", "US/Eastern", "Etc/GMT+5", "garbage", "", "america/new_york", 5]
)
def test_everything_else_is_refused(name: object) -> None:
    with pytest.raises(ValueError, match="IANA"):
        parse_time_zone(name)


@pytest.mark.parametrize(
    "value", ["2026-03-02T09:00:00", "2026-03-02", "tomorrow", "2026-13-02T09:00:00Z", 12]
)
def test_date_times_need_an_offset_and_a_time(value: object) -> None:
    with pytest.raises(ValueError, match=r"offset|RFC 3339"):
        parse_date_time(value)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=45))]),
    )
)
def test_date_times_round_trip(instant: datetime) -> None:
    assert parse_date_time(serialize_date_time(instant)) == instant


def test_naive_date_times_are_never_rendered() -> None:
    with pytest.raises(TypeError):
        serialize_date_time(datetime(2026, 3, 2, 9))
