"""Booking: the command a client sends, the checks made before any upstream write, and the
outcomes a client can receive."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from gateway.errors import InputError
from gateway.hubspot.models import BookingInfo, BookingResponse, LinkSettings
from gateway.meetings.slugs import check_slug

# Deliberately plain: one "@", a dotted domain, no spaces. HubSpot has the last word.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
MAX_NAME = 100
MAX_EMAIL = 254
MAX_FIELD_VALUE = 2000
# Bounds on any string and any list a booking command may carry, whoever sends it.
MAX_TEXT = 2000
MAX_LIST = 50


@dataclass(frozen=True, slots=True)
class BookingCommand:
    slug: str
    start: datetime
    duration_minutes: int
    timezone: str
    first_name: str
    last_name: str
    email: str
    guest_emails: tuple[str, ...] = ()
    locale: str | None = None
    form_fields: tuple[tuple[str, str], ...] = ()
    legal_consent_responses: tuple[tuple[str, bool], ...] = ()
    likely_available_user_ids: tuple[str, ...] = ()
    idempotency_key: str | None = None
    # The hold (``holdSlot``) this booking consumes; its slot is free to this booking alone.
    hold_id: str | None = None

    def __post_init__(self) -> None:
        # The contact as typed may carry padding (a pasted address, a trailing space): trimmed
        # here, whichever surface built the command, it neither fails the checks nor makes a
        # retry under the same idempotency key another booking.
        for name in ("first_name", "last_name", "email"):
            object.__setattr__(self, name, getattr(self, name).strip())
        object.__setattr__(self, "guest_emails", tuple(e.strip() for e in self.guest_emails))

    def fingerprint(self) -> str:
        """What makes two commands the same booking (the key itself excluded)."""
        payload = asdict(self)
        payload.pop("idempotency_key")
        payload["start"] = self.start.timestamp()
        encoded = json.dumps(payload, sort_keys=True, default=list).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BookingConfirmed:
    response: BookingResponse
    timezone: str


@dataclass(frozen=True, slots=True)
class SlotUnavailable:
    message: str
    start: datetime
    duration_minutes: int


@dataclass(frozen=True, slots=True)
class InvalidBookingInput:
    errors: tuple[FieldError, ...]


@dataclass(frozen=True, slots=True)
class MeetingLinkNotFound:
    slug: str


@dataclass(frozen=True, slots=True)
class BookingNotSent:
    """Nothing was sent (or HubSpot refused it unmade): a retry, with the same key or none,
    may book."""

    message: str
    retry_after_seconds: float | None
    # Refused for the rate limit (the gateway's budget or HubSpot's 429): REST answers 429.
    rate_limited: bool = False


@dataclass(frozen=True, slots=True)
class BookingInProgress:
    """The booking under this key was sent and its answer has not come yet: retry with the
    same key to get it."""

    message: str
    retry_after_seconds: float


@dataclass(frozen=True, slots=True)
class BookingOutcomeUnknown:
    """The booking was sent and HubSpot's answer never came: it may or may not be made, and
    it is never sent again under its key."""

    message: str


@dataclass(frozen=True, slots=True)
class HoldExpired:
    """The booking's hold expired and its slot has been held by someone else since."""

    message: str


BookingOutcome = (
    BookingConfirmed
    | SlotUnavailable
    | InvalidBookingInput
    | MeetingLinkNotFound
    | BookingNotSent
    | BookingInProgress
    | BookingOutcomeUnknown
    | HoldExpired
)

# A late answer usually comes within a second or two of the deadline the client gave up on.
IN_PROGRESS_RETRY_SECONDS = 1.0
IN_PROGRESS = (
    "the booking under this idempotency key is under way and HubSpot has not answered yet; "
    "retry with the same idempotencyKey to get its answer"
)
UNKNOWN_RESOLUTION = (
    "it is not sent again under this idempotency key. Read the link's availability or ask "
    "the organizer whether the meeting was made; a new idempotency key makes a new booking"
)
# What production says instead of the upstream's own words (the log keeps them).
UNAVAILABLE_MESSAGE = "HubSpot could not be reached; try again later."
UNKNOWN_WITHOUT_KEY = (
    "the booking was sent and HubSpot did not answer in time; without an idempotency key "
    "its answer cannot be fetched later. Read the link's availability before booking again, "
    "and send an idempotency key to make retries safe"
)


def check_bounds(command: BookingCommand) -> BookingCommand:
    """The command itself, or ``InputError``: no string or list past its bound, a slug a link
    can have. Whatever surface built the command, nothing else reads it before this."""
    texts = [command.slug, command.first_name, command.last_name, command.email]
    texts += [command.locale or "", command.hold_id or ""]
    texts += [text for pair in command.form_fields for text in pair]
    if any(len(text) > MAX_TEXT for text in texts):
        raise InputError("input", "TOO_LONG", f"no string may exceed {MAX_TEXT} characters")
    lists = (command.guest_emails, command.form_fields, command.legal_consent_responses)
    if any(len(items) > MAX_LIST for items in (*lists, command.likely_available_user_ids)):
        raise InputError("input", "TOO_MANY", f"no list may hold more than {MAX_LIST} items")
    check_slug(command.slug)
    return command


def check_contact(command: BookingCommand) -> list[FieldError]:
    """Checks that need nothing from the upstream."""
    errors: list[FieldError] = []
    for field, value in (("firstName", command.first_name), ("lastName", command.last_name)):
        if not value:
            errors.append(FieldError(field, "REQUIRED", f"{field} must not be empty"))
        elif len(value) > MAX_NAME:
            errors.append(FieldError(field, "TOO_LONG", f"{field} is over {MAX_NAME} characters"))
    if not valid_email(command.email):
        errors.append(FieldError("email", "INVALID_EMAIL", "email is not a valid address"))
    for index, guest in enumerate(command.guest_emails):
        if not valid_email(guest):
            errors.append(
                FieldError(
                    f"guestEmails[{index}]", "INVALID_EMAIL_GUESTS", "not a valid email address"
                )
            )
    if command.duration_minutes <= 0:
        errors.append(FieldError("durationMinutes", "INVALID", "durationMinutes must be positive"))
    for name, value in command.form_fields:
        if len(value) > MAX_FIELD_VALUE:
            errors.append(FieldError(f"formFields.{name}", "TOO_LONG", "value is too long"))
    return errors


def check_against_link(command: BookingCommand, info: BookingInfo) -> list[FieldError]:
    """Checks against the link's own rules: durations, form fields, guests, consent."""
    settings = info.settings
    return [
        *_check_duration(command, settings),
        *_check_form_fields(command, settings),
        *_check_guests(command, settings),
        *_check_consent(command, settings),
    ]


def _check_duration(command: BookingCommand, settings: LinkSettings) -> list[FieldError]:
    if command.duration_minutes * 60_000 in settings.durations_ms:
        return []
    offered = ", ".join(str(ms // 60_000) for ms in settings.durations_ms)
    return [
        FieldError(
            "durationMinutes",
            "MEETING_DURATION_NOT_VALID",
            f"{command.duration_minutes} minutes is not offered (offered: {offered})",
        )
    ]


def _check_form_fields(command: BookingCommand, settings: LinkSettings) -> list[FieldError]:
    given = {name: value for name, value in command.form_fields if value.strip()}
    # The contact's name and email travel in their own input fields.
    given.update(firstname=command.first_name, lastname=command.last_name, email=command.email)
    errors: list[FieldError] = []
    for field in settings.form_fields:
        if field.is_required and field.name not in given:
            errors.append(
                FieldError(
                    f"formFields.{field.name}",
                    "REQUIRED_FORM_FIELD",
                    f"required form field {field.name} does not have a value",
                )
            )
        elif field.options and field.name in given:
            allowed = {option.value for option in field.options if not option.hidden}
            # A multiple checkbox answers its chosen values joined by ";", as HubSpot keeps them.
            answer = given[field.name]
            chosen = answer.split(";") if field.field_type == "checkbox" else [answer]
            if any(value not in allowed for value in chosen):
                errors.append(
                    FieldError(
                        f"formFields.{field.name}",
                        "INVALID_OPTION",
                        f"{given[field.name]!r} is not one of the options of {field.name}",
                    )
                )
    known = {field.name for field in settings.form_fields}
    errors.extend(
        FieldError(f"formFields.{name}", "UNKNOWN_FORM_FIELD", f"the link has no {name}")
        for name, _ in command.form_fields
        if name not in known
    )
    return errors


def _check_guests(command: BookingCommand, settings: LinkSettings) -> list[FieldError]:
    guests = settings.guest_settings
    if not command.guest_emails:
        return []
    if guests is None or not guests.can_add_guests:
        return [FieldError("guestEmails", "INVALID_EMAIL_GUESTS", "this link does not take guests")]
    if len(command.guest_emails) > guests.max_guest_count:
        return [
            FieldError(
                "guestEmails",
                "INVALID_EMAIL_GUESTS",
                f"at most {guests.max_guest_count} guests may be added",
            )
        ]
    return []


def _check_consent(command: BookingCommand, settings: LinkSettings) -> list[FieldError]:
    consent = settings.legal_consent_options
    if not settings.legal_consent_enabled or consent is None:
        return []
    answers = dict(command.legal_consent_responses)
    return [
        FieldError(
            f"legalConsentResponses.{box.communication_type_id}",
            "CONSENT_REQUIRED",
            f"consent is required: {box.label}",
        )
        for box in consent.communication_consent_checkboxes
        if box.required and not answers.get(box.communication_type_id, False)
    ]


def valid_email(value: str) -> bool:
    return len(value) <= MAX_EMAIL and EMAIL.match(value) is not None


def encode_outcome(outcome: BookingOutcome) -> bytes:
    """The record of an outcome replayed under its idempotency key (not every outcome is one)."""
    payload: dict[str, Any]
    if isinstance(outcome, BookingConfirmed):
        payload = {"kind": "confirmed", "wire": outcome.response.wire, "tz": outcome.timezone}
    elif isinstance(outcome, SlotUnavailable):
        payload = {
            "kind": "slot",
            "message": outcome.message,
            "start": outcome.start.isoformat(),
            "minutes": outcome.duration_minutes,
        }
    elif isinstance(outcome, InvalidBookingInput):
        payload = {
            "kind": "invalid",
            "errors": [[e.field, e.code, e.message] for e in outcome.errors],
        }
    elif isinstance(outcome, MeetingLinkNotFound):
        payload = {"kind": "not-found", "slug": outcome.slug}
    elif isinstance(outcome, BookingOutcomeUnknown):
        payload = {"kind": "unknown", "message": outcome.message}
    elif isinstance(outcome, HoldExpired):
        payload = {"kind": "hold-expired", "message": outcome.message}
    elif isinstance(outcome, BookingNotSent):
        # Never stored (nothing was sent): only answered, to the caller that made it.
        payload = {
            "kind": "unavailable",
            "message": outcome.message,
            "retry": outcome.retry_after_seconds,
            "rate_limited": outcome.rate_limited,
        }
    else:
        raise TypeError(f"not a stored outcome: {outcome!r}")
    return json.dumps(payload).encode()


def decode_outcome(raw: bytes) -> BookingOutcome:
    payload = json.loads(raw)
    kind = payload["kind"]
    if kind == "confirmed":
        return BookingConfirmed(BookingResponse.parse(payload["wire"]), payload["tz"])
    if kind == "slot":
        return SlotUnavailable(
            payload["message"], datetime.fromisoformat(payload["start"]), payload["minutes"]
        )
    if kind == "invalid":
        return InvalidBookingInput(tuple(FieldError(*e) for e in payload["errors"]))
    if kind == "unknown":
        return BookingOutcomeUnknown(payload["message"])
    if kind == "hold-expired":
        return HoldExpired(payload["message"])
    if kind == "unavailable":
        return BookingNotSent(payload["message"], payload["retry"], payload["rate_limited"])
    return MeetingLinkNotFound(payload["slug"])
