from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sandbox.engine import (
    GROUP_CALENDAR,
    MINUTE_MS,
    PERSONAL_LINK,
    ROUND_ROBIN_CALENDAR,
    WEEK_MS,
    Calendar,
    Rules,
    bookable_range,
    from_ms,
    hosts,
    month_page,
    month_range,
    offered_starts,
    to_ms,
    wall_to_instants,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
KOLKATA = ZoneInfo("Asia/Kolkata")
WEEKDAYS = dict.fromkeys(range(5), (9 * 60, 17 * 60))
ALL_WEEK = dict.fromkeys(range(7), (0, 24 * 60))


def ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text))


def local(instant: int, zone: ZoneInfo) -> str:
    return from_ms(instant, zone).isoformat()


BASE_RULES = Rules(
    link_type=PERSONAL_LINK,
    durations_ms=(30 * MINUTE_MS,),
    increment_minutes=15,
    weeks_to_advertise=4,
)


def rules(**changes: Any) -> Rules:
    return replace(BASE_RULES, **changes)


def day_starts(
    rule: Rules, calendars: list[Calendar], day: str, zone: ZoneInfo, duration_minutes: int = 30
) -> list[str]:
    """Offered starts on one local day of ``zone``, as local ISO strings."""
    first = date.fromisoformat(day)
    start = to_ms(datetime.combine(first, time(), zone))
    end = to_ms(datetime.combine(first + timedelta(days=1), time(), zone))
    offered = offered_starts(rule, calendars, duration_minutes * MINUTE_MS, start, end)
    return [local(instant, zone) for instant in offered]


def test_starts_step_by_the_increment_from_opening_time() -> None:
    calendar = Calendar("1", NEW_YORK, WEEKDAYS)
    starts = day_starts(rules(), [calendar], "2026-12-01", NEW_YORK)
    assert starts[:3] == [
        "2026-12-01T09:00:00-05:00",
        "2026-12-01T09:15:00-05:00",
        "2026-12-01T09:30:00-05:00",
    ]
    assert starts[-1] == "2026-12-01T16:30:00-05:00"
    assert len(starts) == 31


def test_meeting_duration_increment_steps_by_each_duration() -> None:
    calendar = Calendar("1", NEW_YORK, WEEKDAYS)
    rule = rules(increment_minutes=None, durations_ms=(60 * MINUTE_MS,))
    starts = day_starts(rule, [calendar], "2026-12-01", NEW_YORK, 60)
    assert [start[11:16] for start in starts] == [f"{hour:02d}:00" for hour in range(9, 17)]


def test_alignment_counts_from_the_opening_time_not_midnight() -> None:
    calendar = Calendar("1", BERLIN, {1: (8 * 60 + 30, 12 * 60)})
    starts = day_starts(rules(increment_minutes=45), [calendar], "2026-12-01", BERLIN)
    assert [start[11:16] for start in starts] == ["08:30", "09:15", "10:00", "10:45", "11:30"]


def test_busy_time_is_widened_by_the_buffer_on_both_sides() -> None:
    busy = [(ms("2026-12-01T10:00:00-05:00"), ms("2026-12-01T11:00:00-05:00"))]
    calendar = Calendar("1", NEW_YORK, {1: (9 * 60, 13 * 60)}, busy)
    starts = day_starts(rules(buffer_ms=15 * MINUTE_MS), [calendar], "2026-12-01", NEW_YORK)
    assert [start[11:16] for start in starts] == [
        "09:00",
        "09:15",
        "11:15",
        "11:30",
        "11:45",
        "12:00",
        "12:15",
        "12:30",
    ]


def test_minimum_notice_and_the_advertised_window_bound_the_starts() -> None:
    calendar = Calendar("1", NEW_YORK, WEEKDAYS)
    now = ms("2026-12-01T09:07:00-05:00")
    rule = rules(minimum_notice_ms=60 * MINUTE_MS, weeks_to_advertise=1)
    low, high = bookable_range(rule, now)
    assert (low, high) == (now + 60 * MINUTE_MS, now + WEEK_MS)
    starts = offered_starts(rule, [calendar], 30 * MINUTE_MS, low, high)
    assert local(starts[0], NEW_YORK) == "2026-12-01T10:15:00-05:00"
    assert local(starts[-1], NEW_YORK) == "2026-12-08T09:00:00-05:00"


def test_custom_availability_dates_clip_the_window() -> None:
    now = ms("2026-11-24T08:00:00-05:00")
    rule = rules(
        weeks_to_advertise=12,
        custom_start_ms=ms("2026-12-01T00:00:00-05:00"),
        custom_end_ms=ms("2026-12-03T12:00:00-05:00"),
    )
    assert bookable_range(rule, now) == (rule.custom_start_ms, rule.custom_end_ms)
    page = month_page(rule, [Calendar("1", NEW_YORK, WEEKDAYS)], NEW_YORK, now, 1)
    starts = page.starts_by_duration[30 * MINUTE_MS]
    assert local(starts[0], NEW_YORK) == "2026-12-01T09:00:00-05:00"
    assert local(starts[-1], NEW_YORK) == "2026-12-03T11:45:00-05:00"
    assert not page.has_more


def test_group_links_offer_only_times_every_member_is_free() -> None:
    new_york = Calendar("ny", NEW_YORK, WEEKDAYS)
    berlin = Calendar("de", BERLIN, dict.fromkeys(range(5), (8 * 60 + 30, 16 * 60 + 30)))
    rule = rules(link_type=GROUP_CALENDAR, increment_minutes=30)
    starts = day_starts(rule, [new_york, berlin], "2026-12-01", ZoneInfo("UTC"))
    # 09:00 in New York is 14:00 UTC; 16:30 in Berlin is 15:30 UTC.
    assert starts == [
        "2026-12-01T14:00:00+00:00",
        "2026-12-01T14:30:00+00:00",
        "2026-12-01T15:00:00+00:00",
    ]
    start = ms("2026-12-01T14:00:00Z")
    assert hosts(rule, [new_york, berlin], start - WEEK_MS, start, 30 * MINUTE_MS) == ["ny", "de"]
    assert hosts(rule, [new_york, berlin], start - WEEK_MS, start, 60 * MINUTE_MS) == []


def test_round_robin_offers_a_time_while_any_member_is_free() -> None:
    start = ms("2026-12-01T10:00:00-05:00")
    busy = [(start, start + 60 * MINUTE_MS)]
    first = Calendar("a", NEW_YORK, WEEKDAYS, busy)
    second = Calendar("b", NEW_YORK, WEEKDAYS)
    rule = rules(link_type=ROUND_ROBIN_CALENDAR)
    now = start - WEEK_MS
    assert hosts(rule, [first, second], now, start, 30 * MINUTE_MS) == ["b"]
    assert hosts(rule, [first, second], now, start + 60 * MINUTE_MS, 30 * MINUTE_MS) == ["a", "b"]
    assert hosts(rule, [first], now, start, 30 * MINUTE_MS) == []
    assert hosts(rule, [first, second], now, start + 5 * MINUTE_MS, 30 * MINUTE_MS) == []
    assert "2026-12-01T10:00:00-05:00" in day_starts(rule, [first, second], "2026-12-01", NEW_YORK)


def test_spring_forward_skips_the_missing_hour_in_new_york() -> None:
    calendar = Calendar("1", NEW_YORK, ALL_WEEK)
    starts = day_starts(rules(increment_minutes=30), [calendar], "2026-03-08", NEW_YORK)
    assert "2026-03-08T01:30:00-05:00" in starts
    assert "2026-03-08T03:00:00-04:00" in starts
    assert not any(start[11:13] == "02" for start in starts)
    assert len(starts) == 46


def test_fall_back_offers_the_repeated_hour_twice_as_distinct_instants() -> None:
    calendar = Calendar("1", NEW_YORK, ALL_WEEK)
    rule = rules(increment_minutes=30)
    starts = day_starts(rule, [calendar], "2026-11-01", NEW_YORK)
    assert starts.count("2026-11-01T01:00:00-04:00") == 1
    assert starts.count("2026-11-01T01:00:00-05:00") == 1
    assert len(starts) == len(set(starts)) == 50


def test_steps_that_do_not_divide_the_shift_follow_the_wall_clock() -> None:
    new_york = Calendar("1", NEW_YORK, ALL_WEEK)
    starts = day_starts(rules(increment_minutes=45), [new_york], "2026-03-08", NEW_YORK)
    assert [start[11:16] for start in starts[:5]] == ["00:00", "00:45", "01:30", "03:00", "03:45"]
    lord_howe = Calendar("1", LORD_HOWE, ALL_WEEK)
    starts = day_starts(rules(increment_minutes=60), [lord_howe], "2026-10-04", LORD_HOWE)
    assert starts[:3] == [
        "2026-10-04T00:00:00+10:30",
        "2026-10-04T01:00:00+10:30",
        "2026-10-04T03:00:00+11:00",
    ]


def test_lord_howe_half_hour_shifts() -> None:
    calendar = Calendar("1", LORD_HOWE, ALL_WEEK)
    rule = rules(increment_minutes=15, durations_ms=(15 * MINUTE_MS,))
    october = day_starts(rule, [calendar], "2026-10-04", LORD_HOWE, 15)
    assert "2026-10-04T01:45:00+10:30" in october
    assert "2026-10-04T02:30:00+11:00" in october
    assert not any(start[11:16] in ("02:00", "02:15") for start in october)
    april = day_starts(rule, [calendar], "2026-04-05", LORD_HOWE, 15)
    assert "2026-04-05T01:30:00+11:00" in april
    assert "2026-04-05T01:30:00+10:30" in april
    assert len(april) == len(set(april)) == 96 + 2


def test_kathmandu_quarter_hour_offset() -> None:
    calendar = Calendar("1", KATHMANDU, {1: (10 * 60, 17 * 60)})
    starts = day_starts(rules(), [calendar], "2026-12-01", ZoneInfo("UTC"))
    assert starts[0] == "2026-12-01T04:15:00+00:00"
    assert starts[-1] == "2026-12-01T10:45:00+00:00"


def test_wall_to_instants_in_gaps_and_folds() -> None:
    assert wall_to_instants(NEW_YORK, date(2026, 3, 8), 150) == []
    assert wall_to_instants(NEW_YORK, date(2026, 11, 1), 90) == [
        ms("2026-11-01T01:30:00-04:00"),
        ms("2026-11-01T01:30:00-05:00"),
    ]
    assert wall_to_instants(KATHMANDU, date(2026, 11, 1), 90) == [ms("2026-11-01T01:30:00+05:45")]


def test_month_range_follows_the_requested_zone() -> None:
    # 02:00 UTC on 1 December is still November in New York, already December in Kolkata.
    now = ms("2026-12-01T02:00:00Z")
    assert month_range(NEW_YORK, now, 0) == (
        ms("2026-11-01T00:00:00-04:00"),
        ms("2026-12-01T00:00:00-05:00"),
    )
    assert month_range(KOLKATA, now, 0) == (
        ms("2026-12-01T00:00:00+05:30"),
        ms("2027-01-01T00:00:00+05:30"),
    )
    assert month_range(NEW_YORK, now, 2) == (
        ms("2027-01-01T00:00:00-05:00"),
        ms("2027-02-01T00:00:00-05:00"),
    )
    assert month_range(NEW_YORK, now, 12 * 8000) is None


def test_has_more_reports_availability_on_later_pages_only() -> None:
    calendar = Calendar("1", NEW_YORK, WEEKDAYS)
    now = ms("2026-11-24T08:00:00-05:00")
    assert month_page(rules(weeks_to_advertise=2), [calendar], NEW_YORK, now, 0).has_more
    assert not month_page(rules(weeks_to_advertise=2), [calendar], NEW_YORK, now, 1).has_more
    december = (ms("2026-12-01T00:00:00-05:00"), ms("2027-01-01T00:00:00-05:00"))
    blocked = Calendar("1", NEW_YORK, WEEKDAYS, [december])
    page = month_page(rules(weeks_to_advertise=2), [blocked], NEW_YORK, now, 0)
    assert page.starts_by_duration[30 * MINUTE_MS]
    assert not page.has_more


def test_far_month_offsets_are_empty() -> None:
    calendar = Calendar("1", NEW_YORK, WEEKDAYS)
    page = month_page(rules(), [calendar], NEW_YORK, ms("2026-11-24T08:00:00-05:00"), 2**31 - 1)
    assert page.starts_by_duration == {30 * MINUTE_MS: []}
    assert not page.has_more


# Property tests: the engine against a brute-force reading of the rules, near DST transitions.

ZONES = {
    "America/New_York": ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"],
    "Europe/Berlin": ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"],
    "Australia/Lord_Howe": ["2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"],
    "Asia/Kathmandu": ["2026-06-01T00:00:00Z"],
}


@st.composite
def calendars(draw: st.DrawFn, user_id: str = "1") -> Calendar:
    zone = draw(st.sampled_from(sorted(ZONES)))
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    hours: dict[int, tuple[int, int]] = {}
    for day in sorted(days):
        # Early openings are drawn often, so transitions at night fall inside working hours.
        opening = draw(st.one_of(st.integers(0, 10), st.integers(0, 88))) * 15
        closing = draw(st.integers(opening // 15 + 2, 96)) * 15
        hours[day] = (opening, closing)
    transition = ms(draw(st.sampled_from(ZONES[zone])))
    busy = [
        (start, start + draw(st.integers(1, 16)) * 15 * MINUTE_MS)
        for start in (
            transition + draw(st.integers(-20 * 96, 20 * 96)) * 15 * MINUTE_MS
            for _ in range(draw(st.integers(0, 6)))
        )
    ]
    return Calendar(user_id, ZoneInfo(zone), hours, busy)


@st.composite
def link_rules(draw: st.DrawFn, link_type: str = PERSONAL_LINK) -> Rules:
    durations = draw(st.sets(st.sampled_from([15, 30, 60]), min_size=1))
    return Rules(
        link_type=link_type,
        durations_ms=tuple(sorted(minutes * MINUTE_MS for minutes in durations)),
        increment_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90, 120, None])),
        buffer_ms=draw(st.sampled_from([0, 5, 10, 15, 30])) * MINUTE_MS,
        minimum_notice_ms=draw(st.integers(0, 48)) * 30 * MINUTE_MS,
        weeks_to_advertise=draw(st.integers(1, 2)),
    )


@st.composite
def moments(draw: st.DrawFn, calendar: Calendar) -> int:
    """A now within two weeks before to a few days after one of the zone's transitions."""
    transition = ms(draw(st.sampled_from(ZONES[calendar.zone.key])))
    return transition + draw(st.integers(-14 * 24 * 60, 3 * 24 * 60)) * MINUTE_MS


def reference_starts(rule: Rules, calendar: Calendar, duration: int, now: int) -> list[int]:
    """Every 5-minute UTC instant in the window, kept when the rules as written allow it."""
    low, high = bookable_range(rule, now)
    step = rule.increment_minutes or duration // MINUTE_MS
    grid = 5 * MINUTE_MS
    kept = []
    for instant in range(-(-low // grid) * grid, high, grid):
        if fits(calendar, instant, duration, step) and clear(rule, calendar, instant, duration):
            kept.append(instant)
    return kept


def fits(calendar: Calendar, instant: int, duration: int, step: int | None) -> bool:
    """Inside that local day's working hours, and, as a candidate start, aligned to ``step``
    from opening time at a wall minute before closing (in a repeated hour, either reading)."""
    wall = from_ms(instant, calendar.zone)
    hours = calendar.hours.get(wall.weekday())
    if hours is None:
        return False
    opening, closing = hours
    midnight = datetime.combine(wall.date(), time())
    opens = to_ms((midnight + timedelta(minutes=opening)).replace(tzinfo=calendar.zone, fold=0))
    closes = to_ms((midnight + timedelta(minutes=closing)).replace(tzinfo=calendar.zone, fold=1))
    if not opens <= instant or instant + duration > closes:
        return False
    if step is None:  # only inside the hours, as elapsed time (another member's freedom)
        return True
    minute = wall.hour * 60 + wall.minute
    return opening <= minute < closing and (minute - opening) % step == 0


def clear(rule: Rules, calendar: Calendar, instant: int, duration: int) -> bool:
    buffer = rule.buffer_ms
    return all(
        instant + duration <= start - buffer or instant >= end + buffer
        for start, end in calendar.busy
    )


def assert_real_wall_time(instant: int, zone: ZoneInfo) -> None:
    wall = from_ms(instant, zone)
    naive = wall.replace(tzinfo=None)
    assert to_ms(naive.replace(tzinfo=zone, fold=wall.fold)) == instant
    assert from_ms(instant, zone).utcoffset() == zone.utcoffset(naive.replace(fold=wall.fold))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_personal_slots_obey_every_rule_near_dst(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    rule = data.draw(link_rules())
    now = data.draw(moments(calendar))
    low, high = bookable_range(rule, now)
    for duration in rule.durations_ms:
        starts = offered_starts(rule, [calendar], duration, low, high)
        assert starts == sorted(set(starts))
        for start in starts:
            assert low <= start < high
            assert fits(calendar, start, duration, rule.increment_minutes or duration // MINUTE_MS)
            assert clear(rule, calendar, start, duration)
            assert_real_wall_time(start, calendar.zone)
        assert starts == reference_starts(rule, calendar, duration, now)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_month_pages_partition_the_window(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    rule = data.draw(link_rules())
    now = data.draw(moments(calendar))
    zone = ZoneInfo(data.draw(st.sampled_from(sorted(ZONES))))
    low, high = bookable_range(rule, now)
    pages = [month_page(rule, [calendar], zone, now, offset) for offset in range(3)]
    for duration in rule.durations_ms:
        joined = [start for page in pages for start in page.starts_by_duration[duration]]
        assert joined == offered_starts(rule, [calendar], duration, low, high)
        for page in pages:
            assert all(page.start_ms <= s < page.end_ms for s in page.starts_by_duration[duration])
    for offset, page in enumerate(pages[:-1]):
        later = any(p.starts_by_duration[d] for p in pages[offset + 1 :] for d in rule.durations_ms)
        assert page.has_more == later


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_team_links_combine_their_members(data: st.DataObject) -> None:
    members = [data.draw(calendars(str(number))) for number in range(data.draw(st.integers(2, 3)))]
    rule = data.draw(link_rules(ROUND_ROBIN_CALENDAR))
    now = data.draw(moments(members[0]))
    low, high = bookable_range(rule, now)
    duration = rule.durations_ms[0]
    personal = replace(rule, link_type=PERSONAL_LINK)
    alone = {
        member.user_id: set(offered_starts(personal, [member], duration, low, high))
        for member in members
    }
    round_robin = offered_starts(rule, members, duration, low, high)
    assert round_robin == sorted(set().union(*alone.values()))
    for start in round_robin[:20]:
        assert hosts(rule, members, now, start, duration) == [
            member.user_id for member in members if start in alone[member.user_id]
        ]
    group_rule = replace(rule, link_type=GROUP_CALENDAR)
    group = offered_starts(group_rule, members, duration, low, high)
    expected = [
        start
        for start in sorted(alone[members[0].user_id])
        if all(
            fits(other, start, duration, None) and clear(rule, other, start, duration)
            for other in members[1:]
        )
    ]
    assert group == expected


def test_now_helpers_round_trip() -> None:
    instant = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert from_ms(to_ms(instant)) == instant
