"""Typed payloads of HubSpot's Meetings API, each with a parser from the wire JSON.

Units stay HubSpot's here (milliseconds, epoch ms); the domain layer converts. Top-level payloads
keep the JSON they were parsed from (``wire``): it is what the cache stores in Redis and what the
HubSpot-compatible REST surface returns unchanged.

A newer API version may add optional fields and enum values: neither breaks a read. Unknown
fields are ignored here and kept in ``wire``; an unknown link type becomes ``LinkType.OTHER``
with HubSpot's own value beside it (logged once per value). A missing required field or a
value of the wrong JSON type is still drift, named by its JSON path.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from gateway.hubspot.wire import WireObject

log = logging.getLogger("gateway.hubspot")

Wire = dict[str, Any]


class LinkType(StrEnum):
    GROUP_CALENDAR = "GROUP_CALENDAR"
    PERSONAL_LINK = "PERSONAL_LINK"
    ROUND_ROBIN_CALENDAR = "ROUND_ROBIN_CALENDAR"
    # Not one of HubSpot's values: any type a newer API version sends that this gateway does
    # not know yet. HubSpot's own value travels beside it; it can never be sent as a filter.
    OTHER = "OTHER"


# The values HubSpot's specs list, the only ones a filter may send.
HUBSPOT_LINK_TYPES = tuple(kind for kind in LinkType if kind is not LinkType.OTHER)

# Unknown values already logged, so a page of them logs one line per value, not per link; the
# bound keeps a misbehaving upstream from growing it without end.
_LOGGED_UNKNOWN: set[str] = set()
_MAX_LOGGED_UNKNOWN = 256


def _link_type(value: str, path: str) -> LinkType:
    if value in HUBSPOT_LINK_TYPES:
        return LinkType(value)
    if value not in _LOGGED_UNKNOWN and len(_LOGGED_UNKNOWN) < _MAX_LOGGED_UNKNOWN:
        _LOGGED_UNKNOWN.add(value)
        log.warning(
            "HubSpot sent link type %r (at %s), unknown to this gateway: carried through as OTHER",
            value,
            path,
        )
    return LinkType.OTHER


# --- meeting links (E1) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingLink:
    id: str
    slug: str
    link: str
    name: str | None
    type: LinkType
    type_name: str  # HubSpot's own value of ``type``, also when it is ``OTHER`` here
    organizer_user_id: str
    member_user_ids: tuple[str, ...]
    default_link: bool
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def parse(cls, obj: WireObject) -> MeetingLink:
        type_name = obj.text("type")
        return cls(
            id=obj.text("id"),
            slug=obj.text("slug"),
            link=obj.text("link"),
            name=obj.opt_text("name"),
            type=_link_type(type_name, f"{obj.path}.type"),
            type_name=type_name,
            organizer_user_id=obj.text("organizerUserId"),
            member_user_ids=obj.strs("userIdsOfLinkMembers"),
            default_link=obj.flag("defaultLink"),
            created_at=obj.instant("createdAt"),
            updated_at=obj.opt_instant("updatedAt"),
        )


@dataclass(frozen=True, slots=True)
class LinksPage:
    total: int
    results: tuple[MeetingLink, ...]
    next_after: str | None
    wire: Wire = field(repr=False, compare=False)
    # The page's links by slug and by HubSpot id (the first of any repeated one), made with the
    # page and kept as long as it is cached: a lookup by slug is a dictionary read per page.
    by_slug: Mapping[str, MeetingLink] = field(init=False, repr=False, compare=False)
    by_id: Mapping[str, MeetingLink] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_slug: dict[str, MeetingLink] = {}
        by_id: dict[str, MeetingLink] = {}
        for link in self.results:
            by_slug.setdefault(link.slug, link)
            by_id.setdefault(link.id, link)
        object.__setattr__(self, "by_slug", by_slug)
        object.__setattr__(self, "by_id", by_id)

    @classmethod
    def parse(cls, data: object) -> LinksPage:
        obj = WireObject(data)
        paging = obj.opt_obj("paging")
        following = paging.opt_obj("next") if paging else None
        return cls(
            total=obj.integer("total"),
            results=tuple(MeetingLink.parse(item) for item in obj.objects("results")),
            next_after=following.text("after") if following else None,
            wire=obj.data,
        )


# --- availability (E2, E3) ----------------------------------------------------------------------


class TimeRange(NamedTuple):
    """A half-open span of epoch milliseconds. A month page holds thousands: a tuple is made in
    a third of the time a frozen dataclass takes (which sets each field through
    ``object.__setattr__``)."""

    start_ms: int
    end_ms: int


# What ``TimeRange(start, end)`` calls, without its Python-level ``__new__``.
_new_range = tuple.__new__


@dataclass(frozen=True, slots=True)
class LinkAvailability:
    has_more: bool
    # duration in ms -> offered slots, as HubSpot sent them
    by_duration: dict[int, tuple[TimeRange, ...]]
    # What the layers above work out from this page once and keep as long as it is cached
    # (its sorted slots, their rendering): the page is the cached value, so this goes with it.
    derived: dict[Hashable, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def parse(cls, obj: WireObject) -> LinkAvailability:
        by_duration: dict[int, tuple[TimeRange, ...]] = {}
        for item in obj.mapping("linkAvailabilityByDuration").values():
            by_duration[item.integer("meetingDurationMillis")] = _spans(item, "availabilities")
        return cls(has_more=obj.flag("hasMore"), by_duration=by_duration)


def _spans(obj: WireObject, key: str) -> tuple[TimeRange, ...]:
    """A month's slots: thousands of them, so read straight from the JSON, and through
    ``WireObject`` (which names what drifted) only when one is not two integers."""
    items = obj.data.get(key)
    spans: list[TimeRange] = []
    if isinstance(items, list):
        for item in items:
            start = item.get("startMillisUtc") if type(item) is dict else None
            end = item.get("endMillisUtc") if type(item) is dict else None
            if type(start) is not int or type(end) is not int:
                break
            spans.append(_new_range(TimeRange, (start, end)))
        else:
            return tuple(spans)
    return tuple(
        TimeRange(slot.integer("startMillisUtc"), slot.integer("endMillisUtc"))
        for slot in obj.objects(key)
    )


@dataclass(frozen=True, slots=True)
class MeetingsUser:
    id: str
    user_id: str
    is_sales_starter: bool
    calendar_provider: str
    email: str
    first_name: str | None
    last_name: str | None
    full_name: str | None

    @classmethod
    def parse(cls, obj: WireObject) -> MeetingsUser:
        profile = obj.obj("userProfile")
        return cls(
            id=obj.text("id"),
            user_id=obj.text("userId"),
            is_sales_starter=obj.flag("isSalesStarter"),
            calendar_provider=obj.text("calendarProvider"),
            email=profile.text("email"),
            first_name=profile.opt_text("firstName"),
            last_name=profile.opt_text("lastName"),
            full_name=profile.opt_text("fullName"),
        )


@dataclass(frozen=True, slots=True)
class UserBusyTimes:
    is_offline: bool
    user: MeetingsUser
    busy: tuple[TimeRange, ...]

    @classmethod
    def parse(cls, obj: WireObject) -> UserBusyTimes:
        return cls(
            is_offline=obj.flag("isOffline"),
            user=MeetingsUser.parse(obj.obj("meetingsUser")),
            busy=tuple(
                TimeRange(b.integer("start"), b.integer("end")) for b in obj.objects("busyTimes")
            ),
        )


@dataclass(frozen=True, slots=True)
class AvailabilityPage:
    availability: LinkAvailability | None
    busy_times: tuple[UserBusyTimes, ...]
    wire: Wire = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: object) -> AvailabilityPage:
        obj = WireObject(data)
        page = obj.opt_obj("linkAvailability")
        return cls(
            availability=LinkAvailability.parse(page) if page else None,
            busy_times=tuple(
                UserBusyTimes.parse(item) for item in obj.objects("allUsersBusyTimes")
            ),
            wire=obj.data,
        )


# --- booking info (E2) --------------------------------------------------------------------------

# What of a booking info an availability page (E3) holds.
_PAGE_KEYS = ("allUsersBusyTimes", "linkAvailability")


@dataclass(frozen=True, slots=True)
class FormFieldOption:
    label: str
    value: str
    description: str
    display_order: int
    hidden: bool
    read_only: bool


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    type: str
    field_type: str
    is_required: bool
    is_custom: bool
    options: tuple[FormFieldOption, ...]

    @classmethod
    def parse(cls, obj: WireObject) -> FormField:
        return cls(
            name=obj.text("name"),
            label=obj.text("label"),
            type=obj.text("type"),
            field_type=obj.text("fieldType"),
            is_required=obj.flag("isRequired"),
            is_custom=obj.flag("isCustom"),
            options=tuple(
                FormFieldOption(
                    label=o.text("label"),
                    value=o.text("value"),
                    description=o.opt_text("description") or "",
                    display_order=o.opt_integer("displayOrder") or 0,
                    hidden=o.opt_flag("hidden"),
                    read_only=o.opt_flag("readOnly"),
                )
                for o in obj.opt_objects("options")
            ),
        )


@dataclass(frozen=True, slots=True)
class GuestSettings:
    can_add_guests: bool
    max_guest_count: int


@dataclass(frozen=True, slots=True)
class ConsentCheckbox:
    communication_type_id: str
    label: str
    required: bool


@dataclass(frozen=True, slots=True)
class LegalConsentOptions:
    communication_consent_checkboxes: tuple[ConsentCheckbox, ...]
    communication_consent_text: str
    is_legitimate_interest: bool
    legitimate_interest_legal_basis: str | None
    legitimate_interest_subscription_types: tuple[int, ...]
    privacy_policy_text: str
    processing_consent_checkbox_label: str
    processing_consent_footer_text: str
    processing_consent_text: str
    processing_consent_type: str

    @classmethod
    def parse(cls, obj: WireObject) -> LegalConsentOptions:
        return cls(
            communication_consent_checkboxes=tuple(
                ConsentCheckbox(c.text("communicationTypeId"), c.text("label"), c.flag("required"))
                for c in obj.objects("communicationConsentCheckboxes")
            ),
            communication_consent_text=obj.text("communicationConsentText"),
            is_legitimate_interest=obj.flag("isLegitimateInterest"),
            legitimate_interest_legal_basis=obj.opt_text("legitimateInterestLegalBasis"),
            legitimate_interest_subscription_types=obj.ints("legitimateInterestSubscriptionTypes"),
            privacy_policy_text=obj.text("privacyPolicyText"),
            processing_consent_checkbox_label=obj.text("processingConsentCheckboxLabel"),
            processing_consent_footer_text=obj.text("processingConsentFooterText"),
            processing_consent_text=obj.text("processingConsentText"),
            processing_consent_type=obj.text("processingConsentType"),
        )


@dataclass(frozen=True, slots=True)
class DisplayInfo:
    avatar: str | None
    company_avatar: str | None
    headline: str | None
    public_display_avatar_option: str | None


@dataclass(frozen=True, slots=True)
class WelcomeScreen:
    title: str | None
    description: str | None
    logo_url: str | None
    use_company_logo: bool


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """HubSpot's ``customParams``: how a link offers time and what a booking must carry."""

    # weekday key -> open minutes from local midnight; HubSpot does not document the keys
    availability: dict[str, tuple[int, int]]
    durations_ms: tuple[int, ...]
    form_fields: tuple[FormField, ...]
    legal_consent_enabled: bool
    buffer_ms: int
    owner_prioritized: bool
    start_increment: str
    weeks_to_advertise: int
    custom_start_ms: int | None
    custom_end_ms: int | None
    display_info: DisplayInfo | None
    guest_settings: GuestSettings | None
    language: str | None
    locale: str | None
    location: str | None
    redirect_url: str | None
    legal_consent_options: LegalConsentOptions | None
    welcome_screen: WelcomeScreen | None

    @classmethod
    def parse(cls, obj: WireObject) -> LinkSettings:
        display = obj.opt_obj("displayInfo")
        guests = obj.opt_obj("guestSettings")
        consent = obj.opt_obj("legalConsentOptions")
        welcome = obj.opt_obj("welcomeScreenInfo")
        return cls(
            availability={
                day: (span.integer("start"), span.integer("end"))
                for day, span in obj.mapping("availability").items()
            },
            durations_ms=obj.ints("durations"),
            form_fields=tuple(FormField.parse(f) for f in obj.objects("formFields")),
            legal_consent_enabled=obj.flag("legalConsentEnabled"),
            buffer_ms=obj.integer("meetingBufferTime"),
            owner_prioritized=obj.flag("ownerPrioritized"),
            start_increment=obj.text("startTimeIncrementMinutes"),
            weeks_to_advertise=obj.integer("weeksToAdvertise"),
            custom_start_ms=obj.opt_integer("customAvailabilityStartDate"),
            custom_end_ms=obj.opt_integer("customAvailabilityEndDate"),
            display_info=DisplayInfo(
                avatar=display.opt_text("avatar"),
                company_avatar=display.opt_text("companyAvatar"),
                headline=display.opt_text("headline"),
                public_display_avatar_option=display.opt_text("publicDisplayAvatarOption"),
            )
            if display
            else None,
            guest_settings=GuestSettings(
                guests.flag("canAddGuests"), guests.integer("maxGuestCount")
            )
            if guests
            else None,
            language=obj.opt_text("language"),
            locale=obj.opt_text("locale"),
            location=obj.opt_text("location"),
            redirect_url=obj.opt_text("redirectUrl"),
            legal_consent_options=LegalConsentOptions.parse(consent) if consent else None,
            welcome_screen=WelcomeScreen(
                title=welcome.opt_text("title"),
                description=welcome.opt_text("description"),
                logo_url=welcome.opt_text("logoUrl"),
                use_company_logo=welcome.opt_flag("useCompanyLogo"),
            )
            if welcome
            else None,
        )


@dataclass(frozen=True, slots=True)
class Branding:
    logo_alt_text: str
    show_marketing_ad: bool
    show_sales_ad: bool
    accent_color: str | None
    accent2_color: str | None
    primary_color: str | None
    secondary_color: str | None
    company_name: str | None
    company_domain: str | None
    company_avatar: str | None
    company_address: tuple[str, ...]
    logo_url: str | None
    logo_height: int | None
    logo_width: int | None

    @classmethod
    def parse(cls, obj: WireObject) -> Branding:
        address_keys = (
            "companyAddressLine1",
            "companyAddressLine2",
            "companyCity",
            "companyState",
            "companyZip",
            "companyCountry",
        )
        return cls(
            logo_alt_text=obj.text("logoAltText"),
            show_marketing_ad=obj.flag("showMarketingAd"),
            show_sales_ad=obj.flag("showSalesAd"),
            accent_color=obj.opt_text("accentColor"),
            accent2_color=obj.opt_text("accent2Color"),
            primary_color=obj.opt_text("primaryColor"),
            secondary_color=obj.opt_text("secondaryColor"),
            company_name=obj.opt_text("companyName"),
            company_domain=obj.opt_text("companyDomain"),
            company_avatar=obj.opt_text("companyAvatar"),
            company_address=tuple(
                line for line in (obj.opt_text(key) for key in address_keys) if line
            ),
            logo_url=obj.opt_text("logoUrl"),
            logo_height=obj.opt_integer("logoHeight"),
            logo_width=obj.opt_integer("logoWidth"),
        )


@dataclass(frozen=True, slots=True)
class BookingInfo:
    link_id: str
    link_type: LinkType
    link_type_name: str  # HubSpot's own value of ``linkType``
    is_offline: bool
    settings: LinkSettings
    busy_times: tuple[UserBusyTimes, ...]
    branding: Branding | None
    wire: Wire = field(repr=False, compare=False)
    # The embedded page once typed (``first_page``): none, or one entry.
    _first: list[AvailabilityPage] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @property
    def first_page(self) -> AvailabilityPage:
        """The first month's page, which HubSpot embeds: the one the availability page of
        ``monthOffset`` 0 in the same zone answers (its ``linkAvailability`` and
        ``allUsersBusyTimes``). Typed when first read, as most answers never need its slots
        (thousands of them, a sizeable share of taking in a booking info); drift in it is
        named when it is read."""
        if not self._first:
            page = WireObject(self.wire).opt_obj("linkAvailability")
            wire = {key: self.wire[key] for key in _PAGE_KEYS if key in self.wire}
            availability = LinkAvailability.parse(page) if page else None
            self._first.append(AvailabilityPage(availability, self.busy_times, wire))
        return self._first[0]

    @property
    def availability(self) -> LinkAvailability | None:
        return self.first_page.availability

    @classmethod
    def parse(cls, data: object) -> BookingInfo:
        obj = WireObject(data)
        obj.opt_obj("linkAvailability")  # an object or null; its slots are typed when read
        branding = obj.opt_obj("brandingMetadata")
        link_type_name = obj.text("linkType")
        return cls(
            link_id=obj.text("linkId"),
            link_type=_link_type(link_type_name, "$.linkType"),
            link_type_name=link_type_name,
            is_offline=obj.flag("isOffline"),
            settings=LinkSettings.parse(obj.obj("customParams")),
            busy_times=tuple(
                UserBusyTimes.parse(item) for item in obj.objects("allUsersBusyTimes")
            ),
            branding=Branding.parse(branding) if branding else None,
            wire=obj.data,
        )


# --- booking (E4) -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingRequest:
    slug: str
    first_name: str
    last_name: str
    email: str
    start_ms: int
    duration_ms: int
    timezone: str
    form_fields: tuple[tuple[str, str], ...] = ()
    legal_consent_responses: tuple[tuple[str, bool], ...] = ()
    likely_available_user_ids: tuple[str, ...] = ()
    guest_emails: tuple[str, ...] = ()
    locale: str | None = None

    def to_wire(self) -> Wire:
        body: Wire = {
            "slug": self.slug,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "startTime": self.start_ms,
            "duration": self.duration_ms,
            "timezone": self.timezone,
            "formFields": [{"name": n, "value": v} for n, v in self.form_fields],
            "legalConsentResponses": [
                {"communicationTypeId": c, "consented": ok}
                for c, ok in self.legal_consent_responses
            ],
            "likelyAvailableUserIds": list(self.likely_available_user_ids),
        }
        if self.guest_emails:
            body["guestEmails"] = list(self.guest_emails)
        if self.locale:
            body["locale"] = self.locale
        return body


@dataclass(frozen=True, slots=True)
class ValidatedFormField:
    name: str
    label: str
    value: str
    is_custom: bool
    field_type: str | None
    value_label: str | None


@dataclass(frozen=True, slots=True)
class BookingResponse:
    booking_timezone: str
    calendar_event_id: str
    contact_id: str
    duration_ms: int
    start: datetime
    end: datetime
    subject: str
    is_offline: bool
    form_fields: tuple[ValidatedFormField, ...]
    guest_emails: tuple[str, ...]
    legal_consent_responses: tuple[tuple[str, bool], ...]
    locale: str | None
    location: str | None
    web_conference_meeting_id: str | None
    web_conference_url: str | None
    wire: Wire = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: object) -> BookingResponse:
        obj = WireObject(data)
        return cls(
            booking_timezone=obj.text("bookingTimezone"),
            calendar_event_id=obj.text("calendarEventId") if "calendarEventId" in obj.data else "",
            contact_id=obj.text("contactId"),
            duration_ms=obj.integer("duration"),
            start=obj.instant("start"),
            end=obj.instant("end"),
            subject=obj.text("subject"),
            is_offline=obj.flag("isOffline"),
            form_fields=tuple(
                ValidatedFormField(
                    name=f.text("name"),
                    label=f.text("label"),
                    value=f.text("value"),
                    is_custom=f.flag("isCustom"),
                    field_type=f.opt_text("fieldType"),
                    value_label=f.opt_text("valueLabel"),
                )
                for f in obj.objects("formFields")
            ),
            guest_emails=obj.strs("guestEmails"),
            legal_consent_responses=tuple(
                (c.text("communicationTypeId"), c.flag("consented"))
                for c in obj.objects("legalConsentResponses")
            ),
            locale=obj.opt_text("locale"),
            location=obj.opt_text("location"),
            web_conference_meeting_id=obj.opt_text("webConferenceMeetingId"),
            web_conference_url=obj.opt_text("webConferenceUrl"),
            wire=obj.data,
        )
