"""The tools: each a thin call into ``MeetingsService`` (the one the graph's resolvers use),
with its arguments' model and the outcomes it can answer.

    TOOLS["book_meeting"].run(service, arguments, production=False)   # -> a Result

Every rule (ranges, holds, booking checks, idempotency, the rate budget) is the service's;
a tool only turns arguments into the service's call and its answer into outcomes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic.json_schema import models_json_schema

from gateway.errors import IdempotencyConflict, InputError, UpstreamError, UpstreamNotFound
from gateway.hubspot.models import LinkType
from gateway.mcp import arguments as given
from gateway.mcp import results as out
from gateway.meetings import booking
from gateway.meetings import holds as domain
from gateway.meetings.service import MeetingsService

A = TypeVar("A", bound=given.Arguments)

Run = Callable[[MeetingsService, A, bool], Awaitable[out.Result]]


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    arguments: type[A]
    outcomes: tuple[type[out.Result], ...]
    call: Run[A]
    read_only: bool = True
    # Calling it again with the same arguments changes nothing more.
    idempotent: bool = True

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        return self.arguments.model_json_schema(by_alias=True)

    @cached_property
    def output_schema(self) -> dict[str, Any]:
        # One of the tool's outcomes, told apart by "outcome"; an object at the root, as the
        # protocol asks of an output schema.
        _, found = models_json_schema([(model, "serialization") for model in self.outcomes])
        return {
            "type": "object",
            "oneOf": [{"$ref": f"#/$defs/{model.__name__}"} for model in self.outcomes],
            "$defs": found["$defs"],
        }

    async def run(self, service: MeetingsService, arguments: A, production: bool) -> out.Result:
        """The outcome; an upstream failure is one too (``UpstreamUnavailable``)."""
        try:
            return await self.call(service, arguments, production)
        except UpstreamError as exc:
            return out.UpstreamUnavailable.of(exc, production=production)


COMMON = (out.UpstreamUnavailable,)


async def list_meeting_links(
    service: MeetingsService, args: given.ListMeetingLinks, production: bool
) -> out.Result:
    page = await service.links(
        first=args.first,
        after=args.after,
        name=args.name,
        link_type=LinkType(args.type) if args.type else None,
        organizer_user_id=args.organizer_user_id,
    )
    return out.MeetingLinkPage(
        message=f"{len(page.links)} of {page.total} meeting links",
        links=[out.Link.of(link) for link in page.links],
        has_next_page=page.has_next_page,
        end_cursor=page.cursors[-1] if page.cursors else None,
        total_count=page.total,
    )


async def get_booking_form(
    service: MeetingsService, args: given.GetBookingForm, production: bool
) -> out.Result:
    view = await service.booking_info(args.slug)
    if view is None:
        return out.link_not_found(args.slug)
    return out.BookingForm.of(args.slug, view.info, args.time_zone)


async def find_slots(
    service: MeetingsService, args: given.FindSlots, production: bool
) -> out.Result:
    try:
        window = await service.availability(
            args.slug,
            start=args.from_,
            end=args.to,
            duration_minutes=args.duration_minutes,
            first=args.first,
        )
    except UpstreamNotFound:
        window = None
    if window is None:
        return out.link_not_found(args.slug)
    return out.Availability.of(args.slug, window, args.time_zone)


async def earliest_slot(
    service: MeetingsService, args: given.EarliestSlot, production: bool
) -> out.Result:
    read = await service.earliest_slot(
        args.slugs, duration_minutes=args.duration_minutes, after=args.after
    )
    if read.value is None:
        return out.NoSlotFound(message="none of these links offers a slot")
    link, slot = read.value
    found = out.SlotTime.of(slot, args.time_zone)
    return out.EarliestSlot(
        message=f"{link.slug} at {found.start}", meeting_link=out.Link.of(link), slot=found
    )


async def hold_slot(service: MeetingsService, args: given.HoldSlot, production: bool) -> out.Result:
    command = domain.HoldCommand(
        slug=args.slug,
        start=args.start,
        duration_minutes=args.duration_minutes,
        timezone=args.time_zone,
        idempotency_key=args.idempotency_key,
    )
    outcome = await service.holds.hold(command)
    return out.hold_result(outcome, args.time_zone, production=production)


async def release_hold(
    service: MeetingsService, args: given.ReleaseHold, production: bool
) -> out.Result:
    outcome = await service.holds.release(args.hold_id)
    if isinstance(outcome, domain.HoldReleased):
        return out.HoldReleased(message="released: its slot is offered again", id=outcome.id)
    return out.HoldNotFound(message=outcome.message, id=outcome.id)


async def book_meeting(
    service: MeetingsService, args: given.BookMeeting, production: bool
) -> out.Result:
    try:
        command = booking.check_bounds(
            booking.BookingCommand(
                slug=args.slug,
                start=args.start,
                duration_minutes=args.duration_minutes,
                timezone=args.time_zone,
                first_name=args.first_name,
                last_name=args.last_name,
                email=args.email,
                form_fields=tuple(args.form_fields.items()),
                legal_consent_responses=tuple(args.consents.items()),
                idempotency_key=args.idempotency_key,
                hold_id=args.hold_id,
            )
        )
        outcome = await service.book(command)
    except (InputError, IdempotencyConflict) as exc:
        field = exc.field if isinstance(exc, InputError) else "idempotencyKey"
        return out.InvalidBookingInput.of((booking.FieldError(field, exc.code, exc.message),))
    return out.booking_result(outcome, args.time_zone, production=production)


_HELD = "A held slot is hidden from everyone else until the hold expires or is released."
_TOOLS: tuple[Tool[Any], ...] = (
    Tool(
        "list_meeting_links",
        "List the HubSpot meeting links (scheduling pages) one can book through, newest first.",
        given.ListMeetingLinks,
        (out.MeetingLinkPage, *COMMON),
        list_meeting_links,
    ),
    Tool(
        "get_booking_form",
        "What booking a link takes: its durations, form fields (required flags, options) and "
        "consent checkboxes.",
        given.GetBookingForm,
        (out.BookingForm, out.MeetingLinkNotFound, *COMMON),
        get_booking_form,
    ),
    Tool(
        "find_slots",
        "The free slots of one link over a range (default: now to the end of its booking "
        "window), in the given time zone.",
        given.FindSlots,
        (out.Availability, out.MeetingLinkNotFound, *COMMON),
        find_slots,
    ),
    Tool(
        "earliest_slot",
        "The earliest free slot across several links (up to 10), and its link.",
        given.EarliestSlot,
        (out.EarliestSlot, out.NoSlotFound, *COMMON),
        earliest_slot,
    ),
    Tool(
        "hold_slot",
        f"Keep a slot for a few minutes while the booking details are gathered. {_HELD}",
        given.HoldSlot,
        (
            out.SlotHeld,
            out.SlotUnavailable,
            out.InvalidHoldInput,
            out.MeetingLinkNotFound,
            *COMMON,
        ),
        hold_slot,
        read_only=False,
        # Without an idempotency_key, each call is a new hold.
        idempotent=False,
    ),
    Tool(
        "release_hold",
        "End a hold now: its slot is offered again.",
        given.ReleaseHold,
        (out.HoldReleased, out.HoldNotFound),
        release_hold,
        read_only=False,
    ),
    Tool(
        "book_meeting",
        "Book a meeting on a slot from find_slots. The idempotency_key makes retries safe: the "
        "same key gets the same answer and never books twice. A held slot needs its hold_id.",
        given.BookMeeting,
        (
            out.BookingConfirmed,
            out.SlotUnavailable,
            out.InvalidBookingInput,
            out.MeetingLinkNotFound,
            out.BookingInProgress,
            out.BookingOutcomeUnknown,
            out.HoldExpired,
            *COMMON,
        ),
        book_meeting,
        read_only=False,
    ),
)
TOOLS: Mapping[str, Tool[Any]] = {tool.name: tool for tool in _TOOLS}
