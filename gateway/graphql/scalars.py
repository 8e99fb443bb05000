"""The contract's custom scalars: ``DateTime`` (RFC 3339 with an offset) and ``TimeZone`` (IANA)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NewType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import strawberry

TimeZone = NewType("TimeZone", str)

MAX_ZONE_LENGTH = 64


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    # Legacy aliases such as "EST" or "US/Eastern" are not region/city names; a client that
    # sends one almost always meant something else, so only Area/Location names and UTC pass.
    return frozenset(
        name
        for name in available_timezones()
        if ("/" in name and not name.startswith(("Etc/", "SystemV/", "US/")) and name[0].isupper())
        or name == "UTC"
    )


def parse_time_zone(value: object) -> TimeZone:
    if not isinstance(value, str) or len(value) > MAX_ZONE_LENGTH or value not in _iana_names():
        raise ValueError(f"{value!r} is not an IANA time zone name such as 'Europe/Berlin'")
    return TimeZone(value)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a known time zone") from exc


def parse_date_time(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("DateTime must be an RFC 3339 string such as 2026-03-02T09:00:00-05:00")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time") from exc
    if parsed.tzinfo is None or "T" not in value.upper():
        raise ValueError(f"{value!r} has no UTC offset; write e.g. {value}Z or {value}+02:00")
    return parsed


def serialize_date_time(value: object) -> str:
    # Resolvers may hand over strings already rendered in the client's zone (the lean path).
    if isinstance(value, str):
        return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat()
    raise TypeError(f"cannot render {value!r} as a DateTime")


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="An instant as an RFC 3339 string with a UTC offset, e.g. "
    "2026-03-02T09:00:00-05:00. Rendered in the time zone the client asked for.",
    specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339",
    serialize=serialize_date_time,
    parse_value=parse_date_time,
)

TimeZoneScalar = strawberry.scalar(
    name="TimeZone",
    description="An IANA time zone name such as America/New_York. Abbreviations (EST) and "
    "offsets (+05:00) are refused.",
    specified_by_url="https://www.iana.org/time-zones",
    serialize=str,
    parse_value=parse_time_zone,
)

SCALARS: dict[object, object] = {datetime: DateTimeScalar, TimeZone: TimeZoneScalar}
