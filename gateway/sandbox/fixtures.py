"""The sandbox's portal: members and meeting links, read from a JSON fixtures file.

The shipped file is ``gateway/sandbox/fixtures.json``; ``SANDBOX_FIXTURES`` points elsewhere.
A file that breaks any rule below fails at app creation with ``FixtureError``, whose message
names the file, the JSON path and the fault, e.g.
``fixtures.json: links[3].durationsMinutes: expected a non-empty list of positive integers``.

Format (keys in camelCase; "?" marks optional keys, with their default)::

    {
      "linkBaseUrl": "https://meetings.hubspot.com/",    # a link's URL is this + its slug
      "branding": {ExternalBrandingMetadata},              # portal default; logoAltText,
                                                           # showMarketingAd, showSalesAd required
      "members": [{
        "id": "912",                    # the meetings-user id
        "userId": "1234567",            # the HubSpot user id; links refer to members by it
        "email", "firstName", "lastName",
        "calendarProvider": "GOOGLE",   # EXCHANGE | GOOGLE | OFFICE365 | UNKNOWN
        "isOffline"?: false,            # calendar disconnected: bookings get no calendar event
        "isSalesStarter"?: false,
        "timeZone": "America/New_York", # IANA name
        "workingHours": {"MONDAY": ["09:00", "17:00"], ...},   # local wall time, end may be
                                                               # "24:00"; absent day = not working
        "busy"?: [                      # existing commitments, either form:
          {"daysFromToday": 1, "start": "10:00", "end": "11:30"},  # local, relative to today
                                                                   # in the member's zone
          {"start": "2026-11-02T09:00:00+05:30", "end": "2026-11-02T10:00:00+05:30"}
        ]
      }],
      "links": [{
        "id", "slug" (may contain "/"), "name",
        "type": "PERSONAL_LINK" | "GROUP_CALENDAR" | "ROUND_ROBIN_CALENDAR",
        "organizerUserId": "1234567",
        "memberUserIds"?: [organizer],    # the organizer first; a personal link has only them
        "defaultLink"?: false, "createdAt": ISO instant, "updatedAt"?: ISO instant,
        "durationsMinutes": [15, 30, 60],
        "bufferMinutes"?: 0,              # kept free before and after every busy time
        "startIncrement"?: "FIFTEEN",     # HubSpot's enum: FIVE ... ONE_HUNDRED_TWENTY,
                                          # MEETING_DURATION
        "minimumNoticeMinutes"?: 0, "weeksToAdvertise"?: 4 (1-104),
        "customAvailabilityStart"?, "customAvailabilityEnd"?: ISO instants clipping the window,
        "formFields"?: [{"name", "label", "type", "fieldType", "isRequired"?: false,
                         "isCustom"?: false, "options"?: [{"label", "value", "description"?,
                         "displayOrder"?, "hidden"?, "readOnly"?}]}],
                         # select/radio/checkbox need options; firstname, lastname and email
                         # are prepended as required standard fields unless listed
        "guestSettings"?: {"canAddGuests": false, "maxGuestCount": 0},
        "legalConsent"?: {ExternalLegalConsentOptions},   # present = legalConsentEnabled
        "branding"?: {...},               # merged over the portal default
        "locale"?: "en-us", "language"?: "en", "location"?: "", "redirectUrl"?: "",
        "webConferenceUrlBase"?: "https://zoom.us/j/",    # bookings get base + a meeting id
        "ownerPrioritized"?: false, "displayInfo"?: {...}, "welcomeScreenInfo"?: {...},
        "paymentLinkId"?: "..."
      }],
      "generated"?: {                     # extra links so paging is real
        "count": 36, "firstId": 5000001, "slugPrefix": "demo-call-", "namePrefix": "Demo call",
        "organizerUserIds": ["1234567", ...],   # used in turn
        "template": {link keys except id, slug, name and organizerUserId}
      }
    }

Generated link ``n`` (1-based) has id ``firstId + n - 1``, slug ``slugPrefix`` + ``n`` in two
digits, name ``namePrefix n``, organizer ``organizerUserIds[(n - 1) % len]`` and a ``createdAt``
``n - 1`` days after the template's. Generated links follow the explicit ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from gateway.sandbox.engine import MINUTE_MS, Rules, from_ms, to_ms, zone_names

DEFAULT_PATH = Path(__file__).with_name("fixtures.json")

LINK_TYPES = ("GROUP_CALENDAR", "PERSONAL_LINK", "ROUND_ROBIN_CALENDAR")
CALENDAR_PROVIDERS = ("EXCHANGE", "GOOGLE", "OFFICE365", "UNKNOWN")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
START_INCREMENTS: Mapping[str, int | None] = {
    "FIVE": 5,
    "TEN": 10,
    "FIFTEEN": 15,
    "TWENTY": 20,
    "THIRTY": 30,
    "FORTY_FIVE": 45,
    "SIXTY": 60,
    "NINETY": 90,
    "ONE_HUNDRED_TWENTY": 120,
    "MEETING_DURATION": None,
}
CONSENT_TYPES = ("IMPLICIT", "REQUIRED_CHECKBOX")
LEGAL_BASES = (
    "CONSENT_WITH_NOTICE",
    "LEGITIMATE_INTEREST_CLIENT",
    "LEGITIMATE_INTEREST_OTHER",
    "LEGITIMATE_INTEREST_PQL",
    "NON_GDPR",
    "PERFORMANCE_OF_CONTRACT",
    "PROCESS_AND_STORE",
)
AVATAR_OPTIONS = ("COMPANY_LOGO", "CUSTOM_AVATAR", "PROFILE_IMAGE")
OPTION_FIELD_TYPES = frozenset({"select", "radio", "checkbox"})
BRANDING_STRINGS = (
    "logoAltText",
    "accentColor",
    "accent2Color",
    "primaryColor",
    "secondaryColor",
    "companyName",
    "companyDomain",
    "companyAvatar",
    "companyAddressLine1",
    "companyAddressLine2",
    "companyCity",
    "companyState",
    "companyZip",
    "companyCountry",
    "logoUrl",
)
_CLOCK = re.compile(r"(\d{2}):(\d{2})")


class FixtureError(ValueError):
    """A fixtures file breaks the format; the message names the file, the path and the fault."""


@dataclass(frozen=True, slots=True)
class BusyTime:
    """A commitment, either absolute (instants) or relative to today in the member's zone."""

    start_ms: int = 0
    end_ms: int = 0
    days_from_today: int | None = None
    start_minute: int = 0
    end_minute: int = 0


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    user_id: str
    email: str
    first_name: str
    last_name: str
    calendar_provider: str
    is_offline: bool
    is_sales_starter: bool
    time_zone: str
    hours: Mapping[int, tuple[int, int]]
    busy: tuple[BusyTime, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def busy_times(self, now_ms: int) -> list[tuple[int, int]]:
        """The fixture's commitments as instants, relative ones anchored at ``now_ms``."""
        zone = self.zone
        today = from_ms(now_ms, zone).date()
        spans = []
        for busy in self.busy:
            if busy.days_from_today is None:
                spans.append((busy.start_ms, busy.end_ms))
                continue
            day = today + timedelta(days=busy.days_from_today)
            spans.append(
                (
                    _wall_ms(zone, day, busy.start_minute, fold=0),
                    _wall_ms(zone, day, busy.end_minute, fold=1),
                )
            )
        return sorted(spans)


@dataclass(frozen=True, slots=True)
class Option:
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
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    slug: str
    name: str
    type: str
    organizer_user_id: str
    member_user_ids: tuple[str, ...]
    default_link: bool
    created_at_ms: int
    updated_at_ms: int | None
    durations_minutes: tuple[int, ...]
    buffer_minutes: int
    start_increment: str
    minimum_notice_minutes: int
    weeks_to_advertise: int
    custom_start_ms: int | None
    custom_end_ms: int | None
    form_fields: tuple[FormField, ...]
    can_add_guests: bool
    max_guest_count: int
    legal_consent: Mapping[str, Any] | None
    branding: Mapping[str, Any]
    locale: str
    language: str
    location: str
    redirect_url: str
    web_conference_url_base: str | None
    owner_prioritized: bool
    display_info: Mapping[str, Any] | None
    welcome_screen_info: Mapping[str, Any] | None
    payment_link_id: str | None

    @property
    def durations_ms(self) -> tuple[int, ...]:
        return tuple(minutes * MINUTE_MS for minutes in self.durations_minutes)

    @property
    def rules(self) -> Rules:
        return Rules(
            link_type=self.type,
            durations_ms=self.durations_ms,
            increment_minutes=START_INCREMENTS[self.start_increment],
            buffer_ms=self.buffer_minutes * MINUTE_MS,
            minimum_notice_ms=self.minimum_notice_minutes * MINUTE_MS,
            weeks_to_advertise=self.weeks_to_advertise,
            custom_start_ms=self.custom_start_ms,
            custom_end_ms=self.custom_end_ms,
        )


@dataclass(frozen=True, slots=True)
class Fixtures:
    link_base_url: str
    members: Mapping[str, Member]
    links: tuple[Link, ...]
    by_slug: Mapping[str, Link] = field(default_factory=dict)


def load_fixtures(path: Path | None = None) -> Fixtures:
    """Read and check a fixtures file; the shipped one when ``path`` is None."""
    source = path if path is not None else DEFAULT_PATH
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise FixtureError(f"{source}: cannot be read: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FixtureError(f"{source}: not valid JSON: {error}") from None
    return parse_fixtures(document, str(source))


def parse_fixtures(document: object, source: str = "fixtures.json") -> Fixtures:
    root = _Node(document, "", source)
    branding = _branding(root.key("branding"), required=True)
    members: dict[str, Member] = {}
    for node in root.key("members").items(non_empty=True):
        member = _member(node)
        if member.user_id in members:
            node.key("userId").fail(f"duplicate userId {member.user_id!r}")
        members[member.user_id] = member
    context = _LinkContext(members, branding)
    nodes = root.key("links").items(non_empty=True)
    if root.has("generated"):
        nodes += _generated(root.key("generated"))
    links: list[Link] = []
    by_slug: dict[str, Link] = {}
    ids: set[str] = set()
    for node in nodes:
        link = _link(node, context)
        if link.slug in by_slug:
            node.key("slug").fail(f"duplicate slug {link.slug!r}")
        if link.id in ids:
            node.key("id").fail(f"duplicate id {link.id!r}")
        links.append(link)
        by_slug[link.slug] = link
        ids.add(link.id)
    return Fixtures(
        link_base_url=root.key("linkBaseUrl").string(),
        members=members,
        links=tuple(links),
        by_slug=by_slug,
    )


_MISSING = object()


class _Node:
    """A JSON value with its path, so every complaint can say where it is."""

    def __init__(self, value: object, path: str, source: str) -> None:
        self.value = value
        self.path = path
        self.source = source

    def fail(self, problem: str) -> NoReturn:
        where = f"{self.path}: " if self.path else ""
        raise FixtureError(f"{self.source}: {where}{problem}")

    def has(self, name: str) -> bool:
        return isinstance(self.value, dict) and name in self.value

    def key(self, name: str) -> _Node:
        if not isinstance(self.value, dict):
            self.fail("expected an object")
        path = f"{self.path}.{name}" if self.path else name
        return _Node(self.value.get(name, _MISSING), path, self.source)

    def at(self, index: int) -> _Node:
        assert isinstance(self.value, list)
        return _Node(self.value[index], f"{self.path}[{index}]", self.source)

    def items(self, *, non_empty: bool = False) -> list[_Node]:
        if not isinstance(self.value, list) or (non_empty and not self.value):
            self.fail("expected a non-empty list" if non_empty else "expected a list")
        return [self.at(index) for index in range(len(self.value))]

    def entries(self) -> Iterator[tuple[str, _Node]]:
        if not isinstance(self.value, dict):
            self.fail("expected an object")
        for name in self.value:
            yield name, self.key(name)

    def string(self, *, empty: bool = False) -> str:
        if not isinstance(self.value, str) or (not empty and not self.value):
            self.fail("expected a string" if empty else "expected a non-empty string")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail("expected true or false")
        return self.value

    def integer(self, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.value
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            if maximum is None:
                self.fail(f"expected an integer of at least {minimum}")
            self.fail(f"expected an integer between {minimum} and {maximum}")
        return value

    def choice(self, allowed: tuple[str, ...] | Mapping[str, object]) -> str:
        if not isinstance(self.value, str) or self.value not in allowed:
            self.fail(f"expected one of {', '.join(allowed)}")
        return self.value

    def instant(self) -> int:
        try:
            parsed = datetime.fromisoformat(self.value) if isinstance(self.value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.utcoffset() is None:
            self.fail("expected an ISO-8601 instant with an offset")
        return to_ms(parsed)

    def clock(self) -> int:
        match = _CLOCK.fullmatch(self.value) if isinstance(self.value, str) else None
        if match is None:
            self.fail('expected a local time "HH:MM"')
        hours, minutes = int(match[1]), int(match[2])
        if minutes > 59 or hours * 60 + minutes > 1440:
            self.fail('expected a local time between "00:00" and "24:00"')
        return hours * 60 + minutes

    def optional(self, name: str) -> _Node | None:
        return self.key(name) if self.has(name) else None


@dataclass(frozen=True, slots=True)
class _LinkContext:
    members: Mapping[str, Member]
    branding: Mapping[str, Any]


def _member(node: _Node) -> Member:
    zone_name = node.key("timeZone").string()
    if zone_name not in zone_names():
        node.key("timeZone").fail(f"unknown IANA time zone {zone_name!r}")
    hours: dict[int, tuple[int, int]] = {}
    for day, span in node.key("workingHours").entries():
        if day not in WEEKDAYS:
            span.fail(f"expected a weekday name, one of {', '.join(WEEKDAYS)}")
        bounds = span.items()
        if len(bounds) != 2:
            span.fail('expected ["HH:MM", "HH:MM"]')
        opening, closing = bounds[0].clock(), bounds[1].clock()
        if opening >= closing:
            span.fail("expected the end after the start")
        hours[WEEKDAYS.index(day)] = (opening, closing)
    busy = tuple(_busy(item) for item in (node.key("busy").items() if node.has("busy") else []))
    return Member(
        id=node.key("id").string(),
        user_id=node.key("userId").string(),
        email=node.key("email").string(),
        first_name=node.key("firstName").string(),
        last_name=node.key("lastName").string(),
        calendar_provider=node.key("calendarProvider").choice(CALENDAR_PROVIDERS),
        is_offline=_flag(node, "isOffline"),
        is_sales_starter=_flag(node, "isSalesStarter"),
        time_zone=zone_name,
        hours=hours,
        busy=busy,
    )


def _busy(node: _Node) -> BusyTime:
    if node.has("daysFromToday"):
        start, end = node.key("start").clock(), node.key("end").clock()
        if start >= end:
            node.key("end").fail("expected the end after the start")
        return BusyTime(
            days_from_today=node.key("daysFromToday").integer(-366, 366),
            start_minute=start,
            end_minute=end,
        )
    start_ms, end_ms = node.key("start").instant(), node.key("end").instant()
    if start_ms >= end_ms:
        node.key("end").fail("expected the end after the start")
    return BusyTime(start_ms=start_ms, end_ms=end_ms)


def _link(node: _Node, context: _LinkContext) -> Link:
    link_type = node.key("type").choice(LINK_TYPES)
    organizer = node.key("organizerUserId").string()
    if organizer not in context.members:
        node.key("organizerUserId").fail(f"no member has userId {organizer!r}")
    members = [organizer]
    if node.has("memberUserIds"):
        listed = [item.string() for item in node.key("memberUserIds").items(non_empty=True)]
        for user_id in listed:
            if user_id not in context.members:
                node.key("memberUserIds").fail(f"no member has userId {user_id!r}")
        if listed[0] != organizer or len(set(listed)) != len(listed):
            node.key("memberUserIds").fail("expected distinct userIds, the organizer first")
        members = listed
    if link_type == "PERSONAL_LINK" and len(members) != 1:
        node.key("memberUserIds").fail("a PERSONAL_LINK has only its organizer")
    durations = node.key("durationsMinutes")
    values = durations.value
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1440 for v in values)
        or len(set(values)) != len(values)
    ):
        durations.fail("expected a non-empty list of positive integers")
    guests = node.optional("guestSettings")
    can_add_guests = guests.key("canAddGuests").boolean() if guests else False
    max_guests = guests.key("maxGuestCount").integer(0, 100) if guests else 0
    custom_start = (
        node.key("customAvailabilityStart").instant()
        if node.has("customAvailabilityStart")
        else None
    )
    custom_end = (
        node.key("customAvailabilityEnd").instant() if node.has("customAvailabilityEnd") else None
    )
    if custom_start is not None and custom_end is not None and custom_start >= custom_end:
        node.key("customAvailabilityEnd").fail("expected the end after the start")
    branding = dict(context.branding)
    if node.has("branding"):
        branding.update(_branding(node.key("branding"), required=False))
    return Link(
        id=node.key("id").string(),
        slug=_slug(node.key("slug")),
        name=node.key("name").string(),
        type=link_type,
        organizer_user_id=organizer,
        member_user_ids=tuple(members),
        default_link=_flag(node, "defaultLink"),
        created_at_ms=node.key("createdAt").instant(),
        updated_at_ms=node.key("updatedAt").instant() if node.has("updatedAt") else None,
        durations_minutes=tuple(sorted(values)),
        buffer_minutes=_number(node, "bufferMinutes", 0, 0, 1440),
        start_increment=node.key("startIncrement").choice(START_INCREMENTS)
        if node.has("startIncrement")
        else "FIFTEEN",
        minimum_notice_minutes=_number(node, "minimumNoticeMinutes", 0, 0, 525_600),
        weeks_to_advertise=_number(node, "weeksToAdvertise", 4, 1, 104),
        custom_start_ms=custom_start,
        custom_end_ms=custom_end,
        form_fields=_form_fields(node),
        can_add_guests=can_add_guests,
        max_guest_count=max_guests,
        legal_consent=_legal_consent(node.key("legalConsent"))
        if node.has("legalConsent")
        else None,
        branding=branding,
        locale=_text(node, "locale", "en-us"),
        language=_text(node, "language", "en"),
        location=_text(node, "location", ""),
        redirect_url=_text(node, "redirectUrl", ""),
        web_conference_url_base=node.key("webConferenceUrlBase").string()
        if node.has("webConferenceUrlBase")
        else None,
        owner_prioritized=_flag(node, "ownerPrioritized"),
        display_info=_display_info(node.key("displayInfo")) if node.has("displayInfo") else None,
        welcome_screen_info=_welcome(node.key("welcomeScreenInfo"))
        if node.has("welcomeScreenInfo")
        else None,
        payment_link_id=node.key("paymentLinkId").string() if node.has("paymentLinkId") else None,
    )


def _slug(node: _Node) -> str:
    slug = node.string()
    if slug.startswith("/") or slug.endswith("/") or "//" in slug or any(c.isspace() for c in slug):
        node.fail("expected a slug without spaces, leading, trailing or doubled slashes")
    return slug


def _generated(node: _Node) -> list[_Node]:
    count = node.key("count").integer(1, 500)
    first_id = node.key("firstId").integer(1)
    slug_prefix = node.key("slugPrefix").string()
    name_prefix = node.key("namePrefix").string()
    organizers = [item.string() for item in node.key("organizerUserIds").items(non_empty=True)]
    template = node.key("template")
    if not isinstance(template.value, dict):
        template.fail("expected an object")
    created = template.key("createdAt").instant()
    generated = []
    for number in range(1, count + 1):
        link = dict(template.value)
        link.update(
            id=str(first_id + number - 1),
            slug=f"{slug_prefix}{number:02d}",
            name=f"{name_prefix} {number}",
            organizerUserId=organizers[(number - 1) % len(organizers)],
            createdAt=_iso(created + (number - 1) * 86_400_000),
        )
        generated.append(_Node(link, f"{node.path}.template (link {number})", node.source))
    return generated


def _form_fields(node: _Node) -> tuple[FormField, ...]:
    fields: list[FormField] = []
    for item in node.key("formFields").items() if node.has("formFields") else []:
        field_type = item.key("fieldType").string()
        options: list[Option] = []
        if item.has("options"):
            for order, option in enumerate(item.key("options").items()):
                options.append(
                    Option(
                        label=option.key("label").string(),
                        value=option.key("value").string(),
                        description=_text(option, "description", ""),
                        display_order=_number(option, "displayOrder", order, 0, 10_000),
                        hidden=_flag(option, "hidden"),
                        read_only=_flag(option, "readOnly"),
                    )
                )
        if field_type in OPTION_FIELD_TYPES and not options:
            item.key("options").fail(f"a {field_type} field needs a non-empty list of options")
        name = item.key("name").string()
        if any(existing.name == name for existing in fields):
            item.key("name").fail(f"duplicate form field {name!r}")
        fields.append(
            FormField(
                name=name,
                label=item.key("label").string(),
                type=item.key("type").string(),
                field_type=field_type,
                is_required=_flag(item, "isRequired"),
                is_custom=_flag(item, "isCustom"),
                options=tuple(options),
            )
        )
    standard = [
        FormField("firstname", "First name", "string", "text", True, False),
        FormField("lastname", "Last name", "string", "text", True, False),
        FormField("email", "Email", "string", "text", True, False),
    ]
    listed = {form_field.name for form_field in fields}
    return tuple([field for field in standard if field.name not in listed] + fields)


def _legal_consent(node: _Node) -> dict[str, Any]:
    checkboxes = [
        {
            "communicationTypeId": box.key("communicationTypeId").string(),
            "label": box.key("label").string(),
            "required": box.key("required").boolean(),
        }
        for box in node.key("communicationConsentCheckboxes").items()
    ]
    subscription_types = (
        [item.integer() for item in node.key("legitimateInterestSubscriptionTypes").items()]
        if node.has("legitimateInterestSubscriptionTypes")
        else []
    )
    consent: dict[str, Any] = {
        "communicationConsentCheckboxes": checkboxes,
        "communicationConsentText": node.key("communicationConsentText").string(empty=True),
        "isLegitimateInterest": _flag(node, "isLegitimateInterest"),
        "legitimateInterestSubscriptionTypes": subscription_types,
        "privacyPolicyText": node.key("privacyPolicyText").string(empty=True),
        "processingConsentCheckboxLabel": node.key("processingConsentCheckboxLabel").string(
            empty=True
        ),
        "processingConsentFooterText": "",
        "processingConsentText": node.key("processingConsentText").string(empty=True),
        "processingConsentType": node.key("processingConsentType").choice(CONSENT_TYPES),
    }
    if node.has("legitimateInterestLegalBasis"):
        consent["legitimateInterestLegalBasis"] = node.key("legitimateInterestLegalBasis").choice(
            LEGAL_BASES
        )
    return consent


def _branding(node: _Node, *, required: bool) -> dict[str, Any]:
    branding: dict[str, Any] = {}
    for name, value in node.entries():
        if name in BRANDING_STRINGS:
            branding[name] = value.string(empty=True)
        elif name in ("showMarketingAd", "showSalesAd"):
            branding[name] = value.boolean()
        elif name in ("logoHeight", "logoWidth"):
            branding[name] = value.integer(0, 10_000)
        else:
            value.fail("not a field of ExternalBrandingMetadata")
    if required:
        for name in ("logoAltText", "showMarketingAd", "showSalesAd"):
            if name not in branding:
                node.key(name).fail("required")
    return branding


def _display_info(node: _Node) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for name, value in node.entries():
        if name in ("avatar", "companyAvatar", "headline"):
            info[name] = value.string(empty=True)
        elif name == "publicDisplayAvatarOption":
            info[name] = value.choice(AVATAR_OPTIONS)
        else:
            value.fail("not a field of ExternalLinkDisplayInfo")
    return info


def _welcome(node: _Node) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for name, value in node.entries():
        if name in ("title", "description", "logoUrl"):
            info[name] = value.string(empty=True)
        elif name in ("useCompanyLogo", "showWelcomeScreen"):
            info[name] = value.boolean()
        else:
            value.fail("not a field of ExternalMeetingsWelcomeScreenInfo")
    return info


def _flag(node: _Node, name: str) -> bool:
    return node.key(name).boolean() if node.has(name) else False


def _text(node: _Node, name: str, default: str) -> str:
    return node.key(name).string(empty=True) if node.has(name) else default


def _number(node: _Node, name: str, default: int, minimum: int, maximum: int) -> int:
    return node.key(name).integer(minimum, maximum) if node.has(name) else default


def _wall_ms(zone: ZoneInfo, day: date, minute: int, *, fold: int) -> int:
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return to_ms(wall.replace(tzinfo=zone, fold=fold))


def _iso(instant_ms: int) -> str:
    return from_ms(instant_ms).strftime("%Y-%m-%dT%H:%M:%S+00:00")
