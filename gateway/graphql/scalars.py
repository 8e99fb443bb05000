"""The contract's custom scalars: ``DateTime`` (RFC 3339 with an offset) and ``TimeZone`` (IANA)."""

from __future__ import annotations

from datetime import datetime
from typing import NewType

import strawberry

from gateway.meetings.zones import is_iana_name

TimeZone = NewType("TimeZone", str)


def parse_time_zone(value: object) -> TimeZone:
    if not is_iana_name(value):
        raise ValueError(f"{value!r} is not an IANA time zone name such as 'Europe/Berlin'")
    return TimeZone(str(value))


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
