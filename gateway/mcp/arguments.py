"""Each tool's arguments: one pydantic model per tool, whose JSON Schema is the tool's input
schema and whose validation refuses what the schema refuses, before any read.

The rules are the domain's own (``meetings.slugs``, ``meetings.zones``, the booking bounds):
the models only say where each applies. A refusal names the argument as the tool spells it
(``argument_name`` turns the domain's field paths into those names).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from gateway.hubspot.models import HUBSPOT_LINK_TYPES
from gateway.meetings.booking import MAX_LIST, MAX_TEXT
from gateway.meetings.service import MAX_EARLIEST_SLUGS
from gateway.meetings.slugs import MAX_SLUG, slug_problem
from gateway.meetings.zones import MAX_ZONE_LENGTH, is_iana_name

# The domain's field names that differ from the tool's beyond their spelling.
_RENAMED = {"legalConsentResponses": "consents", "timezone": "time_zone"}
_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")
_HEAD = re.compile(r"^[A-Za-z]+")


def argument_name(field: str) -> str:
    """A domain field path (``formFields.company``, ``durationMinutes``) as the tools name it
    (``form_fields.company``, ``duration_minutes``): only the leading name is respelled."""
    head = _HEAD.match(field)
    if head is None:
        return field
    name = head.group()
    spelled = _RENAMED.get(name) or _CAPITAL.sub("_", name).lower()
    return spelled + field[head.end() :]


def _slug(value: str) -> str:
    problem = slug_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _link_type(value: str) -> str:
    if value not in HUBSPOT_LINK_TYPES:
        raise ValueError(f"expected one of {', '.join(HUBSPOT_LINK_TYPES)}")
    return value


def _zone(value: str) -> str:
    if not is_iana_name(value):
        raise ValueError(f"{value!r} is not an IANA time zone name such as 'Europe/Berlin'")
    return value


Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_SLUG,
        description="A meeting link's slug, as list_meeting_links gives it (may hold '/').",
    ),
    AfterValidator(_slug),
]
TimeZone = Annotated[
    str,
    Field(
        max_length=MAX_ZONE_LENGTH,
        description="An IANA time zone name such as America/New_York; answers use it.",
    ),
    AfterValidator(_zone),
]
LinkTypeName = Annotated[
    str,
    Field(json_schema_extra={"enum": list(HUBSPOT_LINK_TYPES)}),
    AfterValidator(_link_type),
]
Instant = Annotated[
    AwareDatetime,
    Field(description="An RFC 3339 date-time with a UTC offset, e.g. 2026-03-02T09:00:00-05:00."),
]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60, description="A duration the link offers.")]
IdempotencyKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TEXT,
        description=(
            "A key of the caller's choosing for this one booking: a retry with the same key "
            "gets the first answer and never books twice; a new key is a new booking."
        ),
    ),
]


class Arguments(BaseModel):
    """Every tool's arguments: unknown names are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class ListMeetingLinks(Arguments):
    name: Text | None = Field(None, description="Only links whose name contains this.")
    type: LinkTypeName | None = Field(None, description="Only links of this type.")
    organizer_user_id: Text | None = Field(None, description="Only links this user organizes.")
    first: int = Field(20, ge=0, description="How many links (at most the gateway's page size).")
    after: Text | None = Field(None, description="The end_cursor of the previous page.")


class GetBookingForm(Arguments):
    slug: Slug
    time_zone: TimeZone


class FindSlots(Arguments):
    slug: Slug
    time_zone: TimeZone
    from_: Instant | None = Field(None, alias="from", description="Range start; default: now.")
    to: Instant | None = Field(None, description="Range end; default: the booking window's.")
    duration_minutes: Minutes | None = Field(None, description="Only slots of this length.")
    first: int | None = Field(None, ge=0, description="At most this many slots.")


class EarliestSlot(Arguments):
    slugs: list[Slug] = Field(min_length=1, max_length=MAX_EARLIEST_SLUGS)
    time_zone: TimeZone
    duration_minutes: Minutes | None = None
    after: Instant | None = Field(None, description="Only slots starting at or after this.")


class HoldSlot(Arguments):
    slug: Slug
    start: Instant = Field(description="A slot's start, as find_slots gives it.")
    duration_minutes: Minutes
    time_zone: TimeZone
    idempotency_key: IdempotencyKey | None = Field(
        None, description="A retry with the same key gets the same hold while it lives."
    )


class ReleaseHold(Arguments):
    hold_id: Text = Field(min_length=1, description="The id hold_slot gave.")


class BookMeeting(Arguments):
    slug: Slug
    start: Instant = Field(description="A slot's start, as find_slots gives it.")
    duration_minutes: Minutes
    time_zone: TimeZone
    first_name: Text
    last_name: Text
    email: Text
    form_fields: dict[str, Text] = Field(
        default_factory=dict,
        max_length=MAX_LIST,
        description="Answers to the booking form, by field name (get_booking_form lists them).",
    )
    consents: dict[str, bool] = Field(
        default_factory=dict,
        max_length=MAX_LIST,
        description="Consent checkbox answers, by communication_type_id.",
    )
    hold_id: Text | None = Field(
        None, description="The hold_slot hold on this slot; a held slot needs it."
    )
    idempotency_key: IdempotencyKey
