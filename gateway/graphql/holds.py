"""``holdSlot``, ``renewHold``, ``releaseHold`` and their result unions; the root mutation is
``bookMeeting``'s with these beside it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

import strawberry

from gateway.graphql.context import Context
from gateway.graphql.inputs import HoldSlotInput
from gateway.graphql.mutations import (
    FieldErrorObject,
    MeetingLinkNotFoundObject,
    SlotUnavailableObject,
    UpstreamUnavailableObject,
    field_errors,
)
from gateway.graphql.mutations import Mutation as BookingMutation
from gateway.meetings import booking
from gateway.meetings import holds as domain
from gateway.meetings.booking import MAX_TEXT
from gateway.meetings.timeline import from_ms
from gateway.meetings.zones import zone

Info = strawberry.Info[Context, None]

log = logging.getLogger("gateway.graphql")


@strawberry.type(description="A slot kept for one visitor: no one else can hold or book it.")
class SlotHold:
    id: strawberry.ID = strawberry.field(description="Pass it as `bookMeeting`'s `holdId`.")
    slug: str
    start: datetime
    end: datetime
    duration_minutes: int
    expires_at: datetime = strawberry.field(
        description="When the hold ends by itself (`renewHold` extends it)."
    )

    @classmethod
    def of(cls, hold: domain.Hold) -> SlotHold:
        tz = zone(hold.timezone)
        return cls(
            id=strawberry.ID(hold.id),
            slug=hold.slug,
            start=from_ms(hold.start_ms, tz),
            end=from_ms(hold.end_ms, tz),
            duration_minutes=hold.duration_minutes,
            expires_at=hold.expires_at.astimezone(tz),
        )


@strawberry.type(name="SlotHeld", description="The slot is held for you until `hold.expiresAt`.")
class SlotHeldObject:
    hold: SlotHold


@strawberry.type(
    name="InvalidHoldInput",
    description="The hold's input breaks the link's rules; nothing was held.",
)
class InvalidHoldInputObject:
    message: str
    errors: list[FieldErrorObject]


@strawberry.type(
    name="HoldReleased", description="The hold is released: its slot is offered again."
)
class HoldReleasedObject:
    id: strawberry.ID


@strawberry.type(
    name="HoldNotFound",
    description="No live hold has this id (it expired, was released or booked).",
)
class HoldNotFoundObject:
    message: str
    id: strawberry.ID


@strawberry.type(
    name="HoldRenewalLimitReached",
    description="The hold was renewed the most times allowed; it still ends at `hold.expiresAt`.",
)
class HoldRenewalLimitReachedObject:
    message: str
    hold: SlotHold
    max_renewals: int


HoldSlotResult = Annotated[
    SlotHeldObject
    | SlotUnavailableObject
    | InvalidHoldInputObject
    | MeetingLinkNotFoundObject
    | UpstreamUnavailableObject,
    strawberry.union("HoldSlotResult"),
]
ReleaseHoldResult = Annotated[
    HoldReleasedObject | HoldNotFoundObject, strawberry.union("ReleaseHoldResult")
]
RenewHoldResult = Annotated[
    SlotHeldObject | HoldNotFoundObject | HoldRenewalLimitReachedObject,
    strawberry.union("RenewHoldResult"),
]


def to_hold_result(outcome: domain.HoldOutcome, *, production: bool) -> HoldSlotResult:
    if isinstance(outcome, domain.SlotHeld):
        return SlotHeldObject(hold=SlotHold.of(outcome.hold))
    if isinstance(outcome, booking.SlotUnavailable):
        return SlotUnavailableObject(
            message=outcome.message, start=outcome.start, duration_minutes=outcome.duration_minutes
        )
    if isinstance(outcome, domain.InvalidHoldInput):
        return InvalidHoldInputObject(
            message="; ".join(f"{e.field}: {e.message}" for e in outcome.errors),
            errors=field_errors(outcome.errors),
        )
    if isinstance(outcome, booking.MeetingLinkNotFound):
        return MeetingLinkNotFoundObject(message="slug does not exist", slug=outcome.slug)
    return UpstreamUnavailableObject(
        message=domain.public_message(outcome, production=production),
        retry_after_seconds=outcome.retry_after_seconds,
    )


def _not_found(hold_id: str) -> HoldNotFoundObject:
    return HoldNotFoundObject(message="no live hold has this id", id=strawberry.ID(hold_id[:100]))


@strawberry.type
class Mutation(BookingMutation):
    @strawberry.mutation(description="Keep a slot read from `availability` for a while.")
    async def hold_slot(self, info: Info, input: HoldSlotInput) -> HoldSlotResult:
        command = domain.HoldCommand(
            slug=input.slug,
            start=input.start,
            duration_minutes=input.duration_minutes,
            timezone=input.time_zone,
            idempotency_key=input.idempotency_key,
        )
        outcome = await info.context.service.holds.hold(command)
        return to_hold_result(outcome, production=info.context.production)

    @strawberry.mutation(description="Extend a live hold to a full TTL again (a few times).")
    async def renew_hold(self, info: Info, id: strawberry.ID) -> RenewHoldResult:
        if len(id) > MAX_TEXT:
            return _not_found(id)
        outcome = await info.context.service.holds.renew(id)
        if isinstance(outcome, domain.SlotHeld):
            return SlotHeldObject(hold=SlotHold.of(outcome.hold))
        if isinstance(outcome, domain.HoldRenewalLimitReached):
            return HoldRenewalLimitReachedObject(
                message=f"a hold may be renewed at most {outcome.max_renewals} times",
                hold=SlotHold.of(outcome.hold),
                max_renewals=outcome.max_renewals,
            )
        return HoldNotFoundObject(message=outcome.message, id=strawberry.ID(outcome.id))

    @strawberry.mutation(description="End a hold now: its slot is offered again.")
    async def release_hold(self, info: Info, id: strawberry.ID) -> ReleaseHoldResult:
        if len(id) > MAX_TEXT:
            return _not_found(id)
        outcome = await info.context.service.holds.release(id)
        if isinstance(outcome, domain.HoldReleased):
            return HoldReleasedObject(id=strawberry.ID(outcome.id))
        return HoldNotFoundObject(message=outcome.message, id=strawberry.ID(outcome.id))
