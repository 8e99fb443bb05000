"""Availability arithmetic: which meeting starts a link offers. Pure functions, no I/O.

Every instant is an integer of epoch milliseconds (UTC), as HubSpot's wire format is. Wall-clock
times exist only inside a member's own zone, where working hours are defined.

The rules, for one offered duration ``d``:

* Step: the link's start increment in minutes, or ``d`` itself for ``MEETING_DURATION``.
* Candidates: on each local day of a member, the working-hours opening time plus whole multiples
  of the step, in wall-clock minutes before the closing minute (hours 08:30-17:00 with a
  45-minute step give 08:30, 09:15, ...). A wall time that does not exist (the spring-forward
  gap) is skipped; one that occurs twice (the fall-back hour) yields both instants.
* A candidate ``s`` is offered by a member when ``[s, s + d)`` lies inside that day's working
  hours as elapsed time, and does not overlap any busy time widened by the link's buffer on both
  sides. Working hours never join across midnight, so no slot crosses a local midnight.
* The link offers ``s`` when ``now + minimum notice <= s < now + weeksToAdvertise weeks``
  (both clipped by the custom availability dates when set) and, by link type:
  PERSONAL_LINK - the organizer offers it; ROUND_ROBIN_CALENDAR - any member offers it (each
  member with their own alignment); GROUP_CALENDAR - the organizer (the first calendar) offers it
  and every other member is free for ``[s, s + d)`` inside their working hours.
* Month pages: month ``N`` is calendar month (current month + N) in the requested zone, from its
  first local midnight to the next one; a start belongs to the page holding it.

Results are sorted and hold each instant once, so DST never produces duplicates.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

MINUTE_MS = 60_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Beyond this, datetime arithmetic overflows; no meeting page reaches it.
LAST_YEAR = 9998

PERSONAL_LINK = "PERSONAL_LINK"
GROUP_CALENDAR = "GROUP_CALENDAR"
ROUND_ROBIN_CALENDAR = "ROUND_ROBIN_CALENDAR"


@dataclass(frozen=True, slots=True)
class Calendar:
    """One member's week and commitments.

    ``hours`` maps a weekday (0 = Monday) to its opening and closing minute of the local day
    (closing may be 1440). ``busy`` holds ``(start, end)`` instants in any order.
    """

    user_id: str
    zone: ZoneInfo
    hours: Mapping[int, tuple[int, int]]
    busy: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    """A link's scheduling settings; ``increment_minutes`` None steps by the meeting duration."""

    link_type: str
    durations_ms: tuple[int, ...]
    increment_minutes: int | None
    buffer_ms: int = 0
    minimum_notice_ms: int = 0
    weeks_to_advertise: int = 4
    custom_start_ms: int | None = None
    custom_end_ms: int | None = None


@dataclass(frozen=True, slots=True)
class MonthPage:
    """Offered starts of one month page, per duration, and whether later pages offer any."""

    start_ms: int
    end_ms: int
    starts_by_duration: dict[int, list[int]]
    has_more: bool


@cache
def zone_names() -> frozenset[str]:
    """The IANA names the sandbox accepts: those the installed tz database can load."""
    return frozenset(available_timezones())


def to_ms(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(milliseconds=1)


def from_ms(instant_ms: int, zone: ZoneInfo | None = None) -> datetime:
    instant = EPOCH + timedelta(milliseconds=instant_ms)
    return instant if zone is None else instant.astimezone(zone)


def wall_to_instants(zone: ZoneInfo, day: date, minute: int) -> list[int]:
    """Every instant whose wall time in ``zone`` is ``minute`` past the start of ``day``.

    Empty inside a spring-forward gap, two instants in a repeated fall-back hour.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    instants: list[int] = []
    for fold in (0, 1):
        instant = to_ms(wall.replace(tzinfo=zone, fold=fold))
        if instant not in instants and from_ms(instant, zone).replace(tzinfo=None) == wall:
            instants.append(instant)
    return sorted(instants)


def bookable_range(rules: Rules, now_ms: int) -> tuple[int, int]:
    """The half-open range of starts the link may offer at ``now_ms``."""
    low = now_ms + rules.minimum_notice_ms
    high = now_ms + rules.weeks_to_advertise * WEEK_MS
    if rules.custom_start_ms is not None:
        low = max(low, rules.custom_start_ms)
    if rules.custom_end_ms is not None:
        high = min(high, rules.custom_end_ms)
    return low, high


def month_range(zone: ZoneInfo, now_ms: int, month_offset: int) -> tuple[int, int] | None:
    """Month ``month_offset`` after the current one in ``zone``; None when past year 9998."""
    local_now = from_ms(now_ms, zone)
    index = local_now.year * 12 + local_now.month - 1 + month_offset
    if index // 12 > LAST_YEAR:
        return None
    return _month_start(zone, index), _month_start(zone, index + 1)


def month_page(
    rules: Rules, calendars: Sequence[Calendar], zone: ZoneInfo, now_ms: int, month_offset: int
) -> MonthPage:
    """The availability page HubSpot serves for ``monthOffset`` in the requested ``zone``."""
    month = month_range(zone, now_ms, month_offset)
    if month is None:
        return MonthPage(0, 0, {duration: [] for duration in rules.durations_ms}, False)
    month_start, month_end = month
    low, high = bookable_range(rules, now_ms)
    page_low, page_high = max(month_start, low), min(month_end, high)
    starts = {
        duration: offered_starts(rules, calendars, duration, page_low, page_high)
        for duration in rules.durations_ms
    }
    later_low = max(month_end, low)
    has_more = any(
        next(_offered(rules, calendars, duration, later_low, high), None) is not None
        for duration in rules.durations_ms
    )
    return MonthPage(month_start, month_end, starts, has_more)


def offered_starts(
    rules: Rules, calendars: Sequence[Calendar], duration_ms: int, low: int, high: int
) -> list[int]:
    """Sorted, distinct starts in ``[low, high)`` the link offers for ``duration_ms``."""
    return sorted(set(_offered(rules, calendars, duration_ms, low, high)))


def hosts(
    rules: Rules, calendars: Sequence[Calendar], now_ms: int, start_ms: int, duration_ms: int
) -> list[str]:
    """User ids able to host a meeting at ``start_ms``; empty when the link does not offer it.

    For a group link that is every member; for round robin every member free at that start.
    """
    if duration_ms not in rules.durations_ms or not calendars:
        return []
    low, high = bookable_range(rules, now_ms)
    if not low <= start_ms < high:
        return []
    timelines = [
        _Timeline(calendar, rules.buffer_ms, start_ms, start_ms + 1) for calendar in calendars
    ]
    step_ms = _step_ms(rules, duration_ms)
    if rules.link_type == ROUND_ROBIN_CALENDAR:
        return [
            timeline.user_id
            for timeline in timelines
            if timeline.offers(start_ms, duration_ms, step_ms)
        ]
    lead, others = timelines[0], timelines[1:]
    if not lead.offers(start_ms, duration_ms, step_ms):
        return []
    if rules.link_type == GROUP_CALENDAR:
        if all(other.is_free(start_ms, duration_ms) for other in others):
            return [timeline.user_id for timeline in timelines]
        return []
    return [lead.user_id]


def _month_start(zone: ZoneInfo, index: int) -> int:
    year, month = divmod(index, 12)
    return to_ms(datetime(year, month + 1, 1, tzinfo=zone))


def _step_ms(rules: Rules, duration_ms: int) -> int:
    if rules.increment_minutes is None:
        return duration_ms
    return rules.increment_minutes * MINUTE_MS


def _offered(
    rules: Rules, calendars: Sequence[Calendar], duration_ms: int, low: int, high: int
) -> Iterator[int]:
    if low >= high or duration_ms <= 0 or not calendars:
        return
    timelines = [_Timeline(calendar, rules.buffer_ms, low, high) for calendar in calendars]
    step_ms = _step_ms(rules, duration_ms)
    if rules.link_type == ROUND_ROBIN_CALENDAR:
        for timeline in timelines:
            for start in timeline.candidates(duration_ms, step_ms, low, high):
                if timeline.is_clear(start, duration_ms):
                    yield start
        return
    lead, others = timelines[0], timelines[1:]
    if rules.link_type != GROUP_CALENDAR:
        others = []
    for start in lead.candidates(duration_ms, step_ms, low, high):
        if lead.is_clear(start, duration_ms) and all(
            other.is_free(start, duration_ms) for other in others
        ):
            yield start


@dataclass(frozen=True, slots=True)
class _Day:
    day: date
    open_minute: int
    close_minute: int
    open_ms: int
    close_ms: int
    # True when the zone's offset is the same all through the working hours, so candidates
    # can be stepped in elapsed time without converting each wall time.
    steady: bool


class _Timeline:
    """A member's working days and widened busy times around one range of instants."""

    def __init__(self, calendar: Calendar, buffer_ms: int, low: int, high: int) -> None:
        self.user_id = calendar.user_id
        self.zone = calendar.zone
        self.days = _working_days(calendar, low, high)
        self.opens = [day.open_ms for day in self.days]
        self.busy_starts: list[int] = []
        self.busy_ends: list[int] = []
        widened = sorted(
            (start - buffer_ms, end + buffer_ms)
            for start, end in calendar.busy
            if end > start and end + buffer_ms > low - DAY_MS and start - buffer_ms < high + DAY_MS
        )
        for start, end in widened:
            if self.busy_ends and start <= self.busy_ends[-1]:
                self.busy_ends[-1] = max(self.busy_ends[-1], end)
            else:
                self.busy_starts.append(start)
                self.busy_ends.append(end)

    def candidates(self, duration_ms: int, step_ms: int, low: int, high: int) -> Iterator[int]:
        """Aligned starts in ``[low, high)`` whose meeting fits inside that day's hours."""
        for day in self.days:
            if day.close_ms <= low or day.open_ms >= high:
                continue
            if day.steady:
                start = day.open_ms
                if start < low:
                    start += -(-(low - start) // step_ms) * step_ms
                while start + duration_ms <= day.close_ms and start < high:
                    yield start
                    start += step_ms
                continue
            step_minutes = max(1, step_ms // MINUTE_MS)
            for minute in range(day.open_minute, day.close_minute, step_minutes):
                for start in wall_to_instants(self.zone, day.day, minute):
                    if (
                        low <= start < high
                        and day.open_ms <= start
                        and start + duration_ms <= day.close_ms
                    ):
                        yield start

    def offers(self, start_ms: int, duration_ms: int, step_ms: int) -> bool:
        aligned = start_ms in self.candidates(duration_ms, step_ms, start_ms, start_ms + 1)
        return aligned and self.is_clear(start_ms, duration_ms)

    def is_free(self, start_ms: int, duration_ms: int) -> bool:
        """Inside working hours and clear of busy time, whatever the alignment."""
        index = bisect_right(self.opens, start_ms) - 1
        if index < 0 or start_ms + duration_ms > self.days[index].close_ms:
            return False
        return self.is_clear(start_ms, duration_ms)

    def is_clear(self, start_ms: int, duration_ms: int) -> bool:
        index = bisect_left(self.busy_starts, start_ms + duration_ms)
        return index == 0 or self.busy_ends[index - 1] <= start_ms


def _working_days(calendar: Calendar, low: int, high: int) -> list[_Day]:
    zone = calendar.zone
    # A day either side, because a local day can reach into the range from outside it.
    first = from_ms(low, zone).date() - timedelta(days=1)
    last = from_ms(high, zone).date() + timedelta(days=1)
    days: list[_Day] = []
    day = first
    while day <= last:
        hours = calendar.hours.get(day.weekday())
        if hours is not None and hours[0] < hours[1]:
            open_minute, close_minute = hours
            midnight = datetime.combine(day, time())
            open_wall = midnight + timedelta(minutes=open_minute)
            close_wall = midnight + timedelta(minutes=close_minute)
            offsets = {
                wall.replace(tzinfo=zone, fold=fold).utcoffset()
                for wall in (open_wall, close_wall)
                for fold in (0, 1)
            }
            days.append(
                _Day(
                    day=day,
                    open_minute=open_minute,
                    close_minute=close_minute,
                    # The earliest reading of an ambiguous opening, the latest of a closing.
                    open_ms=to_ms(open_wall.replace(tzinfo=zone, fold=0)),
                    close_ms=to_ms(close_wall.replace(tzinfo=zone, fold=1)),
                    steady=len(offsets) == 1,
                )
            )
        day += timedelta(days=1)
    return days
