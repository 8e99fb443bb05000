"""Input types of the graph."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.graphql.scalars import TimeZone


@strawberry.input(description="An answer to one question of the booking form.")
class FormFieldInput:
    name: str
    value: str


@strawberry.input(description="The booker's answer to one consent checkbox.")
class LegalConsentInput:
    communication_type_id: str
    consented: bool


@strawberry.input(description="Everything needed to book one meeting.")
class BookMeetingInput:
    slug: str = strawberry.field(description="The link to book through.")
    start: datetime = strawberry.field(description="A start time read from `availability`.")
    duration_minutes: int = strawberry.field(description="One of the link's durations.")
    time_zone: TimeZone = strawberry.field(description="The booker's zone; answers use it.")
    first_name: str
    last_name: str
    email: str
    guest_emails: list[str] = strawberry.field(default_factory=list)
    locale: str | None = None
    form_fields: list[FormFieldInput] = strawberry.field(default_factory=list)
    legal_consent_responses: list[LegalConsentInput] = strawberry.field(default_factory=list)
    likely_available_user_ids: list[str] = strawberry.field(
        default_factory=list,
        description="Round-robin links: members the booker would prefer.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Retries with the same key get the first answer and never book twice, even while "
            "the first is in flight (`BookingInProgress`). A new key is a new booking."
        ),
    )
    hold_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The `holdSlot` hold on this slot: the booking takes the held slot and ends the "
            "hold. A held slot cannot be booked without its hold's id."
        ),
    )


@strawberry.input(description="A slot to keep for a while, read from `availability`.")
class HoldSlotInput:
    slug: str = strawberry.field(description="The link the slot is on.")
    start: datetime = strawberry.field(description="A start time read from `availability`.")
    duration_minutes: int = strawberry.field(description="One of the link's durations.")
    time_zone: TimeZone = strawberry.field(description="Answers render instants in this zone.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key gets the same hold while it lives.",
    )
