"""HubSpot's webhook events, as the domain takes them: meeting events drop the tenant's cached
offered times and every watched range is read again (``UPSTREAM_CHANGED``); each event once.

    events = MeetingEvents(log, stats)
    events.accept(service, deliveries)     # at once: the work runs after the HTTP answer
    await events.drain()                   # tests, shutdown

A meeting event is ``meeting.creation``/``.propertyChange``/``.deletion`` (and the other
``meeting.*`` types), or the generic ``object.*`` types of HubSpot's meetings object
(``objectTypeId`` ``0-47``). Other events are acknowledged and ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.cache import DeliveryLog
from gateway.meetings.service import MeetingsService
from gateway.meetings.watches import StreamStats

log = logging.getLogger("gateway.webhooks")

MEETINGS_OBJECT_TYPE = "0-47"


def is_meeting_event(event: Mapping[str, Any]) -> bool:
    kind = str(event.get("subscriptionType", ""))
    if kind.startswith("meeting."):
        return True
    return kind.startswith("object.") and str(event.get("objectTypeId")) == MEETINGS_OBJECT_TYPE


class MeetingEvents:
    def __init__(self, log: DeliveryLog, stats: StreamStats) -> None:
        self._log = log
        self.stats = stats
        self._work: set[asyncio.Task[None]] = set()

    def accept(self, service: MeetingsService, events: Sequence[Mapping[str, Any]]) -> None:
        task = asyncio.ensure_future(self._apply(service, events))
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _apply(self, service: MeetingsService, events: Sequence[Mapping[str, Any]]) -> None:
        fresh = 0
        for event in events:
            if not is_meeting_event(event):
                self.stats.webhook("ignored")
            elif await self._log.first(service.tenant, str(event.get("eventId"))):
                fresh += 1
            else:
                self.stats.webhook("replayed")
        if not fresh:
            return
        self.stats.webhook("applied", fresh)
        try:
            await service.upstream_changed()
        except Exception:
            log.exception("meetings changed at HubSpot, but dropping their cached times failed")

    async def drain(self) -> None:
        while self._work:
            await asyncio.wait(list(self._work))
