"""The variables of a ``bookMeeting`` by a made-up contact."""

from __future__ import annotations

from typing import Any


def booking(slug: str, start: str, minutes: int, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "slug": slug,
            "start": start,
            "durationMinutes": minutes,
            "timeZone": "Asia/Kolkata",
            "firstName": "Alex",
            "lastName": "Morgan",
            "email": "alex.morgan@acme-corp.io",
            **extra,
        }
    }
