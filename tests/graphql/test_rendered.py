"""Slot lists spliced from their rendering kept with the month page answer, byte for byte,
what graphql-core's own execution of the same document and data answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.http import process_result

from gateway.graphql.context import Context, ReadLog
from gateway.graphql.loaders import Loaders
from gateway.graphql.rendered import SLOT_FIELDS, RenderedMonth, month_rendering, renderer
from gateway.graphql.schema import build_schema
from gateway.meetings.availability import MonthSlots
from gateway.meetings.timeline import from_ms
from gateway.meetings.zones import zone
from tests.support.harness import Gateway, operation, running_gateway

PERSONAL = "mel-nelson"
GROUP = "acme-team/group-review"
MONTH = {"from": "2026-03-02T00:00:00-05:00", "to": "2026-04-01T00:00:00-04:00"}

# Every shipped operation, with variables its answer does not change by being run twice
# (a hold under an idempotency key, refusals and misses).
SHIPPED: list[tuple[str, dict[str, Any]]] = [
    ("ListMeetingLinks", {"first": 30}),
    ("MeetingLinkBookingInfo", {"slug": "lena-fischer/product-demo", "timeZone": "Europe/Berlin"}),
    ("MeetingLinkAvailability", {"slug": PERSONAL, "timeZone": "America/New_York", **MONTH}),
    ("MeetingLinkAvailability", {"slug": GROUP, "timeZone": "Asia/Kolkata"}),
    (
        "MeetingLinkAvailability",
        {"slug": PERSONAL, "timeZone": "Australia/Lord_Howe", "durationMinutes": 30, "first": 7},
    ),
    ("MeetingLinkAvailability", {"slug": "no-such-link", "timeZone": "UTC"}),
    ("EarliestSlot", {"slugs": [PERSONAL, GROUP], "timeZone": "Asia/Kathmandu"}),
    (
        "HoldSlot",
        {
            "input": {
                "slug": PERSONAL,
                "start": "HELD",  # the link's tenth slot, read by the test
                "durationMinutes": 30,
                "timeZone": "UTC",
                "idempotencyKey": "rendered-hold",
            }
        },
    ),
    ("RenewHold", {"id": "no-such-hold"}),
    ("ReleaseHold", {"id": "no-such-hold"}),
    (
        "BookMeeting",
        {
            "input": {
                "slug": PERSONAL,
                "start": "2026-03-03T15:00:00Z",
                "durationMinutes": 30,
                "timeZone": "UTC",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "email": "not an email",
            }
        },
    ),
]

PLAIN = build_schema(lean=False)
EXPIRY = re.compile(rb'"expiresAt":"[^"]*"')


def plain_context(gateway: Gateway) -> Context:
    service = gateway.runtime.service
    reads = ReadLog()
    return Context(service=service, loaders=Loaders(service, reads), request_id="t", reads=reads)


async def both_ways(
    gateway: Gateway, document: str, variables: dict[str, Any]
) -> tuple[bytes, bytes]:
    """The gateway's answer over HTTP, and graphql-core's own execution of it, encoded."""
    response = await gateway.http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    result = await PLAIN.execute(document, variables, context_value=plain_context(gateway))
    return response.content, orjson.dumps(process_result(result))


@pytest.fixture
async def executing() -> AsyncIterator[Gateway]:
    # No response cache: every answer is executed.
    async with running_gateway({"GATEWAY_RESPONSE_CACHE": "false"}) as running:
        yield running


async def test_every_shipped_operation_answers_graphql_cores_bytes(executing: Gateway) -> None:
    month = {**SHIPPED[2][1], "timeZone": "UTC", "durationMinutes": 30}
    before = await executing.data(operation("MeetingLinkAvailability"), month)
    held = before["meetingLink"]["availability"]["slots"][10]["start"]
    for name, variables in SHIPPED:
        if name == "HoldSlot":
            variables = {"input": {**variables["input"], "start": held}}
        spliced, executed = await both_ways(executing, operation(name), variables)
        if name == "HoldSlot":
            # The retry answers the same hold; its expiry is read off the live hold's time
            # left, which runs on between the two answers.
            assert orjson.loads(spliced)["data"]["holdSlot"]["__typename"] == "SlotHeld"
            spliced, executed = (EXPIRY.sub(b"", body) for body in (spliced, executed))
        assert spliced == executed, name
    # The hold above hides its slot: the spliced month does not show it either.
    for name, variables in SHIPPED[2:5]:
        spliced, executed = await both_ways(executing, operation(name), variables)
        assert spliced == executed, name
    after = await executing.data(operation("MeetingLinkAvailability"), month)
    slots = before["meetingLink"]["availability"]["slots"]
    taken = slots[10]
    # Every slot overlapping the held one goes (RFC 3339 in UTC compares as text).
    free = [s for s in slots if s["end"] <= taken["start"] or s["start"] >= taken["end"]]
    assert after["meetingLink"]["availability"]["slots"] == free
    assert len(free) < len(slots)


async def test_the_month_is_rendered_once_and_spliced(executing: Gateway) -> None:
    document = operation("MeetingLinkAvailability")
    variables = {"slug": PERSONAL, "timeZone": "Europe/Berlin", **MONTH}
    first = await executing.execute(document, variables)
    page = await executing.runtime.service.availability_page(PERSONAL, 0)
    assert page.value.availability is not None
    month = MonthSlots.of(page.value.availability, None)
    rendering = month_rendering(month, "Europe/Berlin", SLOT_FIELDS)
    assert len(rendering) == len(month.slots) > 100
    # The next request slices the very text kept: nothing is rendered again.
    assert await executing.execute(document, variables) == first
    assert month_rendering(month, "Europe/Berlin", SLOT_FIELDS) is rendering


SUBFIELDS = st.sampled_from(
    [
        "start",
        "end",
        "durationMinutes",
        "__typename",
        "s: start",
        "end @include(if: true)",
        "durationMinutes @skip(if: true)",
        "... on Slot { end }",
        "...Ends",
    ]
)
ZONES = st.sampled_from(["UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"])


@st.composite
def selections(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    fields = draw(st.lists(SUBFIELDS, min_size=1, max_size=5))
    arguments = {
        "slug": draw(st.sampled_from([PERSONAL, GROUP])),
        "timeZone": draw(ZONES),
        "durationMinutes": draw(st.sampled_from([None, 15, 30, 60, 45])),
        "first": draw(st.sampled_from([None, 0, 1, 40, 1000])),
        **draw(st.sampled_from([{}, MONTH, {"from": "2026-03-20T10:00:00Z"}])),
    }
    document = (
        "query Q($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime,"
        " $durationMinutes: Int, $first: Int) { meetingLink(slug: $slug) {"
        " availability(timeZone: $timeZone, from: $from, to: $to,"
        " durationMinutes: $durationMinutes, first: $first) {"
        f" hasMore slots {{ {' '.join(fields)} }} }} }} }}"
        " fragment Ends on Slot { end start }"
    )
    return document, arguments


@pytest.mark.anyio
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=selections())
async def test_generated_selections_answer_graphql_cores_bytes(
    executing: Gateway, query: tuple[str, dict[str, Any]]
) -> None:
    document, variables = query
    if "...Ends" not in document:
        document = document.replace(" fragment Ends on Slot { end start }", "")
    spliced, executed = await both_ways(executing, document, variables)
    assert spliced == executed


INSTANT_ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",  # half-hour daylight saving
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30 / -02:30
    "Africa/Casablanca",  # daylight saving suspended for Ramadan
    "America/Sao_Paulo",
]
# 2020-2035 on a minute grid, and any millisecond now and then.
INSTANTS = st.one_of(
    st.integers(26_297_280, 34_187_040).map(lambda minutes: minutes * 60_000),
    st.integers(1_577_836_800_000, 2_051_222_400_000),
)


@given(ms=INSTANTS, name=st.sampled_from(INSTANT_ZONES))
def test_instants_are_written_as_datetime_writes_them(ms: int, name: str) -> None:
    assert renderer(name)(ms) == from_ms(ms, zone(name)).isoformat()


def test_every_quarter_hour_across_a_year_of_transitions_is_written_as_datetime_does() -> None:
    for name in INSTANT_ZONES:
        render, tz = renderer(name), zone(name)
        start = 1_767_225_600_000  # 2026-01-01T00:00Z
        for ms in range(start, start + 366 * 86_400_000, 900_000):
            assert render(ms) == from_ms(ms, tz).isoformat(), (name, ms)


ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=5)


@given(st.lists(ASCII, min_size=1, max_size=30), st.data())
def test_a_run_of_a_rendered_month_is_its_pieces_joined(
    pieces: list[str], data: st.DataObject
) -> None:
    rendering = RenderedMonth.of(pieces)
    lo = data.draw(st.integers(0, len(pieces) - 1))
    hi = data.draw(st.integers(lo + 1, len(pieces)))
    assert rendering.run(lo, hi) == ",".join(pieces[lo:hi]).encode()
