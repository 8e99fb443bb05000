"""``bookMeeting`` and its result union: every expected outcome is a type, not an error."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry

from gateway.errors import InputError
from gateway.graphql.context import Context
from gateway.graphql.inputs import BookMeetingInput
from gateway.graphql.scalars import TimeZone
from gateway.meetings import booking
from gateway.meetings.holds import public_message
from gateway.meetings.zones import zone

Info = strawberry.Info[Context, None]

log = logging.getLogger("gateway.graphql")


@strawberry.type(name="BookingConfirmed", description="The meeting is booked.")
class BookingConfirmedObject:
    start: datetime
    end: datetime
    duration_minutes: int
    time_zone: TimeZone
    subject: str
    location: str | None
    web_conference_url: str | None
    contact_id: str
    calendar_event_id: str = strawberry.field(description="Empty when `isOffline`.")
    is_offline: bool = strawberry.field(
        description="The organizer's calendar is disconnected: no calendar event was created."
    )
    guest_emails: list[str]


@strawberry.type(
    name="SlotUnavailable",
    description="The time is not offered (any more); read availability again.",
)
class SlotUnavailableObject:
    message: str
    start: datetime
    duration_minutes: int


@strawberry.type(name="FieldError", description="One reason the input was refused.")
class FieldErrorObject:
    field: str = strawberry.field(description="The input path, e.g. formFields.company.")
    code: str = strawberry.field(description="A stable code, e.g. INVALID_EMAIL.")
    message: str


@strawberry.type(
    name="InvalidBookingInput", description="The input breaks the link's rules; nothing was booked."
)
class InvalidBookingInputObject:
    message: str
    errors: list[FieldErrorObject]


@strawberry.type(name="MeetingLinkNotFound", description="No link has this slug.")
class MeetingLinkNotFoundObject:
    message: str
    slug: str


@strawberry.type(
    name="UpstreamUnavailable",
    description="HubSpot could not be reached or refused for now; nothing was booked: try again.",
)
class UpstreamUnavailableObject:
    message: str
    retry_after_seconds: float | None


@strawberry.type(
    name="BookingInProgress",
    description=(
        "The booking was sent and HubSpot has not answered yet. Retry with the same "
        "`idempotencyKey` after `retryAfterSeconds`: the retry waits for the answer and "
        "never books again."
    ),
)
class BookingInProgressObject:
    message: str
    # Nullable like UpstreamUnavailable's, so that one selection set can ask for both.
    retry_after_seconds: float | None = strawberry.field(description="Always set.")


@strawberry.type(
    name="BookingOutcomeUnknown",
    description=(
        "The booking was sent and HubSpot's answer never came, so whether the meeting was made "
        "is unknown. It is never sent again under this `idempotencyKey`: read the link's "
        "availability or ask the organizer; a new key makes a new booking."
    ),
)
class BookingOutcomeUnknownObject:
    message: str


@strawberry.type(
    name="HoldExpired",
    description=(
        "The booking's hold expired and its slot has been held by someone else since; "
        "nothing was booked. Read the availability again."
    ),
)
class HoldExpiredObject:
    message: str


BookMeetingResult = Annotated[
    BookingConfirmedObject
    | SlotUnavailableObject
    | InvalidBookingInputObject
    | MeetingLinkNotFoundObject
    | UpstreamUnavailableObject
    | BookingInProgressObject
    | BookingOutcomeUnknownObject
    | HoldExpiredObject,
    strawberry.union("BookMeetingResult"),
]


def to_command(data: BookMeetingInput) -> booking.BookingCommand:
    return booking.check_bounds(
        booking.BookingCommand(
            slug=data.slug,
            start=data.start,
            duration_minutes=data.duration_minutes,
            timezone=data.time_zone,
            first_name=data.first_name,
            last_name=data.last_name,
            email=data.email,
            guest_emails=tuple(data.guest_emails),
            locale=data.locale,
            form_fields=tuple((f.name, f.value) for f in data.form_fields),
            legal_consent_responses=tuple(
                (c.communication_type_id, c.consented) for c in data.legal_consent_responses
            ),
            likely_available_user_ids=tuple(data.likely_available_user_ids),
            idempotency_key=data.idempotency_key,
            hold_id=data.hold_id,
        )
    )


def field_errors(errors: Iterable[booking.FieldError]) -> list[FieldErrorObject]:
    return [FieldErrorObject(field=e.field, code=e.code, message=e.message) for e in errors]


def to_result(outcome: booking.BookingOutcome, *, production: bool = False) -> BookMeetingResult:
    if isinstance(outcome, booking.BookingConfirmed):
        response, tz = outcome.response, zone(outcome.timezone)
        return BookingConfirmedObject(
            start=response.start.astimezone(tz),
            end=response.end.astimezone(tz),
            duration_minutes=response.duration_ms // 60_000,
            time_zone=TimeZone(outcome.timezone),
            subject=response.subject,
            location=response.location,
            web_conference_url=response.web_conference_url,
            contact_id=response.contact_id,
            calendar_event_id=response.calendar_event_id,
            is_offline=response.is_offline,
            guest_emails=list(response.guest_emails),
        )
    if isinstance(outcome, booking.SlotUnavailable):
        return SlotUnavailableObject(
            message=outcome.message,
            start=outcome.start,
            duration_minutes=outcome.duration_minutes,
        )
    if isinstance(outcome, booking.InvalidBookingInput):
        return InvalidBookingInputObject(
            message="; ".join(f"{e.field}: {e.message}" for e in outcome.errors),
            errors=field_errors(outcome.errors),
        )
    if isinstance(outcome, booking.MeetingLinkNotFound):
        return MeetingLinkNotFoundObject(message="slug does not exist", slug=outcome.slug)
    if isinstance(outcome, booking.BookingInProgress):
        return BookingInProgressObject(
            message=outcome.message, retry_after_seconds=outcome.retry_after_seconds
        )
    if isinstance(outcome, booking.BookingOutcomeUnknown):
        return BookingOutcomeUnknownObject(message=outcome.message)
    if isinstance(outcome, booking.HoldExpired):
        return HoldExpiredObject(message=outcome.message)
    return UpstreamUnavailableObject(
        message=public_message(outcome, production=production),
        retry_after_seconds=outcome.retry_after_seconds,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Book a meeting on a slot read from `availability`.")
    async def book_meeting(self, info: Info, input: BookMeetingInput) -> BookMeetingResult:
        try:
            command = to_command(input)
        except InputError as exc:
            return InvalidBookingInputObject(
                message=exc.message,
                errors=[FieldErrorObject(field=exc.field, code=exc.code, message=exc.message)],
            )
        outcome = await info.context.service.book(command)
        if isinstance(outcome, booking.BookingNotSent):
            log.warning(
                "booking on %s: upstream unavailable (correlation id %s): %s",
                command.slug,
                info.context.request_id,
                outcome.message,
            )
        return to_result(outcome, production=info.context.production)
