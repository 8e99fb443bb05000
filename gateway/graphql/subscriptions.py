"""The root subscription: live availability of one link's watched range.

Over graphql-transport-ws (WebSocket) and GraphQL over SSE (distinct connections), both on
``/graphql``; how changes are found is in ``gateway.meetings.watches``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from gateway.errors import SlowConsumer
from gateway.graphql.arguments import RangeStart, RenderZone, SlotLength, WatchedEnd
from gateway.graphql.context import Context
from gateway.graphql.rendered import renderer
from gateway.graphql.types import SlotObject
from gateway.meetings.changes import Reason, SlotChange
from gateway.meetings.zones import zone

Info = strawberry.Info[Context, None]

# Closes a WebSocket whose client fell too far behind (4xxx: the application's own codes).
SLOW_CONSUMER_CLOSE = 4008

AvailabilityChangeReason = strawberry.enum(
    Reason,
    name="AvailabilityChangeReason",
    description=(
        "Why slots moved: a booking or hold made through the gateway (BOOKED, HELD), a hold "
        "released or run out (RELEASED, EXPIRED), or a change seen at HubSpot (UPSTREAM_CHANGED: "
        "its webhook, or the range read again when its cached pages expired)."
    ),
)


@strawberry.type(
    name="AvailabilityChange",
    description="Slots that left (`removed`) and joined (`added`) a watched range.",
)
class AvailabilityChangeObject:
    slug: str
    reason: AvailabilityChangeReason  # type: ignore[valid-type]
    removed: list[SlotObject]
    added: list[SlotObject]
    at: datetime = strawberry.field(description="When the change was seen.")

    @classmethod
    def of(cls, change: SlotChange, time_zone: str) -> AvailabilityChangeObject:
        render = renderer(time_zone)
        return cls(
            slug=change.slug,
            reason=change.reason,
            removed=[SlotObject.of(slot, render) for slot in change.removed],
            added=[SlotObject.of(slot, render) for slot in change.added],
            at=change.at.astimezone(zone(time_zone)),
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Changes to the offered slots of [from, to) (default: now and the longest watched "
            "range), rendered in timeZone; arguments are checked as `availability`'s."
        )
    )
    async def availability_changed(
        self,
        info: Info,
        slug: str,
        time_zone: RenderZone,
        from_: RangeStart = None,
        to: WatchedEnd = None,
        duration_minutes: SlotLength = None,
    ) -> AsyncGenerator[AvailabilityChangeObject, None]:
        context = info.context
        if context.watches is None:
            raise RuntimeError("live availability is not running")
        stream = await context.watches.open(
            context.service, slug, start=from_, end=to, duration_minutes=duration_minutes
        )
        try:
            while (change := await stream.next()) is not None:
                yield AvailabilityChangeObject.of(change, time_zone)
        except SlowConsumer as exc:
            if context.websocket is not None:
                # The connection goes (its client reconnects and subscribes afresh): its
                # other operations are as far behind.
                await context.websocket.close(SLOW_CONSUMER_CLOSE, exc.code)
                # Nothing more may be sent on it: the connection's end cancels this operation.
                await asyncio.Event().wait()
            raise
        finally:
            context.watches.close(stream)
