"""Structured logs: every line names its request, and no token or e-mail is ever written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.cache import tenant_id
from gateway.edge.logs import configure_logging
from gateway.edge.request import UNREADABLE, GraphQLOperation, GraphQLRequest, read_graphql_request
from tests.support.bookings import booking
from tests.support.harness import operation
from tests.support.replicas import replica, served_sandbox, slot_starts

BOOK = operation("BookMeeting")
TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
EMAIL = "ada.lovelace@analytical-engines.io"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("json", stream=stream, level=logging.DEBUG, secrets=[TOKEN])
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_a_booking_logs_its_request_but_no_token_or_email(captured: io.StringIO) -> None:
    with served_sandbox({"SANDBOX_TOKENS": TOKEN}) as sandbox:
        environ = {"SANDBOX_NOW": "2026-03-02T14:00:00Z", "HUBSPOT_BASE_URL": sandbox}
        async with replica({**environ, "HUBSPOT_ACCESS_TOKEN": TOKEN}) as gateway:
            start = (await slot_starts(gateway))[0]
            variables = booking("mel-nelson", start, 30, email=EMAIL)
            response = await gateway.http.post(
                "/graphql",
                json={"query": BOOK, "variables": variables},
                headers={"x-request-id": "req-42", "authorization": f"Bearer {TOKEN}"},
            )
            assert response.json()["data"]["bookMeeting"]["__typename"] == "BookingConfirmed", (
                response.json()
            )
            assert response.headers["x-request-id"] == "req-42"
            # An unexpected error is logged with its traceback; its text holds the email.
            logging.getLogger("gateway.test").exception(
                "booking for %s failed", EMAIL, exc_info=ValueError(f"{EMAIL} Bearer {TOKEN}")
            )
    output = captured.getvalue()
    assert TOKEN not in output
    assert EMAIL not in output
    assert "[email]" in output
    access = [line for line in lines(captured) if line["logger"] == "gateway.access"]
    booked = [line for line in access if line["request_id"] == "req-42"]
    assert len(booked) == 1
    assert booked[0]["operation"] == "BookMeeting"
    assert booked[0]["tenant"] == tenant_id(TOKEN)
    assert booked[0]["route"] == "/graphql"
    assert booked[0]["status"] == 200
    assert booked[0]["duration_ms"] > 0
    # Requests without an id of their own got a fresh one, each different.
    others = [line["request_id"] for line in access if line["request_id"] != "req-42"]
    assert others
    assert len(set(others)) == len(others)
    assert all(len(rid) == 32 for rid in others)


def test_text_lines_are_readable_and_scrubbed() -> None:
    stream = io.StringIO()
    handler = configure_logging("text", stream=stream)
    try:
        logging.getLogger("gateway.test").warning(
            "called with Authorization: Bearer abc.def-ghi by bob@example.com"
        )
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue()
    assert "WARNING" in line
    assert "gateway.test" in line
    assert "Bearer [redacted]" in line
    assert "abc.def-ghi" not in line
    assert "bob@example.com" not in line


def test_configuring_again_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("json", stream=first)
    handler = configure_logging("json", stream=second)
    try:
        logging.getLogger("gateway.test").warning("once")
    finally:
        logging.getLogger().removeHandler(handler)
    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["message"] == "once"


def graphql_operation(body: bytes) -> GraphQLOperation:
    found = read_graphql_request(body, max_tokens=None)
    return found.operation if isinstance(found, GraphQLRequest) else UNREADABLE


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"query": "query Q { a }"}', ("query", "Q")),
        (b'{"query": "mutation M { a } query Q { b }", "operationName": "M"}', ("mutation", "M")),
        (b'{"query": "{ a }"}', ("query", "anonymous")),
        (b'{"query": "query Q { a } query R { b }"}', ("", "unknown")),
        (b'{"query": "{ a"}', ("", "unknown")),
        (b"[1, 2]", ("", "unknown")),
        (b"\xff", ("", "unknown")),
    ],
)
def test_the_operation_is_read_from_the_body(body: bytes, expected: tuple[str, str]) -> None:
    found = graphql_operation(body)
    assert (found.type, found.name) == expected


async def test_the_access_line_is_scrubbed_where_its_fields_enter(captured: io.StringIO) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from gateway.edge.gate import Gate
    from gateway.metrics import Metrics
    from gateway.settings import Settings

    async def answer(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Gate(
        Starlette(routes=[Route("/x", answer, methods=["GET", "PURGE"])]),
        settings=Settings.from_environ({}),
        tenant="t",
        metrics=Metrics(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        # An id shaped like a HubSpot token is not kept (it would be logged as sent).
        shaped = await client.get("/x", headers={"X-Request-Id": "pat-na1-1234abcd-0000"})
        kept = await client.get("/x", headers={"X-Request-Id": "checkout.42"})
        odd = await client.request("PURGE", "/x", headers={"X-Request-Id": "odd-1"})
    assert shaped.headers["x-request-id"] != "pat-na1-1234abcd-0000"
    assert kept.headers["x-request-id"] == "checkout.42"
    assert odd.status_code == 200
    access = [line for line in lines(captured) if line["logger"] == "gateway.access"]
    assert [(line["method"], line["request_id"]) for line in access] == [
        ("GET", shaped.headers["x-request-id"]),
        ("GET", "checkout.42"),
        ("OTHER", "odd-1"),
    ]
    assert "pat-na1" not in captured.getvalue()
