"""Which time zone names clients may use, and the zones themselves, loaded once."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_ZONE_LENGTH = 64


@lru_cache(maxsize=1)
def iana_names() -> frozenset[str]:
    # Legacy aliases such as "EST" or "US/Eastern" and the inverted "Etc/GMT+5" are not
    # Area/Location names; a client that sends one almost always meant something else, so only
    # Area/Location names and UTC pass.
    return frozenset(
        name
        for name in available_timezones()
        if ("/" in name and not name.startswith(("Etc/", "SystemV/", "US/")) and name[0].isupper())
        or name == "UTC"
    )


def is_iana_name(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_ZONE_LENGTH and value in iana_names()


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a known time zone") from exc
