"""Reading HubSpot's query parameters and booking body, refusing bad input before any read.

Every fault raises a 400 VALIDATION_ERROR ``ErrorAnswer`` naming the parameter or field
(``errors[0].in``) with a code, so bad input never costs an upstream call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.hubspot.models import HUBSPOT_LINK_TYPES, LinkType
from gateway.meetings.booking import MAX_LIST, MAX_TEXT, BookingCommand
from gateway.meetings.slugs import slug_problem
from gateway.meetings.zones import is_iana_name
from gateway.rest.errors import IDEMPOTENCY_HEADER, invalid

MAX_BODY_BYTES = 256 * 1024
MAX_IDEMPOTENCY_KEY = 255
# monthOffset pages beyond this hold nothing: no link advertises time years ahead.
MAX_MONTH_OFFSET = 36
MINUTE_MS = 60_000
INT64_MAX = 2**63 - 1
# The service adds to a start instant, so keep clear of datetime's end (year 9999).
LATEST_START_MS = 253_370_764_800_000  # 9998-12-31T00:00:00Z
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_BOOKER_ZONE = "UTC"
_DIGITS = re.compile(r"[0-9]{1,10}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")


def time_zone(value: str | None) -> str:
    """The required ``timezone`` query parameter."""
    zone = optional_time_zone(value, "timezone")
    if zone is None:
        raise invalid("timezone is required.", "timezone", "REQUIRED")
    return zone


def optional_time_zone(value: str | None, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not is_iana_name(value):
        raise invalid(
            f"{where} must be an IANA time zone name such as America/New_York.",
            where,
            "INVALID_TIME_ZONE",
        )
    return value


def integer(value: str | None, name: str, *, default: int, minimum: int, maximum: int) -> int:
    if value is None:
        return default
    if _DIGITS.fullmatch(value) is None or not minimum <= int(value) <= maximum:
        raise invalid(
            f"{name} must be an integer from {minimum} to {maximum}.", name, "INVALID_INTEGER"
        )
    return int(value)


def text(value: str | None, name: str) -> str | None:
    if value is not None and len(value) > MAX_TEXT:
        raise invalid(f"{name} is longer than {MAX_TEXT} characters.", name, "TOO_LONG")
    return value


def slug(value: str) -> str:
    if not value:
        raise invalid("slug is required.", "slug", "REQUIRED")
    text(value, "slug")
    problem = slug_problem(value)
    if problem is not None:
        raise invalid(f"{problem}.", "slug", "INVALID_SLUG")
    return value


def link_type(value: str | None) -> LinkType | None:
    if value is None:
        return None
    if value not in HUBSPOT_LINK_TYPES:
        names = ", ".join(HUBSPOT_LINK_TYPES)
        raise invalid(f"type must be one of {names}.", "type", "INVALID_ENUM")
    return LinkType(value)


def idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_IDEMPOTENCY_KEY or _IDEMPOTENCY_KEY.fullmatch(value) is None:
        raise invalid(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters.",
            IDEMPOTENCY_HEADER,
            "INVALID_IDEMPOTENCY_KEY",
        )
    return value


def booking_command(raw: bytes, query_zone: str | None, key: str | None) -> BookingCommand:
    """An ``ExternalMeetingBooking`` body as the service's command.

    ``startTime`` is ISO-8601 with an offset or epoch milliseconds (HubSpot books both);
    ``duration`` is milliseconds, a whole number of minutes. The booker's zone is the body's
    ``timezone``, else the ``?timezone=`` query, else UTC (the command needs one)."""
    if len(raw) > MAX_BODY_BYTES:
        raise invalid(f"The request body is over {MAX_BODY_BYTES} bytes.", "body", "TOO_LARGE")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid("The request body is not valid JSON.", "body", "INVALID_JSON") from None
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.", "body", "INVALID_JSON")
    body = _Fields(data)
    zone = optional_time_zone(body.optional_string("timezone"), "timezone") or optional_time_zone(
        query_zone, "timezone"
    )
    return BookingCommand(
        slug=slug(body.string("slug")),
        start=_start_time(body.value("startTime")),
        duration_minutes=_duration_minutes(body.value("duration")),
        timezone=zone or DEFAULT_BOOKER_ZONE,
        first_name=body.string("firstName"),
        last_name=body.string("lastName"),
        email=body.string("email"),
        guest_emails=body.strings("guestEmails", required=False),
        locale=body.optional_string("locale"),
        form_fields=tuple(
            (item.string("name"), item.string("value")) for item in body.objects("formFields")
        ),
        legal_consent_responses=tuple(
            (item.string("communicationTypeId"), item.boolean("consented"))
            for item in body.objects("legalConsentResponses")
        ),
        likely_available_user_ids=body.strings("likelyAvailableUserIds"),
        idempotency_key=key,
    )


def _start_time(value: object) -> datetime:
    problem = invalid(
        "startTime must be an ISO-8601 date-time with an offset or epoch milliseconds.",
        "startTime",
        "INVALID_DATE_TIME",
    )
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= LATEST_START_MS:
            raise problem
        return EPOCH + timedelta(milliseconds=value)
    if not isinstance(value, str) or len(value) > 40 or "T" not in value.upper():
        raise problem
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise problem
        start = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise problem from None
    if not EPOCH <= start <= EPOCH + timedelta(milliseconds=LATEST_START_MS):
        raise problem
    return start


def _duration_minutes(value: object) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 0 < value <= INT64_MAX
        or value % MINUTE_MS
    ):
        raise invalid(
            "duration must be a positive whole number of minutes, in milliseconds "
            "(e.g. 1800000 for 30 minutes).",
            "duration",
            "INVALID_DURATION",
        )
    return value // MINUTE_MS


class _Fields:
    """A JSON object read field by field; each fault a 400 naming the field's path."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def where(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def value(self, name: str, *, required: bool = True) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise invalid(f"{self.where(name)} is required.", self.where(name), "REQUIRED")
        return value

    def string(self, name: str) -> str:
        value = self.value(name)
        if not isinstance(value, str):
            raise self._wrong_type(name, "a string")
        text(value, self.where(name))
        return value

    def optional_string(self, name: str) -> str | None:
        value = self.value(name, required=False)
        if value is not None and not isinstance(value, str):
            raise self._wrong_type(name, "a string")
        return text(value, self.where(name))

    def boolean(self, name: str) -> bool:
        value = self.value(name)
        if not isinstance(value, bool):
            raise self._wrong_type(name, "true or false")
        return value

    def strings(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        items = self._list(name, required=required)
        if not all(isinstance(item, str) for item in items):
            raise self._wrong_type(name, "a list of strings")
        for index, item in enumerate(items):
            text(item, f"{self.where(name)}[{index}]")
        return tuple(items)

    def objects(self, name: str) -> list[_Fields]:
        items = self._list(name, required=True)
        if not all(isinstance(item, dict) for item in items):
            raise self._wrong_type(name, "a list of objects")
        return [_Fields(item, f"{self.where(name)}[{i}].") for i, item in enumerate(items)]

    def _list(self, name: str, *, required: bool) -> list[Any]:
        value = self.value(name, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong_type(name, "a list")
        if len(value) > MAX_LIST:
            where = self.where(name)
            raise invalid(f"{where} holds more than {MAX_LIST} items.", where, "TOO_MANY")
        return value

    def _wrong_type(self, name: str, expected: str) -> Exception:
        where = self.where(name)
        return invalid(f"{where} must be {expected}.", where, "INVALID_TYPE")
