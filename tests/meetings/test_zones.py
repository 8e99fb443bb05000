from __future__ import annotations

import pytest

from gateway.meetings.zones import is_iana_name, zone


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("America/New_York", True),
        ("America/Argentina/Buenos_Aires", True),
        ("Asia/Kathmandu", True),
        ("UTC", True),
        ("EST", False),
        ("US/Eastern", False),
        ("Etc/GMT+5", False),
        ("+05:00", False),
        ("america/new_york", False),
        ("Europe/Berlin" * 10, False),
        (None, False),
    ],
)
def test_only_area_location_names_and_utc(name: object, accepted: bool) -> None:
    assert is_iana_name(name) is accepted


def test_zones_are_loaded_once() -> None:
    assert zone("Asia/Kolkata") is zone("Asia/Kolkata")
    with pytest.raises(ValueError, match="known time zone"):
        zone("Mars/Olympus_Mons")
