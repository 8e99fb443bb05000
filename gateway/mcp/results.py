"""What the tools answer: one pydantic model per outcome, named as the graph names it and told
apart by ``outcome``; each tool's output schema is the union of the outcomes it can give.

Instants are RFC 3339 strings in the time zone the call named. A refusal (``refused``) is
still a typed result, never a protocol error: the agent reads why and what to do next.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.errors import UpstreamError
from gateway.hubspot.models import BookingInfo, MeetingLink
from gateway.mcp.arguments import argument_name
from gateway.meetings import booking
from gateway.meetings import holds as domain
from gateway.meetings.availability import AvailabilityWindow, EmptyReason, Slot
from gateway.meetings.timeline import from_ms
from gateway.meetings.zones import zone


class Shape(BaseModel):
    # Every field is always sent, so the output schema requires each (``outcome`` included).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Result(Shape):
    # True for every outcome that did nothing the agent asked for.
    refused: ClassVar[bool] = False
    message: str = Field(description="What happened, for a person or a model to read.")


def instant(ms: int, time_zone: str) -> str:
    return from_ms(ms, zone(time_zone)).isoformat()


# --- parts --------------------------------------------------------------------------------------


class FieldProblem(Shape):
    field: str = Field(description="The argument, e.g. email or form_fields.company.")
    code: str = Field(description="A stable code, e.g. INVALID_EMAIL.")
    message: str

    @classmethod
    def of(cls, error: booking.FieldError) -> FieldProblem:
        return cls(field=argument_name(error.field), code=error.code, message=error.message)


class Link(Shape):
    slug: str
    name: str | None
    type: str = Field(description="GROUP_CALENDAR, PERSONAL_LINK, ROUND_ROBIN_CALENDAR or OTHER.")
    url: str
    organizer_user_id: str
    member_user_ids: list[str]
    is_default: bool

    @classmethod
    def of(cls, link: MeetingLink) -> Link:
        return cls(
            slug=link.slug,
            name=link.name,
            type=link.type.value,
            url=link.link,
            organizer_user_id=link.organizer_user_id,
            member_user_ids=list(link.member_user_ids),
            is_default=link.default_link,
        )


class SlotTime(Shape):
    start: str
    end: str
    duration_minutes: int

    @classmethod
    def of(cls, slot: Slot, time_zone: str) -> SlotTime:
        return cls(
            start=instant(slot.start_ms, time_zone),
            end=instant(slot.end_ms, time_zone),
            duration_minutes=slot.duration_ms // 60_000,
        )


class Option(Shape):
    label: str
    value: str = Field(description="What to send in form_fields.")


class FormQuestion(Shape):
    name: str = Field(description="The key to send in form_fields.")
    label: str
    field_type: str = Field(description="The control: text, select, radio, date...")
    required: bool
    options: list[Option] = Field(description="For select and radio fields: the only values.")


class ConsentBox(Shape):
    communication_type_id: str = Field(description="The key to send in consents.")
    label: str
    required: bool


class Hold(Shape):
    id: str = Field(description="Pass it as book_meeting's hold_id.")
    slug: str
    start: str
    end: str
    duration_minutes: int
    expires_at: str

    @classmethod
    def of(cls, hold: domain.Hold) -> Hold:
        return cls(
            id=hold.id,
            slug=hold.slug,
            start=instant(hold.start_ms, hold.timezone),
            end=instant(hold.end_ms, hold.timezone),
            duration_minutes=hold.duration_minutes,
            expires_at=hold.expires_at.astimezone(zone(hold.timezone)).isoformat(),
        )


# --- outcomes shared by several tools ------------------------------------------------------------


class MeetingLinkNotFound(Result):
    refused: ClassVar[bool] = True
    outcome: Literal["MeetingLinkNotFound"] = "MeetingLinkNotFound"
    slug: str


class UpstreamUnavailable(Result):
    """HubSpot could not be reached or refused for now; nothing was done: try again."""

    refused: ClassVar[bool] = True
    outcome: Literal["UpstreamUnavailable"] = "UpstreamUnavailable"
    code: str = Field(description="Why, e.g. UPSTREAM_UNAVAILABLE, UPSTREAM_RATE_LIMITED.")
    retry_after_seconds: float | None

    @classmethod
    def of(cls, error: UpstreamError, *, production: bool) -> UpstreamUnavailable:
        shown = booking.BookingNotSent(error.message, error.retry_after)
        return cls(
            message=domain.public_message(shown, production=production),
            code=error.code,
            retry_after_seconds=error.retry_after,
        )

    @classmethod
    def not_sent(cls, outcome: booking.BookingNotSent, *, production: bool) -> UpstreamUnavailable:
        return cls(
            message=domain.public_message(outcome, production=production),
            code="UPSTREAM_RATE_LIMITED" if outcome.rate_limited else "UPSTREAM_UNAVAILABLE",
            retry_after_seconds=outcome.retry_after_seconds,
        )


class SlotUnavailable(Result):
    refused: ClassVar[bool] = True
    outcome: Literal["SlotUnavailable"] = "SlotUnavailable"
    start: str
    duration_minutes: int

    @classmethod
    def of(cls, outcome: booking.SlotUnavailable, time_zone: str) -> SlotUnavailable:
        return cls(
            message=outcome.message,
            start=outcome.start.astimezone(zone(time_zone)).isoformat(),
            duration_minutes=outcome.duration_minutes,
        )


def link_not_found(slug: str) -> MeetingLinkNotFound:
    return MeetingLinkNotFound(message="no meeting link has this slug", slug=slug)


# --- list_meeting_links, get_booking_form, find_slots, earliest_slot -----------------------------


class MeetingLinkPage(Result):
    outcome: Literal["MeetingLinkPage"] = "MeetingLinkPage"
    links: list[Link]
    has_next_page: bool
    end_cursor: str | None = Field(description="Pass it as after for the next page.")
    total_count: int


class BookingForm(Result):
    outcome: Literal["BookingForm"] = "BookingForm"
    slug: str
    time_zone: str
    durations_minutes: list[int] = Field(description="The durations book_meeting accepts.")
    form_fields: list[FormQuestion] = Field(
        description="What book_meeting's form_fields answers; first name, last name and email "
        "travel in their own arguments."
    )
    can_add_guests: bool
    consent_required: bool = Field(description="Whether consents are asked for at all.")
    consents: list[ConsentBox]

    @classmethod
    def of(cls, slug: str, info: BookingInfo, time_zone: str) -> BookingForm:
        settings = info.settings
        consent = settings.legal_consent_options if settings.legal_consent_enabled else None
        return cls(
            message=f"the booking form of {slug}",
            slug=slug,
            time_zone=time_zone,
            durations_minutes=[ms // 60_000 for ms in settings.durations_ms],
            form_fields=[
                FormQuestion(
                    name=field.name,
                    label=field.label,
                    field_type=field.field_type,
                    required=field.is_required,
                    options=[
                        Option(label=option.label, value=option.value)
                        for option in field.options
                        if not option.hidden
                    ],
                )
                for field in settings.form_fields
            ],
            can_add_guests=bool(settings.guest_settings and settings.guest_settings.can_add_guests),
            consent_required=consent is not None,
            consents=[
                ConsentBox(
                    communication_type_id=box.communication_type_id,
                    label=box.label,
                    required=box.required,
                )
                for box in (consent.communication_consent_checkboxes if consent else ())
            ],
        )


class Availability(Result):
    outcome: Literal["Availability"] = "Availability"
    slug: str
    time_zone: str
    durations_minutes: list[int]
    slots: list[SlotTime] = Field(description="Sorted by start, then duration.")
    has_more: bool = Field(description="More slots exist past the last one given.")
    empty_reason: EmptyReason | None = Field(description="Why slots is empty; null when not.")

    @classmethod
    def of(cls, slug: str, window: AvailabilityWindow, time_zone: str) -> Availability:
        return cls(
            message=f"{len(window.slots)} slots of {slug}",
            slug=slug,
            time_zone=time_zone,
            durations_minutes=[ms // 60_000 for ms in window.durations_ms],
            slots=[SlotTime.of(slot, time_zone) for slot in window.slots],
            has_more=window.has_more,
            empty_reason=window.empty_reason,
        )


class EarliestSlot(Result):
    outcome: Literal["EarliestSlot"] = "EarliestSlot"
    meeting_link: Link
    slot: SlotTime


class NoSlotFound(Result):
    outcome: Literal["NoSlotFound"] = "NoSlotFound"


# --- hold_slot, release_hold -------------------------------------------------------------------


class SlotHeld(Result):
    outcome: Literal["SlotHeld"] = "SlotHeld"
    hold: Hold


class InvalidHoldInput(Result):
    refused: ClassVar[bool] = True
    outcome: Literal["InvalidHoldInput"] = "InvalidHoldInput"
    errors: list[FieldProblem]


class HoldReleased(Result):
    outcome: Literal["HoldReleased"] = "HoldReleased"
    id: str


class HoldNotFound(Result):
    refused: ClassVar[bool] = True
    outcome: Literal["HoldNotFound"] = "HoldNotFound"
    id: str


def hold_result(outcome: domain.HoldOutcome, time_zone: str, *, production: bool) -> Result:
    if isinstance(outcome, domain.SlotHeld):
        hold = Hold.of(outcome.hold)
        return SlotHeld(message=f"held until {hold.expires_at}", hold=hold)
    if isinstance(outcome, booking.SlotUnavailable):
        return SlotUnavailable.of(outcome, time_zone)
    if isinstance(outcome, domain.InvalidHoldInput):
        return InvalidHoldInput(
            message=_problems(outcome.errors), errors=[FieldProblem.of(e) for e in outcome.errors]
        )
    if isinstance(outcome, booking.MeetingLinkNotFound):
        return link_not_found(outcome.slug)
    return UpstreamUnavailable.not_sent(outcome, production=production)


# --- book_meeting --------------------------------------------------------------------------------


class BookingConfirmed(Result):
    outcome: Literal["BookingConfirmed"] = "BookingConfirmed"
    start: str
    end: str
    duration_minutes: int
    time_zone: str
    subject: str
    location: str | None
    web_conference_url: str | None
    contact_id: str
    calendar_event_id: str = Field(description="Empty when is_offline.")
    is_offline: bool = Field(description="The organizer's calendar is disconnected.")


class InvalidBookingInput(Result):
    refused: ClassVar[bool] = True
    outcome: Literal["InvalidBookingInput"] = "InvalidBookingInput"
    errors: list[FieldProblem]

    @classmethod
    def of(cls, errors: tuple[booking.FieldError, ...]) -> InvalidBookingInput:
        return cls(message=_problems(errors), errors=[FieldProblem.of(e) for e in errors])


class BookingInProgress(Result):
    """Sent, and HubSpot has not answered yet: retry with the same idempotency_key."""

    refused: ClassVar[bool] = True
    outcome: Literal["BookingInProgress"] = "BookingInProgress"
    retry_after_seconds: float


class BookingOutcomeUnknown(Result):
    """Sent, and HubSpot's answer never came; never sent again under this key."""

    refused: ClassVar[bool] = True
    outcome: Literal["BookingOutcomeUnknown"] = "BookingOutcomeUnknown"


class HoldExpired(Result):
    refused: ClassVar[bool] = True
    outcome: Literal["HoldExpired"] = "HoldExpired"


def booking_result(outcome: booking.BookingOutcome, time_zone: str, *, production: bool) -> Result:
    if isinstance(outcome, booking.BookingConfirmed):
        response, tz = outcome.response, zone(outcome.timezone)
        return BookingConfirmed(
            message=f"booked: {response.subject}",
            start=response.start.astimezone(tz).isoformat(),
            end=response.end.astimezone(tz).isoformat(),
            duration_minutes=response.duration_ms // 60_000,
            time_zone=outcome.timezone,
            subject=response.subject,
            location=response.location,
            web_conference_url=response.web_conference_url,
            contact_id=response.contact_id,
            calendar_event_id=response.calendar_event_id,
            is_offline=response.is_offline,
        )
    if isinstance(outcome, booking.SlotUnavailable):
        return SlotUnavailable.of(outcome, time_zone)
    if isinstance(outcome, booking.InvalidBookingInput):
        return InvalidBookingInput.of(outcome.errors)
    if isinstance(outcome, booking.MeetingLinkNotFound):
        return link_not_found(outcome.slug)
    if isinstance(outcome, booking.BookingInProgress):
        return BookingInProgress(
            message=outcome.message, retry_after_seconds=outcome.retry_after_seconds
        )
    if isinstance(outcome, booking.BookingOutcomeUnknown):
        return BookingOutcomeUnknown(message=outcome.message)
    if isinstance(outcome, booking.HoldExpired):
        return HoldExpired(message=outcome.message)
    return UpstreamUnavailable.not_sent(outcome, production=production)


def _problems(errors: tuple[booking.FieldError, ...]) -> str:
    return "; ".join(f"{argument_name(e.field)}: {e.message}" for e in errors)


def structured(result: Result) -> dict[str, Any]:
    return result.model_dump(mode="json")
