"""Booking a meeting: HubSpot's checks, in HubSpot's order, then the confirmation.

``POST /scheduler/{version}/meetings/meeting-links/book`` checks, first failure wins:

====  =====================================================  ==============================
HTTP  case                                                   subCategory / errors[0].code
====  =====================================================  ==============================
400   body not a JSON object                                 code INVALID_JSON, in ``body``
404   ``slug`` names no link (message ``slug does not        code SLUG_NOT_FOUND
      exist``, category OBJECT_NOT_FOUND)
400   a required field missing or of the wrong type,         code REQUIRED / INVALID_TYPE /
      empty firstName/lastName, a startTime that is not a    INVALID_DATE_TIME /
      date-time, an unknown time zone                        INVALID_TIME_ZONE, in <field>
400   duration not offered                                   MeetingsBookingSchedulingError.
                                                             MEETING_DURATION_NOT_VALID
400   start not an offered slot at this moment               MeetingsBookingSchedulingError.
                                                             MEETING_START_TIME_NOT_VALID
400   a required form field without a value                  MeetingsBookingValidationError.
                                                             MISSING_REQUIRED_FORM_FIELD
400   a select/radio/checkbox value not among the options    ....INVALID_FORM_FIELD_VALUE
400   booker's email invalid, or at example.com/.net/.org    ....INVALID_EMAIL
400   guests on a link without guests, too many, or invalid  ....INVALID_EMAIL_GUESTS
400   a required consent checkbox not consented              ....MISSING_REQUIRED_CONSENT
====  =====================================================  ==============================

Every 400 has category VALIDATION_ERROR; the booking-rule codes sit in ``subCategory`` with
the family prefix (``....`` is ``MeetingsBookingValidationError.``) and bare in
``errors[0].code``; ``errors[0].in`` names the field (a form field by its name).

``startTime`` is an ISO-8601 date-time with an offset or a number of epoch milliseconds.
The booker's time zone is the body's ``timezone``, else the ``?timezone=`` query, else the
organizer's. A round-robin meeting goes to the first member of ``likelyAvailableUserIds`` who is
free, else to the first free member in the link's order; a group meeting to every member.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.sandbox.engine import GROUP_CALENDAR, ROUND_ROBIN_CALENDAR, hosts, to_ms, zone_names
from gateway.sandbox.errors import (
    BOOKING_VALIDATION,
    SCHEDULING,
    SandboxError,
    booking_rejected,
    invalid,
    slug_not_found,
)
from gateway.sandbox.fixtures import OPTION_FIELD_TYPES, FormField, Link
from gateway.sandbox.payloads import iso_utc
from gateway.sandbox.store import Store

# The last millisecond of year 9999, which is as far as datetime goes.
LAST_MS = 253_402_300_799_999
SPAM_DOMAINS = ("example.com", "example.net", "example.org")
STANDARD_FIELDS = ("firstname", "lastname", "email")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """An ``ExternalMeetingBooking`` whose fields have the right types."""

    slug: str
    first_name: str
    last_name: str
    email: str
    start_ms: int
    duration_ms: int
    time_zone: str | None
    locale: str | None
    form_fields: tuple[tuple[str, str], ...]
    consents: tuple[tuple[str, bool], ...]
    likely_user_ids: tuple[str, ...]
    guest_emails: tuple[str, ...]


def read_booking(body: bytes, query_time_zone: str | None, store: Store) -> BookingRequest:
    """Parse a booking body; raises ``SandboxError`` for the first fault found."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise invalid("The request body is not valid JSON.", "body", "INVALID_JSON") from None
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.", "body", "INVALID_JSON")
    slug = data.get("slug")
    if isinstance(slug, str) and store.link(slug) is None:
        raise slug_not_found(slug)
    fields = _Fields(data)
    return BookingRequest(
        slug=fields.string("slug"),
        first_name=fields.string("firstName", non_empty=True),
        last_name=fields.string("lastName", non_empty=True),
        email=fields.string("email"),
        start_ms=_start_time(data),
        duration_ms=_duration(data),
        time_zone=_time_zone(data, query_time_zone),
        locale=fields.optional_string("locale"),
        form_fields=tuple(
            (item.string("name"), item.string("value")) for item in fields.objects("formFields")
        ),
        consents=tuple(
            (item.string("communicationTypeId"), item.boolean("consented"))
            for item in fields.objects("legalConsentResponses")
        ),
        likely_user_ids=fields.strings("likelyAvailableUserIds"),
        guest_emails=fields.strings("guestEmails", required=False),
    )


async def book(store: Store, request: BookingRequest) -> dict[str, Any]:
    """Check the booking against the link and, when it passes, commit it atomically."""
    async with store.booking_lock:
        link = store.link(request.slug)
        if link is None:
            raise slug_not_found(request.slug)
        if request.duration_ms not in link.durations_ms:
            offered = ", ".join(str(duration) for duration in link.durations_ms)
            raise booking_rejected(
                f"Meeting duration {request.duration_ms} is not valid; offered: {offered}.",
                SCHEDULING,
                "MEETING_DURATION_NOT_VALID",
                "duration",
            )
        now_ms = store.now_ms()
        calendars = store.calendars(link, now_ms)
        free = hosts(link.rules, calendars, now_ms, request.start_ms, request.duration_ms)
        if not free:
            raise booking_rejected(
                "Start time must be contained in availability settings",
                SCHEDULING,
                "MEETING_START_TIME_NOT_VALID",
                "startTime",
            )
        form_values = _form_values(link, request)
        _check_email(request.email)
        _check_guests(link, request.guest_emails)
        _check_consent(link, request.consents)
        chosen = _choose_hosts(link, free, request.likely_user_ids)
        end_ms = request.start_ms + request.duration_ms
        store.book(chosen, request.start_ms, end_ms)
        return _confirmation(store, link, request, chosen, form_values, end_ms)


class _Fields:
    """A JSON object read field by field, each fault a 400 naming the field."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def where(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def value(self, name: str, *, required: bool = True) -> Any:
        if name not in self.data or self.data[name] is None:
            if required:
                raise invalid(f"{self.where(name)} is required.", self.where(name), "REQUIRED")
            return None
        return self.data[name]

    def string(self, name: str, *, non_empty: bool = False) -> str:
        value = self.value(name)
        if not isinstance(value, str):
            raise _wrong_type(self.where(name), "a string")
        if non_empty and not value.strip():
            raise invalid(f"{self.where(name)} must not be empty.", self.where(name), "REQUIRED")
        return value

    def optional_string(self, name: str) -> str | None:
        value = self.value(name, required=False)
        if value is not None and not isinstance(value, str):
            raise _wrong_type(self.where(name), "a string")
        return value

    def boolean(self, name: str) -> bool:
        value = self.value(name)
        if not isinstance(value, bool):
            raise _wrong_type(self.where(name), "true or false")
        return value

    def strings(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.value(name, required=required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _wrong_type(self.where(name), "a list of strings")
        return tuple(value)

    def objects(self, name: str) -> list[_Fields]:
        value = self.value(name)
        if not isinstance(value, list):
            raise _wrong_type(self.where(name), "a list of objects")
        items = []
        for index, item in enumerate(value):
            where = f"{self.where(name)}[{index}]"
            if not isinstance(item, dict):
                raise _wrong_type(where, "an object")
            items.append(_Fields(item, f"{where}."))
        return items


def _wrong_type(field: str, expected: str) -> SandboxError:
    return invalid(f"{field} must be {expected}.", field, "INVALID_TYPE")


def _start_time(data: Mapping[str, Any]) -> int:
    value = _Fields(data).value("startTime")
    message = "startTime must be an ISO-8601 date-time with an offset, or epoch milliseconds."
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.utcoffset() is not None:
                instant = to_ms(parsed)
                if 0 <= instant <= LAST_MS:
                    return instant
        except (ValueError, OverflowError):
            pass
    elif _is_whole_number(value) and 0 <= value <= LAST_MS:
        return int(value)
    raise invalid(message, "startTime", "INVALID_DATE_TIME")


def _duration(data: Mapping[str, Any]) -> int:
    value = _Fields(data).value("duration")
    if not _is_whole_number(value):
        raise _wrong_type("duration", "an integer number of milliseconds")
    return int(value)


def _is_whole_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _time_zone(data: Mapping[str, Any], query_time_zone: str | None) -> str | None:
    value = data.get("timezone")
    field = "timezone"
    if value is None:
        value, field = query_time_zone, "query.timezone"
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong_type(field, "a string")
    if value not in zone_names():
        raise invalid(f"{value!r} is not a known IANA time zone.", field, "INVALID_TIME_ZONE")
    return value


def _form_values(link: Link, request: BookingRequest) -> dict[str, str]:
    given = dict(request.form_fields)
    given.update(firstname=request.first_name, lastname=request.last_name, email=request.email)
    for field in link.form_fields:
        if field.is_required and not given.get(field.name, "").strip():
            raise booking_rejected(
                f"required form field {field.name} does not have a corresponding value",
                BOOKING_VALIDATION,
                "MISSING_REQUIRED_FORM_FIELD",
                field.name,
            )
    for field in link.form_fields:
        value = given.get(field.name, "")
        if field.field_type in OPTION_FIELD_TYPES and value:
            allowed = {option.value for option in field.options}
            chosen = value.split(";") if field.field_type == "checkbox" else [value]
            if not set(chosen) <= allowed:
                raise booking_rejected(
                    f"form field {field.name} has no option {value!r}",
                    BOOKING_VALIDATION,
                    "INVALID_FORM_FIELD_VALUE",
                    field.name,
                )
    return given


def is_valid_email(address: str) -> bool:
    """Syntax, plus HubSpot's spam filter, which refuses the reserved example domains."""
    if len(address) > 254 or _EMAIL.fullmatch(address) is None:
        return False
    domain = address.rsplit("@", 1)[1].lower()
    return not any(domain == spam or domain.endswith(f".{spam}") for spam in SPAM_DOMAINS)


def _check_email(email: str) -> None:
    if not is_valid_email(email):
        raise booking_rejected(
            f"{email!r} is not a valid email address.", BOOKING_VALIDATION, "INVALID_EMAIL", "email"
        )


def _check_guests(link: Link, guest_emails: tuple[str, ...]) -> None:
    if not guest_emails:
        return
    if not link.can_add_guests:
        problem = "This meeting link does not allow guests."
    elif len(guest_emails) > link.max_guest_count:
        problem = f"At most {link.max_guest_count} guests may be added."
    elif not all(is_valid_email(guest) for guest in guest_emails):
        problem = "One or more guest email addresses are not valid."
    else:
        return
    raise booking_rejected(problem, BOOKING_VALIDATION, "INVALID_EMAIL_GUESTS", "guestEmails")


def _check_consent(link: Link, consents: tuple[tuple[str, bool], ...]) -> None:
    if link.legal_consent is None:
        return
    consented = {type_id for type_id, agreed in consents if agreed}
    for checkbox in link.legal_consent["communicationConsentCheckboxes"]:
        if checkbox["required"] and checkbox["communicationTypeId"] not in consented:
            raise booking_rejected(
                f"consent {checkbox['communicationTypeId']} is required to book this meeting",
                BOOKING_VALIDATION,
                "MISSING_REQUIRED_CONSENT",
                "legalConsentResponses",
            )


def _choose_hosts(link: Link, free: list[str], likely: tuple[str, ...]) -> list[str]:
    if link.type == GROUP_CALENDAR:
        return free
    if link.type == ROUND_ROBIN_CALENDAR:
        preferred = [user_id for user_id in likely if user_id in free]
        return [preferred[0] if preferred else free[0]]
    return free[:1]


def _confirmation(
    store: Store,
    link: Link,
    request: BookingRequest,
    chosen: list[str],
    form_values: Mapping[str, str],
    end_ms: int,
) -> dict[str, Any]:
    members = [store.fixtures.members[user_id] for user_id in chosen]
    lead = members[0]
    names = [f"{request.first_name} {request.last_name}".strip()]
    names += [member.full_name for member in members]
    subject = ", ".join(names[:-1]) + " and " + names[-1]
    confirmation: dict[str, Any] = {
        "bookingTimezone": request.time_zone
        or store.fixtures.members[link.organizer_user_id].time_zone,
        "calendarEventId": "" if lead.is_offline else f"{store.random.getrandbits(96):024x}",
        "contactId": _contact_id(request.email),
        "duration": request.duration_ms,
        "start": iso_utc(request.start_ms),
        "end": iso_utc(end_ms),
        "subject": subject,
        "isOffline": lead.is_offline,
        "formFields": [
            _validated_field(field, form_values[field.name])
            for field in link.form_fields
            if form_values.get(field.name)
        ],
        "guestEmails": list(request.guest_emails),
        "legalConsentResponses": [
            {"communicationTypeId": type_id, "consented": agreed}
            for type_id, agreed in request.consents
        ],
        "locale": request.locale or link.locale,
    }
    if link.location:
        confirmation["location"] = link.location
    if link.web_conference_url_base is not None and not lead.is_offline:
        meeting_id = str(store.random.randrange(10**9, 10**10))
        confirmation["webConferenceMeetingId"] = meeting_id
        confirmation["webConferenceUrl"] = f"{link.web_conference_url_base}{meeting_id}"
    return confirmation


def _validated_field(field: FormField, value: str) -> dict[str, Any]:
    """An ``ExternalValidatedFormField``."""
    validated: dict[str, Any] = {
        "name": field.name,
        "label": field.label,
        "value": value,
        "isCustom": field.is_custom,
        "fieldType": field.field_type,
    }
    labels = {option.value: option.label for option in field.options}
    if value in labels:
        validated["valueLabel"] = labels[value]
    return validated


def _contact_id(email: str) -> str:
    """The same email always maps to the same contact, across resets and apps."""
    digest = hashlib.sha256(email.strip().lower().encode()).digest()
    return str(int.from_bytes(digest[:5], "big"))
