"""The MCP endpoint as an agent meets it: the SDK's own client over real HTTP on loopback,
against the gateway on its embedded sandbox."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import jsonschema_rs
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, Tool
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.edge.logs import configure_logging
from gateway.settings import Settings
from tests.support.harness import NOW
from tests.support.loopback import Loopback, gateway_on_loopback
from tests.support.replicas import served_sandbox
from tests.support.served import served

PERSONAL = "mel-nelson"
EMAIL = "alex.morgan@acme-corp.io"
KEY = "partner-key-0001"
TOKEN_A = "tok-a-mcp-0123456789abcdef"
TOKEN_B = "tok-b-mcp-0123456789abcdef"
# The two eras of the protocol the SDK speaks: the initialize handshake, and per-request.
MODES = ["legacy", "auto"]
TOOLS = {
    "list_meeting_links",
    "get_booking_form",
    "find_slots",
    "earliest_slot",
    "hold_slot",
    "release_hold",
    "book_meeting",
}


@asynccontextmanager
async def agent(
    gateway: Loopback, headers: dict[str, str] | None = None, mode: str = "auto"
) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers=headers or {}) as http,
        Client(streamable_http_client(f"{gateway.url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


@pytest.fixture
async def gateway() -> AsyncIterator[Loopback]:
    async with gateway_on_loopback() as running:
        yield running


def booking(start: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": PERSONAL,
        "start": start,
        "duration_minutes": 30,
        "time_zone": "Asia/Kolkata",
        "first_name": "Alex",
        "last_name": "Morgan",
        "email": EMAIL,
        "idempotency_key": key,
        **extra,
    }


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The tool's structured answer, checked against its output schema (the SDK checks only
    answers that are not refusals)."""
    result = await client.call_tool(tool, arguments)
    assert isinstance(result, CallToolResult)
    content: dict[str, Any] = result.structured_content
    (listed,) = [t for t in (await client.list_tools()).tools if t.name == tool]
    assert listed.output_schema is not None
    jsonschema_rs.validator_for(listed.output_schema).validate(content)
    assert [block.model_dump()["text"] for block in result.content] == [json.dumps(content)]
    assert result.is_error == (
        content["outcome"] not in {"Availability", "SlotHeld", "BookingConfirmed", "HoldReleased"}
    )
    return content


async def first_starts(client: Client, count: int) -> list[str]:
    found = await call(
        client,
        "find_slots",
        {"slug": PERSONAL, "time_zone": "UTC", "duration_minutes": 30, "first": count},
    )
    assert found["outcome"] == "Availability", found
    assert len(found["slots"]) == count
    return [slot["start"] for slot in found["slots"]]


async def test_every_tool_is_listed_with_its_schemas(gateway: Loopback) -> None:
    async with agent(gateway) as client:
        listed = (await client.list_tools()).tools
    tools: dict[str, Tool] = {tool.name: tool for tool in listed}
    assert set(tools) == TOOLS
    for tool in listed:
        assert tool.description
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None
        assert tool.output_schema["type"] == "object"
        jsonschema_rs.meta.validate(tool.input_schema)
        jsonschema_rs.meta.validate(tool.output_schema)
    book = tools["book_meeting"]
    assert {"slug", "start", "idempotency_key", "email"} <= set(book.input_schema["required"])
    assert "hold_id" not in book.input_schema["required"]
    assert tools["find_slots"].annotations is not None
    assert tools["find_slots"].annotations.read_only_hint is True


@pytest.mark.parametrize("mode", MODES)
async def test_find_hold_book_books_once_and_a_replay_gets_the_same_answer(
    gateway: Loopback, mode: str
) -> None:
    async with agent(gateway, mode=mode) as client:
        start = (await first_starts(client, 1))[0]
        held = await call(
            client,
            "hold_slot",
            {"slug": PERSONAL, "start": start, "duration_minutes": 30, "time_zone": "UTC"},
        )
        assert held["outcome"] == "SlotHeld", held
        before = (await gateway.calls()).get("book", 0)
        arguments = booking(start, f"agent-{mode}", hold_id=held["hold"]["id"])
        booked = await call(client, "book_meeting", arguments)
        assert booked["outcome"] == "BookingConfirmed", booked
        assert booked["start"].endswith("+05:30")
        assert (await gateway.calls()).get("book", 0) == before + 1

        replayed = await call(client, "book_meeting", arguments)
        assert replayed == booked
        assert (await gateway.calls()).get("book", 0) == before + 1
        # The key names that booking alone.
        reused = await call(client, "book_meeting", {**arguments, "last_name": "Other"})
        assert reused["outcome"] == "InvalidBookingInput", reused
        assert [(e["field"], e["code"]) for e in reused["errors"]] == [
            ("idempotency_key", "IDEMPOTENCY_KEY_REUSED")
        ]
        assert (await gateway.calls()).get("book", 0) == before + 1
        # The booked slot is gone, and its hold with it.
        assert start not in await first_starts(client, 1)
        released = await call(client, "release_hold", {"hold_id": held["hold"]["id"]})
        assert released["outcome"] == "HoldNotFound"


async def test_a_padded_contact_books_as_the_trimmed_one(gateway: Loopback) -> None:
    async with agent(gateway) as client:
        start = (await first_starts(client, 1))[0]
        before = (await gateway.calls()).get("book", 0)
        padded = booking(
            start, "padded", first_name=" Alex ", last_name="Morgan\t", email=f"  {EMAIL}\n"
        )
        booked = await call(client, "book_meeting", padded)
        assert booked["outcome"] == "BookingConfirmed", booked
        # The same booking as the trimmed contact's: its retry gets the answer, nothing more.
        assert await call(client, "book_meeting", booking(start, "padded")) == booked
        assert (await gateway.calls()).get("book", 0) == before + 1


async def test_a_held_slot_is_refused_to_a_booking_without_the_hold(gateway: Loopback) -> None:
    async with agent(gateway) as client:
        start = (await first_starts(client, 1))[0]
        held = await call(
            client,
            "hold_slot",
            {"slug": PERSONAL, "start": start, "duration_minutes": 30, "time_zone": "UTC"},
        )
        assert held["outcome"] == "SlotHeld", held
        before = await gateway.calls()
        refused = await call(client, "book_meeting", booking(start, "without-the-hold"))
        assert refused["outcome"] == "SlotUnavailable", refused
        assert refused["duration_minutes"] == 30
        assert (await gateway.calls()).get("book", 0) == before.get("book", 0)


async def test_a_booking_the_link_refuses_gets_its_field_errors(gateway: Loopback) -> None:
    async with agent(gateway) as client:
        start = (await first_starts(client, 1))[0]
        before = await gateway.calls()
        refused = await call(
            client, "book_meeting", booking(start, "bad-email", email="not-an-email")
        )
    assert refused["outcome"] == "InvalidBookingInput", refused
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("email", "INVALID_EMAIL")]
    assert await gateway.calls() == before


BAD_ARGUMENTS = [
    ("find_slots", {"slug": PERSONAL, "time_zone": "EST"}, "time_zone"),
    ("find_slots", {"slug": "../admin", "time_zone": "UTC"}, "slug"),
    ("find_slots", {"slug": PERSONAL, "time_zone": "UTC", "first": "3"}, "first"),
    ("find_slots", {"slug": PERSONAL, "time_zone": "UTC", "from": "2026-03-09T09:00"}, "from"),
    ("find_slots", {"slug": PERSONAL, "time_zone": "UTC", "colour": "red"}, "colour"),
    ("earliest_slot", {"slugs": [PERSONAL] * 11, "time_zone": "UTC"}, "slugs"),
    ("list_meeting_links", {"type": "OTHER"}, "type"),
    ("list_meeting_links", {"after": "not-a-cursor"}, "after"),
    ("book_meeting", booking("2026-03-09T09:00:00Z", "k", duration_minutes=0), "duration"),
    ("book_meeting", {**booking("2026-03-09T09:00:00Z", "k"), "idempotency_key": None}, "idem"),
    ("no_such_tool", {}, "name"),
]


@pytest.mark.parametrize(("tool", "arguments", "named"), BAD_ARGUMENTS)
async def test_bad_arguments_are_invalid_params_naming_them_and_cost_no_call(
    gateway: Loopback, tool: str, arguments: dict[str, Any], named: str
) -> None:
    async with agent(gateway) as client:
        before = await gateway.calls()
        with pytest.raises(MCPError) as raised:
            await client.call_tool(tool, arguments)
    assert raised.value.code == INVALID_PARAMS
    assert f"{named}" in raised.value.message
    assert await gateway.calls() == before


async def test_with_api_keys_a_call_without_one_is_refused() -> None:
    async with gateway_on_loopback({"GATEWAY_API_KEYS": f"partner:{KEY}:600"}) as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as http:
            refused = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"accept": "application/json, text/event-stream"},
            )
        assert refused.status_code == 401
        assert refused.json()["error"]["data"] == {"code": "UNAUTHENTICATED"}
        told = pytest.RaisesExc(MCPError, match="API key")
        with pytest.RaisesGroup(told, flatten_subgroups=True):
            async with agent(gateway) as client:
                await client.list_tools()
        async with agent(gateway, {"X-API-Key": KEY}) as client:
            assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("json", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


@pytest.mark.parametrize("mode", MODES)
async def test_calls_are_counted_by_tool_and_outcome_and_logged_without_personal_data(
    gateway: Loopback, log_lines: io.StringIO, mode: str
) -> None:
    request_id = f"agent-call-{mode}"
    async with agent(gateway, {"X-Request-Id": request_id}, mode=mode) as client:
        start = (await first_starts(client, 1))[0]
        await call(client, "book_meeting", booking(start, "counted"))
        await call(client, "book_meeting", booking(start, "counted"))
        with pytest.raises(MCPError):
            await client.call_tool("find_slots", {"slug": PERSONAL, "time_zone": "EST"})
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        text = (await http.get("/metrics")).text
    samples = {
        (sample.labels["tool"], sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "gateway_mcp_tool_calls_total"
    }
    assert samples == {
        ("find_slots", "Availability"): 1,
        ("book_meeting", "BookingConfirmed"): 2,
        ("find_slots", "InvalidParams"): 1,
    }
    written = log_lines.getvalue()
    assert EMAIL not in written
    assert "Alex" not in written
    logged = [json.loads(line) for line in written.splitlines()]
    tools = [line for line in logged if line["logger"] == "gateway.mcp"]
    assert [(line["tool"], line["outcome"]) for line in tools] == [
        ("find_slots", "Availability"),
        ("book_meeting", "BookingConfirmed"),
        ("book_meeting", "BookingConfirmed"),
        ("find_slots", "InvalidParams"),
    ]
    # Whichever task the SDK runs a call in, its lines are the request's.
    assert {line["request_id"] for line in tools} == {request_id}


async def test_pass_through_tenants_see_only_their_own_holds() -> None:
    tokens = {"SANDBOX_TOKENS": f"{TOKEN_A},{TOKEN_B}"}
    environ = {"HUBSPOT_ACCESS_TOKEN": "gateway-own-token", "GATEWAY_PASS_THROUGH_AUTH": "true"}
    with served_sandbox(tokens) as upstream:
        async with (
            gateway_on_loopback(environ, upstream=upstream) as gateway,
            agent(gateway, {"Authorization": f"Bearer {TOKEN_A}"}) as first,
            agent(gateway, {"Authorization": f"Bearer {TOKEN_B}"}) as second,
            agent(gateway, {"Authorization": "Bearer tok-not-accepted-0123456789"}) as stranger,
        ):
            start = (await first_starts(first, 1))[0]
            held = await call(
                first,
                "hold_slot",
                {"slug": PERSONAL, "start": start, "duration_minutes": 30, "time_zone": "UTC"},
            )
            assert held["outcome"] == "SlotHeld", held
            assert start not in await first_starts(first, 1)
            # The other tenant's holds are its own: the slot is still free to it.
            assert (await first_starts(second, 1))[0] == start
            refused = await call(stranger, "find_slots", {"slug": PERSONAL, "time_zone": "UTC"})
            assert refused["outcome"] == "UpstreamUnavailable", refused
            assert refused["code"] == "UPSTREAM_AUTH"


async def test_each_run_of_the_apps_lifespan_serves_the_tools() -> None:
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW}))
    for _ in range(2):
        async with (
            served(app) as server,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=server), base_url="http://127.0.0.1"
            ) as http,
        ):
            answer = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"accept": "application/json, text/event-stream"},
            )
        assert answer.status_code == 200, answer.text
        assert {tool["name"] for tool in answer.json()["result"]["tools"]} == TOOLS
