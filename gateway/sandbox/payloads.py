"""The JSON bodies of HubSpot's Meetings responses, the same at every API version, built from
fixtures and engine results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.sandbox.engine import MonthPage, from_ms
from gateway.sandbox.fixtures import WEEKDAYS, FormField, Link, Member


def link_metadata(link: Link, link_base_url: str) -> dict[str, Any]:
    """An ``ExternalLinkMetadata``."""
    metadata: dict[str, Any] = {
        "id": link.id,
        "slug": link.slug,
        "link": f"{link_base_url}{link.slug}",
        "name": link.name,
        "type": link.type,
        "organizerUserId": link.organizer_user_id,
        "userIdsOfLinkMembers": list(link.member_user_ids),
        "defaultLink": link.default_link,
        "createdAt": iso_utc(link.created_at_ms),
    }
    if link.updated_at_ms is not None:
        metadata["updatedAt"] = iso_utc(link.updated_at_ms)
    if link.payment_link_id is not None:
        metadata["paymentLinkId"] = link.payment_link_id
    return metadata


def meetings_user(member: Member) -> dict[str, Any]:
    """An ``ExternalMeetingsUser``."""
    return {
        "id": member.id,
        "userId": member.user_id,
        "isSalesStarter": member.is_sales_starter,
        "calendarProvider": member.calendar_provider,
        "userProfile": {
            "email": member.email,
            "firstName": member.first_name,
            "lastName": member.last_name,
            "fullName": member.full_name,
        },
    }


def user_busy_times(
    member: Member, busy: Sequence[tuple[int, int]], start_ms: int, end_ms: int
) -> dict[str, Any]:
    """An ``ExternalUserBusyTimes`` holding the busy times that overlap the page."""
    return {
        "isOffline": member.is_offline,
        "meetingsUser": meetings_user(member),
        "busyTimes": [
            {"start": start, "end": end} for start, end in busy if start < end_ms and end > start_ms
        ],
    }


def link_availability(page: MonthPage) -> dict[str, Any]:
    """An ``ExternalLinkAvailability``: keys are durations in milliseconds, as decimal strings."""
    return {
        "hasMore": page.has_more,
        "linkAvailabilityByDuration": {
            str(duration): {
                "meetingDurationMillis": duration,
                "availabilities": [
                    {"startMillisUtc": start, "endMillisUtc": start + duration} for start in starts
                ],
            }
            for duration, starts in page.starts_by_duration.items()
        },
    }


def link_settings(link: Link, organizer: Member) -> dict[str, Any]:
    """An ``ExternalMeetingsLinkSettings`` (``customParams``).

    ``availability`` is the organizer's working hours, keyed by weekday name, in minutes
    after local midnight.
    """
    settings: dict[str, Any] = {
        "availability": {
            WEEKDAYS[day]: {"start": opening, "end": closing}
            for day, (opening, closing) in sorted(organizer.hours.items())
        },
        "durations": list(link.durations_ms),
        "meetingBufferTime": link.buffer_minutes * 60_000,
        "startTimeIncrementMinutes": link.start_increment,
        "weeksToAdvertise": link.weeks_to_advertise,
        "ownerPrioritized": link.owner_prioritized,
        "legalConsentEnabled": link.legal_consent is not None,
        "formFields": [form_field(field) for field in link.form_fields],
        "guestSettings": {
            "canAddGuests": link.can_add_guests,
            "maxGuestCount": link.max_guest_count,
        },
        "language": link.language,
        "locale": link.locale,
        "location": link.location,
        "redirectUrl": link.redirect_url,
    }
    if link.legal_consent is not None:
        settings["legalConsentOptions"] = dict(link.legal_consent)
    if link.custom_start_ms is not None:
        settings["customAvailabilityStartDate"] = link.custom_start_ms
    if link.custom_end_ms is not None:
        settings["customAvailabilityEndDate"] = link.custom_end_ms
    if link.display_info is not None:
        settings["displayInfo"] = dict(link.display_info)
    if link.welcome_screen_info is not None:
        settings["welcomeScreenInfo"] = dict(link.welcome_screen_info)
    return settings


def form_field(field: FormField) -> dict[str, Any]:
    """An ``ExternalLinkFormField``."""
    return {
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "fieldType": field.field_type,
        "isRequired": field.is_required,
        "isCustom": field.is_custom,
        "options": [
            {
                "label": option.label,
                "value": option.value,
                "description": option.description,
                "displayOrder": option.display_order,
                "hidden": option.hidden,
                "readOnly": option.read_only,
                "doubleData": 0,
            }
            for option in field.options
        ],
    }


def iso_utc(instant_ms: int) -> str:
    """ISO-8601 in UTC with a ``Z``, milliseconds only when there are any."""
    seconds, millis = divmod(instant_ms, 1000)
    text = from_ms(seconds * 1000).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
