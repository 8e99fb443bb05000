"""The committed contract: the SDL frontends build against, and the operations they send."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from gateway.graphql.schema import build_schema, sdl

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = sorted((ROOT / "schema" / "operations").glob("*.graphql"))


def test_committed_sdl_is_current() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text()
    assert committed == sdl(), "schema/schema.graphql is stale: run meetings-gateway export-schema"


def test_the_contract_names_are_there() -> None:
    text = sdl()
    for name in (
        "scalar DateTime",
        "scalar TimeZone",
        "meetingLinks(",
        "meetingLink(slug: String!): MeetingLink",
        "node(id: ID!): Node",
        "bookMeeting(input: BookMeetingInput!): BookMeetingResult!",
        "union BookMeetingResult = BookingConfirmed | SlotUnavailable | InvalidBookingInput"
        " | MeetingLinkNotFound | UpstreamUnavailable",
        "nextAvailableSlot(",
        "emptyReason: EmptyReason",
        "totalCount: Int!",
    ):
        assert name in text, name


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_every_operation_is_valid_against_the_schema(path: Path) -> None:
    document = parse(path.read_text())
    errors = validate(build_schema()._schema, document)
    assert not errors, errors
    assert [op.name.value for op in document.definitions if op.name] == [path.stem]  # type: ignore[attr-defined]


def test_there_is_an_operation_for_each_step_of_a_booking() -> None:
    assert {p.stem for p in OPERATIONS} >= {
        "ListMeetingLinks",
        "MeetingLinkBookingInfo",
        "MeetingLinkAvailability",
        "BookMeeting",
    }


def test_a_watched_range_is_asked_in_availabilitys_words() -> None:
    graphql = build_schema()._schema
    availability = graphql.get_type("MeetingLink").fields["availability"].args  # type: ignore[union-attr]
    watched = graphql.subscription_type.fields["availabilityChanged"].args  # type: ignore[union-attr]
    for name in ("timeZone", "from", "durationMinutes"):
        assert watched[name].description == availability[name].description, name
        assert str(watched[name].type) == str(availability[name].type), name
    # Only the end's default differs (the window's end; the longest watched range).
    assert watched["to"].description == "Range end (exclusive)."
    assert availability["to"].description == "Range end (exclusive); default the window's end."
