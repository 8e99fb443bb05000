"""Structured logs: every line names its request, and no token or e-mail is ever written."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.cache import tenant_id
from gateway.edge.gate import Gate
from gateway.edge.logs import (
    AccessLog,
    JsonFormatter,
    TextFormatter,
    configure_logging,
    request_facts,
)
from gateway.edge.request import UNREADABLE, GraphQLOperation, GraphQLRequest, read_graphql_request
from gateway.metrics import Metrics
from gateway.settings import Settings
from tests.edge.conftest import TOKEN
from tests.support.bookings import booking
from tests.support.harness import operation
from tests.support.replicas import replica, served_sandbox, slot_starts

BOOK = operation("BookMeeting")
EMAIL = "ada.lovelace@analytical-engines.io"


@contextmanager
def alone(log_format: str, stream: io.StringIO) -> Iterator[logging.Handler]:
    """The installed handler as the root logger's only one (pytest's capture set aside)."""
    handler = configure_logging(log_format, stream=stream)
    root = logging.getLogger()
    others = [h for h in root.handlers if h is not handler]
    for other in others:
        root.removeHandler(other)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for other in others:
            root.addHandler(other)
        root.setLevel(logging.WARNING)


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


def edge_app() -> Gate:
    """The edge's one layer around a route answering GET and PURGE on /x."""

    async def answer(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Gate(
        Starlette(routes=[Route("/x", answer, methods=["GET", "PURGE"])]),
        settings=Settings.from_environ({}),
        tenant="t",
        metrics=Metrics(),
    )


async def test_the_access_line_is_scrubbed_where_its_fields_enter(captured: io.StringIO) -> None:
    app = edge_app()
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


@pytest.mark.parametrize("log_format", ["json", "text"])
async def test_the_access_line_written_directly_is_the_line_its_record_makes(
    log_format: str,
) -> None:
    """With the installed handler alone the access line skips logging's record; with anyone
    else's handler beside it the line is an ordinary record: both render the same line."""
    stream = io.StringIO()
    records: list[str] = []

    def seen(record: logging.LogRecord) -> bool:
        records.append(record.getMessage())
        return True

    beside = logging.NullHandler()
    with alone(log_format, stream) as handler:
        handler.addFilter(seen)
        transport = httpx.ASGITransport(app=edge_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            await client.get("/x?q=1", headers={"X-Request-Id": "direct-1"})
            assert records == []  # no record was made: the line went straight to the stream
            logging.getLogger().addHandler(beside)
            await client.get("/x?q=1", headers={"X-Request-Id": "record-1"})
            assert records == ["GET /x 200"]
        logging.getLogger().removeHandler(beside)
    direct, recorded = stream.getvalue().splitlines()
    if log_format == "json":
        first, second = json.loads(direct), json.loads(recorded)
        assert first["request_id"] == "direct-1"
        for line in (first, second):
            line.pop("time"), line.pop("duration_ms"), line.pop("request_id")
        assert first == second
        assert list(json.loads(direct)) == list(json.loads(recorded))  # the same field order
    else:
        # "2026-12-02 09:10:11,123 INFO ...": the rest after the time.
        assert direct[23:].replace("direct-1", "ID") == recorded[23:].replace("record-1", "ID")
        assert direct[23:].startswith(" INFO    gateway.access [request_id=direct-1 tenant=t] GET")


class Flushes(io.StringIO):
    """A stream that counts its writes, and its flushes with what it held at each."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.flushed: list[int] = []

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def flush(self) -> None:
        self.flushed.append(len(self.getvalue().splitlines()))


SCOPE = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}


def access_line(log: AccessLog, seconds: float) -> None:
    log.write(request_facts(dict(SCOPE), "t").context(), "GET", "/x", 200, seconds)


async def test_access_lines_answered_in_one_turn_of_the_loop_are_written_and_flushed_once() -> None:
    stream = Flushes()
    with alone("text", stream):
        log = AccessLog()
        for number in range(3):
            access_line(log, 0.001 * number)
        assert (stream.getvalue(), stream.writes, stream.flushed) == ("", 0, [])
        await asyncio.sleep(0)  # the loop's next turn
        assert (len(stream.getvalue().splitlines()), stream.writes, stream.flushed) == (3, 1, [3])
        access_line(log, 0.004)
        logging.getLogger("gateway.test").warning("not an access line")
        # Any other record writes the kept line before itself, and flushes at once.
        assert stream.flushed == [3, 5]
        assert stream.getvalue().splitlines()[3].endswith("GET /x 200")
        assert stream.getvalue().splitlines()[4].endswith("not an access line")


def test_an_access_line_written_outside_an_event_loop_is_flushed_at_once() -> None:
    stream = Flushes()
    with alone("json", stream):
        access_line(AccessLog(), 0.001)
        assert stream.flushed == [1]


# Any time from 2001 to 2100, in the order a process logs them (or not: a clock can step back).
TIMES = st.lists(st.floats(min_value=1e9, max_value=4.1e9), min_size=1, max_size=40)


@given(TIMES)
def test_a_line_s_time_is_what_logging_s_own_formatter_renders(times: list[float]) -> None:
    text, plain = TextFormatter(), logging.Formatter()
    json_lines = JsonFormatter()
    for created in times:
        record = logging.LogRecord("x", logging.INFO, "", 0, "m", None, None)
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        assert text.formatTime(record) == plain.formatTime(record)
        utc = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        assert json.loads(json_lines.format(record))["time"] == f"{utc}.{record.msecs:03.0f}+00:00"
