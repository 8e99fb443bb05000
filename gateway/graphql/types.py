"""The object types of the graph: links, booking info and availability."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import orjson
import strawberry

from gateway.errors import InputError
from gateway.graphql.arguments import RangeStart, RenderZone, SlotLength, WindowEnd
from gateway.graphql.context import Context
from gateway.graphql.loaders import AvailabilityKey, NextSlotKey
from gateway.graphql.rendered import plain_slot_selection, renderer, slot_list
from gateway.graphql.scalars import TimeZone
from gateway.hubspot import models
from gateway.meetings import availability as domain
from gateway.meetings.service import BookingInfoView
from gateway.meetings.timeline import window_end, window_start
from gateway.meetings.zones import zone

Info = strawberry.Info[Context, None]
UTC_ZONE = TimeZone("UTC")

INCREMENT_MINUTES = {
    "FIVE": 5,
    "TEN": 10,
    "FIFTEEN": 15,
    "TWENTY": 20,
    "THIRTY": 30,
    "FORTY_FIVE": 45,
    "SIXTY": 60,
    "NINETY": 90,
    "ONE_HUNDRED_TWENTY": 120,
}

# Registered in place: the domain's enums are the schema's enums.
LinkType = models.LinkType
EmptyReason = domain.EmptyReason
strawberry.enum(
    LinkType,
    description=(
        "How a link shares its members' time. OTHER: a type HubSpot added that this API does "
        "not know yet (its name is in `typeName`); it cannot be used as a filter."
    ),
)
strawberry.enum(EmptyReason, description="Why an availability range holds no slot.")


@strawberry.interface(description="An object with a global ID.")
class Node:
    id: strawberry.ID = strawberry.field(description="A global, opaque ID.")


def global_id(type_name: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def parse_global_id(value: str) -> tuple[str, str]:
    try:
        type_name, _, key = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InputError("id", "INVALID_ID", "not an ID of this API") from exc
    if not type_name or not key:
        raise InputError("id", "INVALID_ID", "not an ID of this API")
    return type_name, key


# --- availability ---------------------------------------------------------------------------------


@strawberry.type(name="Slot", description="A bookable time: start and end in the asked time zone.")
class SlotObject:
    start: datetime = strawberry.field(description="When the meeting would start.")
    end: datetime = strawberry.field(description="When the meeting would end.")
    duration_minutes: int = strawberry.field(description="The meeting's length in minutes.")

    @classmethod
    def of(cls, slot: domain.Slot, render: Callable[[int], str]) -> SlotObject:
        return cls(
            start=render(slot.start_ms),  # type: ignore[arg-type]
            end=render(slot.end_ms),  # type: ignore[arg-type]
            duration_minutes=slot.duration_ms // 60_000,
        )


def _slots(root: Availability) -> list[SlotObject]:
    render = renderer(root.time_zone)
    return [SlotObject.of(slot, render) for slot in root.window.slots]


@strawberry.type(description="Offered slots of a link over a range, merged across months.")
class Availability:
    time_zone: TimeZone = strawberry.field(description="The zone every instant is rendered in.")
    durations_minutes: list[int] = strawberry.field(description="Durations the link offers.")
    slots: list[SlotObject] = strawberry.field(
        description="Slots, sorted by start then duration.", resolver=_slots
    )
    has_more: bool = strawberry.field(
        description="More slots exist after the last one returned (past `to` or `first`)."
    )
    empty_reason: EmptyReason | None = strawberry.field(
        description="Why `slots` is empty; null when it is not."
    )
    fetched_at: datetime = strawberry.field(
        description="When the oldest upstream data behind this answer was read."
    )
    stale: bool = strawberry.field(
        description="True when served from cache past its freshness (refresh under way, or "
        "the upstream failing)."
    )
    window: strawberry.Private[domain.AvailabilityWindow]

    @classmethod
    def of(cls, window: domain.AvailabilityWindow, time_zone: str) -> Availability:
        tz = zone(time_zone)
        return cls(
            time_zone=TimeZone(time_zone),
            durations_minutes=[ms // 60_000 for ms in window.durations_ms],
            window=window,
            has_more=window.has_more,
            empty_reason=window.empty_reason,
            fetched_at=window.fetched_at.astimezone(tz),
            stale=window.stale,
        )

    def serialized(self, field: str, names: tuple[str, ...]) -> orjson.Fragment | None:
        """``field``'s value with the sub-fields ``names``, already serialized; None when it
        is to be executed (see ``gateway.graphql.rendered``)."""
        if field != "slots" or not plain_slot_selection(names):
            return None
        return slot_list(self.window.runs, self.time_zone, names)


# --- booking info -------------------------------------------------------------------------------


@strawberry.type(name="FormFieldOption", description="One choice of a select or radio form field.")
class FormFieldOptionObject:
    label: str
    value: str
    description: str
    display_order: int


@strawberry.type(name="FormField", description="A question the booking form asks.")
class FormFieldObject:
    name: str = strawberry.field(description="What to send back in `formFields`.")
    label: str
    type: str = strawberry.field(description="HubSpot's property type, e.g. string, enumeration.")
    field_type: str = strawberry.field(description="The control: text, select, radio, date...")
    required: bool
    custom: bool = strawberry.field(description="A custom property rather than a built-in one.")
    options: list[FormFieldOptionObject] = strawberry.field(
        description="Choices, for select and radio fields; hidden ones left out."
    )


@strawberry.type(
    name="GuestSettings", description="Whether and how many extra guests a booker may invite."
)
class GuestSettingsObject:
    can_add_guests: bool
    max_guest_count: int


@strawberry.type(
    name="ConsentCheckbox", description="A communication-consent checkbox on the booking form."
)
class ConsentCheckboxObject:
    communication_type_id: str = strawberry.field(
        description="What to send back in `legalConsentResponses`."
    )
    label: str
    required: bool


@strawberry.type(description="The link's GDPR consent texts and checkboxes.")
class LegalConsent:
    enabled: bool
    processing_consent_type: str | None = strawberry.field(
        description="IMPLICIT or REQUIRED_CHECKBOX."
    )
    processing_consent_text: str | None
    processing_consent_checkbox_label: str | None
    communication_consent_text: str | None
    privacy_policy_text: str | None
    checkboxes: list[ConsentCheckboxObject]


@strawberry.type(name="Branding", description="Colors, logo and company of the booking page.")
class BrandingObject:
    company_name: str | None
    company_domain: str | None
    company_address: list[str]
    logo_url: str | None
    logo_alt_text: str
    logo_width: int | None
    logo_height: int | None
    primary_color: str | None
    secondary_color: str | None
    accent_color: str | None
    accent2_color: str | None


@strawberry.type(description="When a link offers time.")
class BookingWindow:
    start: datetime = strawberry.field(description="The earliest moment a meeting may start.")
    end: datetime = strawberry.field(description="No meeting starts at or after this.")
    weeks_to_advertise: int


@strawberry.type(name="Member", description="A person whose calendar the link books into.")
class MemberObject:
    user_id: str = strawberry.field(description="The HubSpot user ID.")
    meetings_user_id: str
    email: str
    first_name: str | None
    last_name: str | None
    full_name: str | None
    calendar_provider: str
    is_offline: bool = strawberry.field(
        description="The member's calendar is disconnected: bookings create no calendar event."
    )


@strawberry.type(
    name="BookingInfo", description="What a booking page needs to know before a booking."
)
class BookingInfoObject:
    time_zone: TimeZone
    link_type: LinkType
    link_type_name: str = strawberry.field(
        description="HubSpot's own name of the link's type, also when `linkType` is OTHER."
    )
    durations_minutes: list[int]
    buffer_minutes: int = strawberry.field(description="Kept free before and after meetings.")
    start_increment_minutes: int | None = strawberry.field(
        description="Slots start on this grid; null when it is the meeting's own duration."
    )
    booking_window: BookingWindow
    form_fields: list[FormFieldObject]
    guest_settings: GuestSettingsObject
    legal_consent: LegalConsent
    branding: BrandingObject | None
    members: list[MemberObject]
    locale: str | None
    language: str | None
    location: str | None
    redirect_url: str | None
    welcome_title: str | None
    welcome_description: str | None
    is_offline: bool
    fetched_at: datetime
    stale: bool

    @classmethod
    def of(cls, view: BookingInfoView, time_zone: str, now: datetime) -> BookingInfoObject:
        info, settings = view.info, view.info.settings
        tz = zone(time_zone)
        consent = settings.legal_consent_options
        guests = settings.guest_settings
        branding = info.branding
        welcome = settings.welcome_screen
        return cls(
            time_zone=TimeZone(time_zone),
            link_type=info.link_type,
            link_type_name=info.link_type_name,
            durations_minutes=[ms // 60_000 for ms in settings.durations_ms],
            buffer_minutes=settings.buffer_ms // 60_000,
            start_increment_minutes=INCREMENT_MINUTES.get(settings.start_increment),
            booking_window=BookingWindow(
                start=window_start(settings, now).astimezone(tz),
                end=window_end(settings, now).astimezone(tz),
                weeks_to_advertise=settings.weeks_to_advertise,
            ),
            form_fields=[
                FormFieldObject(
                    name=f.name,
                    label=f.label,
                    type=f.type,
                    field_type=f.field_type,
                    required=f.is_required,
                    custom=f.is_custom,
                    options=[
                        FormFieldOptionObject(
                            label=o.label,
                            value=o.value,
                            description=o.description,
                            display_order=o.display_order,
                        )
                        for o in sorted(f.options, key=lambda o: o.display_order)
                        if not o.hidden
                    ],
                )
                for f in settings.form_fields
            ],
            guest_settings=GuestSettingsObject(
                can_add_guests=bool(guests and guests.can_add_guests),
                max_guest_count=guests.max_guest_count if guests else 0,
            ),
            legal_consent=LegalConsent(
                enabled=settings.legal_consent_enabled,
                processing_consent_type=consent.processing_consent_type if consent else None,
                processing_consent_text=consent.processing_consent_text if consent else None,
                processing_consent_checkbox_label=consent.processing_consent_checkbox_label
                if consent
                else None,
                communication_consent_text=consent.communication_consent_text if consent else None,
                privacy_policy_text=consent.privacy_policy_text if consent else None,
                checkboxes=[
                    ConsentCheckboxObject(
                        communication_type_id=c.communication_type_id,
                        label=c.label,
                        required=c.required,
                    )
                    for c in (consent.communication_consent_checkboxes if consent else ())
                ],
            ),
            branding=BrandingObject(
                company_name=branding.company_name,
                company_domain=branding.company_domain,
                company_address=list(branding.company_address),
                logo_url=branding.logo_url,
                logo_alt_text=branding.logo_alt_text,
                logo_width=branding.logo_width,
                logo_height=branding.logo_height,
                primary_color=branding.primary_color,
                secondary_color=branding.secondary_color,
                accent_color=branding.accent_color,
                accent2_color=branding.accent2_color,
            )
            if branding
            else None,
            members=[
                MemberObject(
                    user_id=m.user.user_id,
                    meetings_user_id=m.user.id,
                    email=m.user.email,
                    first_name=m.user.first_name,
                    last_name=m.user.last_name,
                    full_name=m.user.full_name,
                    calendar_provider=m.user.calendar_provider,
                    is_offline=m.is_offline,
                )
                for m in info.busy_times
            ],
            locale=settings.locale,
            language=settings.language,
            location=settings.location,
            redirect_url=settings.redirect_url,
            welcome_title=welcome.title if welcome else None,
            welcome_description=welcome.description if welcome else None,
            is_offline=info.is_offline,
            fetched_at=view.fetched_at.astimezone(tz),
            stale=view.stale,
        )


# --- links --------------------------------------------------------------------------------------


@strawberry.type(name="MeetingLink", description="A HubSpot meeting scheduling page.")
class MeetingLinkObject(Node):
    hubspot_id: str = strawberry.field(description="HubSpot's own ID of the link.")
    slug: str = strawberry.field(description="The part of the URL after the domain; may hold /.")
    url: str
    name: str | None
    type: LinkType
    type_name: str = strawberry.field(
        description="HubSpot's own name of the link's type, also when `type` is OTHER."
    )
    organizer_user_id: str
    member_user_ids: list[str]
    is_default: bool = strawberry.field(description="The organizer's default link.")
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, link: models.MeetingLink) -> MeetingLinkObject:
        return cls(
            id=global_id("MeetingLink", link.slug),
            hubspot_id=link.id,
            slug=link.slug,
            url=link.link,
            name=link.name,
            type=link.type,
            type_name=link.type_name,
            organizer_user_id=link.organizer_user_id,
            member_user_ids=list(link.member_user_ids),
            is_default=link.default_link,
            created_at=link.created_at,
            updated_at=link.updated_at,
        )

    @strawberry.field(description="Settings, form and members of the link's booking page.")
    async def booking_info(
        self,
        info: Info,
        time_zone: RenderZone = UTC_ZONE,
    ) -> BookingInfoObject | None:
        view = await info.context.loaders.booking_info.load(self.slug)
        if view is None:
            return None
        return BookingInfoObject.of(view, time_zone, info.context.service.now())

    @strawberry.field(description="Offered slots over [from, to), rendered in timeZone.")
    async def availability(
        self,
        info: Info,
        time_zone: RenderZone,
        from_: RangeStart = None,
        to: WindowEnd = None,
        duration_minutes: SlotLength = None,
        first: Annotated[
            int | None, strawberry.argument(description="At most this many slots.")
        ] = None,
    ) -> Availability | None:
        key = AvailabilityKey(self.slug, from_, to, duration_minutes, first)
        window = await info.context.loaders.availability.load(key)
        return Availability.of(window, time_zone) if window else None

    @strawberry.field(description="The first offered slot at or after `after` (default now).")
    async def next_available_slot(
        self,
        info: Info,
        time_zone: TimeZone,
        duration_minutes: int | None = None,
        after: datetime | None = None,
    ) -> SlotObject | None:
        key = NextSlotKey(self.slug, duration_minutes, after)
        slot = await info.context.loaders.next_slot.load(key)
        return SlotObject.of(slot, renderer(time_zone)) if slot else None


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A link and its cursor.")
class MeetingLinkEdge:
    cursor: str
    node: MeetingLinkObject


@strawberry.type(description="A page of meeting links.")
class MeetingLinkConnection:
    edges: list[MeetingLinkEdge]
    nodes: list[MeetingLinkObject]
    page_info: PageInfo
    total_count: int = strawberry.field(description="All links matching the filters.")
