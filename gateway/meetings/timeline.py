"""Time arithmetic of the domain: HubSpot's month pages, booking windows and instants.

HubSpot pages availability by calendar month (``monthOffset`` from the current month in the
zone asked for). The gateway always asks in UTC, so one cached page serves every client zone,
and renders instants in the client's zone itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.hubspot.models import LinkSettings

UPSTREAM_ZONE = "UTC"


def to_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def from_ms(ms: int, zone: ZoneInfo | None = None) -> datetime:
    return datetime.fromtimestamp(ms / 1000, zone or UTC)


def month_index(instant: datetime) -> int:
    utc = instant.astimezone(UTC)
    return utc.year * 12 + utc.month - 1


def month_offsets(now: datetime, start: datetime, end: datetime) -> range:
    """The ``monthOffset`` pages that hold ``[start, end)``, never a month before now's."""
    first = max(month_index(start), month_index(now)) - month_index(now)
    last = month_index(end - timedelta(microseconds=1)) - month_index(now)
    return range(first, last + 1)


def window_end(settings: LinkSettings, now: datetime) -> datetime:
    """Where a link stops advertising time: ``weeksToAdvertise`` from now, or its custom end."""
    end = now + timedelta(weeks=max(settings.weeks_to_advertise, 0))
    if settings.custom_end_ms is not None:
        end = min(end, from_ms(settings.custom_end_ms))
    return end


def window_start(settings: LinkSettings, now: datetime) -> datetime:
    if settings.custom_start_ms is not None:
        return max(now, from_ms(settings.custom_start_ms))
    return now
