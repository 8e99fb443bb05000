"""GraphiQL's page: the shipped operations as its tabs, with variables that run today.

The variables are made when the page is asked for, from the gateway's clock and its data: the
first link's slug and that link's next offered slot, so every tab runs as it opens (the hold
and booking tabs hold and book that slot, as they say).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import GatewayError
from gateway.meetings.service import MeetingsService
from gateway.serving import serving_of
from gateway.web.bundle import shell

# The order a newcomer explores in: what there is, then what it offers, then a booking.
ORDER = (
    "ListMeetingLinks",
    "MeetingLinkBookingInfo",
    "MeetingLinkAvailability",
    "EarliestSlot",
    "HoldSlot",
    "RenewHold",
    "ReleaseHold",
    "BookMeeting",
    "AvailabilityChanged",
    "BookingPage",
)
ZONE = "UTC"
UNKNOWN_SLUG = "your-link-slug"
HOLD_ID = "the id holdSlot answered"


class Sample:
    """What the tabs' variables name: a slug and an instant that is offered on it."""

    def __init__(self, now: datetime, slug: str, start: datetime | None, minutes: int) -> None:
        self.now = now.astimezone(ZoneInfo(ZONE))
        self.slug = slug
        self.start = (start or self.now + timedelta(days=1)).astimezone(ZoneInfo(ZONE))
        self.minutes = minutes

    def variables(self, name: str) -> dict[str, Any]:
        slot = {
            "slug": self.slug,
            "start": self.start.isoformat(),
            "durationMinutes": self.minutes,
            "timeZone": ZONE,
        }
        every: dict[str, dict[str, Any]] = {
            "ListMeetingLinks": {"first": 10},
            "MeetingLinkBookingInfo": {"slug": self.slug, "timeZone": ZONE},
            "BookingPage": {"slug": self.slug, "timeZone": ZONE},
            "MeetingLinkAvailability": {
                "slug": self.slug,
                "timeZone": ZONE,
                "from": self.now.isoformat(),
                "to": (self.now + timedelta(days=7)).isoformat(),
                "first": 20,
            },
            "EarliestSlot": {"slugs": [self.slug], "timeZone": ZONE},
            "AvailabilityChanged": {
                "slug": self.slug,
                "timeZone": ZONE,
                "from": self.now.isoformat(),
                "to": (self.now + timedelta(days=7)).isoformat(),
            },
            "HoldSlot": {"input": slot},
            "RenewHold": {"id": HOLD_ID},
            "ReleaseHold": {"id": HOLD_ID},
            "BookMeeting": {
                "input": {
                    **slot,
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "email": "ada@example.com",
                }
            },
        }
        return every.get(name, {})


async def sample(service: MeetingsService) -> Sample:
    now = service.now()
    try:
        page = await service.link_index()
        if not page.value.results:
            return Sample(now, UNKNOWN_SLUG, None, 30)
        slug = page.value.results[0].slug
        slot = (await service.next_available_slot(slug, duration_minutes=None, after=None)).value
    except GatewayError:
        # The page still opens (its tabs then say what to fill in) when HubSpot does not answer.
        return Sample(now, UNKNOWN_SLUG, None, 30)
    if slot is None:
        return Sample(now, slug, None, 30)
    start = datetime.fromtimestamp(slot.start_ms / 1000, ZoneInfo(ZONE))
    return Sample(now, slug, start, slot.duration_ms // 60_000)


def _rank(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


class GraphiQLPage:
    def __init__(self, operations_dir: Path) -> None:
        documents = {path.stem: path.read_text() for path in operations_dir.glob("*.graphql")}
        self.documents = {name: documents[name] for name in sorted(documents, key=_rank)}

    async def response(self, request: Request) -> Response:
        found = await sample(serving_of(request).service_for(request.scope))
        tabs = [
            {"query": text, "variables": json.dumps(found.variables(name), indent=2)}
            for name, text in self.documents.items()
        ]
        data = {"endpoint": "/graphql", "tabs": tabs}
        return shell("graphiql", "meetings-gateway GraphiQL", data)
