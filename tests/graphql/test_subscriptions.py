"""``availabilityChanged`` on one gateway over loopback sockets: its argument checks, access
control on both transports, tenant scoping, limits, heartbeats and clean ends."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from gateway.meetings.changes import Reason, SlotChange
from gateway.meetings.watches import Stream
from tests.support.bookings import booking
from tests.support.harness import NOW, operation
from tests.support.loopback import (
    WAIT,
    Live,
    on_loopback,
    sse_subscription,
    streams_opened,
    until,
    ws_connection,
    ws_subscription,
)

SUBSCRIBE = operation("AvailabilityChanged")
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
SLUG = "mel-nelson"
WATCHED = {"slug": SLUG, "timeZone": "UTC", "to": "2026-03-03T14:00:00Z", "durationMinutes": 30}
KEY = "browser-page-key-0001"


async def calls(live: Live) -> dict[str, int]:
    sandbox = httpx.ASGITransport(app=live.app.state.sandbox)
    async with httpx.AsyncClient(transport=sandbox, base_url="http://sandbox") as http:
        found: dict[str, int] = (await http.get("/_sandbox/calls")).json()
        return found


async def graphql(
    live: Live, document: str, variables: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as http:
        response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def first_start(live: Live, headers: dict[str, str] | None = None) -> str:
    data = await graphql(live, AVAILABILITY, WATCHED, headers)
    return str(data["meetingLink"]["availability"]["slots"][0]["start"])


def error_code(payload: dict[str, Any]) -> str:
    assert payload.get("data") is None, payload
    return str(payload["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"timeZone": "EST"}, "BAD_USER_INPUT"),
        ({"to": "2026-03-01T14:00:00Z"}, "INVALID_RANGE"),
        ({"to": "2026-05-01T14:00:00Z"}, "RANGE_TOO_LONG"),
        ({"durationMinutes": 0}, "OUT_OF_RANGE"),
        ({"slug": "../etc"}, "INVALID_SLUG"),
    ],
)
async def test_bad_arguments_are_typed_errors_that_cost_no_upstream_call(
    variables: dict[str, Any], code: str
) -> None:
    async with on_loopback({"SANDBOX_NOW": NOW}) as live:
        before = await calls(live)
        bad = {**WATCHED, "from": NOW, **variables}
        async with sse_subscription(live.url, SUBSCRIBE, bad) as sse:
            assert error_code(await sse.next()) == code
            await sse.end()
        async with ws_subscription(live.url, SUBSCRIBE, bad) as ws:
            assert error_code(await ws.next()) == code
        assert await calls(live) == before
        assert live.runtime.watches.open_streams == 0


async def test_an_unknown_link_is_refused_once_read() -> None:
    async with on_loopback({"SANDBOX_NOW": NOW}) as live:
        async with sse_subscription(live.url, SUBSCRIBE, {**WATCHED, "slug": "nobody"}) as sse:
            assert error_code(await sse.next()) == "MEETING_LINK_NOT_FOUND"
            await sse.end()
        assert (live.runtime.watches.open_streams, live.runtime.watches.watched_ranges) == (0, 0)


async def test_api_keys_guard_both_transports() -> None:
    environ = {"SANDBOX_NOW": NOW, "GATEWAY_API_KEYS": f"page:{KEY}:600"}
    async with on_loopback(environ) as live:
        refused = await httpx.AsyncClient().__aenter__()
        try:
            response = await refused.post(
                f"{live.url}/graphql",
                json={"query": SUBSCRIBE, "variables": WATCHED},
                headers={"accept": "text/event-stream"},
            )
        finally:
            await refused.aclose()
        assert response.status_code == 401
        with pytest.raises(ConnectionClosed) as closed:
            async with ws_connection(live.url, {"x-api-key": "not-the-key"}):
                pass
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
        start = await first_start(live, {"x-api-key": KEY})
        # A browser's key in connection_init's payload; a server's in the upgrade's headers.
        async with (
            ws_subscription(live.url, SUBSCRIBE, WATCHED, {"x-api-key": KEY}) as ws,
            ws_subscription(
                live.url, SUBSCRIBE, WATCHED, {"Authorization": f"ApiKey {KEY}"}
            ) as ws2,
            sse_subscription(live.url, SUBSCRIBE, WATCHED, {"x-api-key": KEY}) as sse,
        ):
            await streams_opened(live, 3)
            await graphql(live, BOOK, booking(SLUG, start, 30), {"x-api-key": KEY})
            for changes in (ws, ws2, sse):
                assert (await changes.next())["data"]["availabilityChanged"]["reason"] == "BOOKED"


async def test_a_pass_through_caller_sees_its_own_tenants_changes_only() -> None:
    async with on_loopback({"SANDBOX_NOW": NOW, "GATEWAY_PASS_THROUGH_AUTH": "true"}) as live:
        mine, theirs = {"authorization": "Bearer pat-mine"}, {"authorization": "Bearer pat-theirs"}
        start = await first_start(live, mine)
        with pytest.raises(ConnectionClosed):
            async with ws_connection(live.url, {}):
                pass
        async with (
            ws_subscription(live.url, SUBSCRIBE, WATCHED, mine) as own,
            sse_subscription(live.url, SUBSCRIBE, WATCHED, theirs) as other,
        ):
            await streams_opened(live, 2)
            assert live.runtime.watches.watched_ranges == 2  # one per tenant
            reads = live.runtime.watches.stats.reads
            await graphql(live, BOOK, booking(SLUG, start, 30), mine)
            assert (await own.next())["data"]["availabilityChanged"]["reason"] == "BOOKED"
            # The note reached every watch of the booking's tenant at once: the other
            # tenant's range was not read (it learns at HubSpot's pace, as UPSTREAM_CHANGED).
            assert live.runtime.watches.stats.reads == reads + 1
            assert other.queue.empty()


async def test_one_read_per_watched_range_whatever_its_subscribers() -> None:
    async with on_loopback({"SANDBOX_NOW": NOW}) as live:
        start = await first_start(live)
        async with (
            sse_subscription(live.url, SUBSCRIBE, WATCHED) as one,
            sse_subscription(live.url, SUBSCRIBE, WATCHED) as two,
            ws_subscription(live.url, SUBSCRIBE, WATCHED) as three,
        ):
            await streams_opened(live, 3)
            assert live.runtime.watches.stats.reads == 1
            await graphql(live, BOOK, booking(SLUG, start, 30))
            for changes in (one, two, three):
                assert (await changes.next())["data"]["availabilityChanged"]["reason"] == "BOOKED"
            assert live.runtime.watches.stats.reads == 2


async def test_the_limits_refuse_more_streams_and_subscriptions() -> None:
    environ = {
        "SANDBOX_NOW": NOW,
        "GATEWAY_MAX_STREAMS": "2",
        "GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION": "1",
    }
    async with on_loopback(environ) as live, ws_connection(live.url) as socket:
        for operation_id in ("1", "2"):
            message = {"query": SUBSCRIBE, "variables": WATCHED}
            await socket.send(
                json.dumps({"id": operation_id, "type": "subscribe", "payload": message})
            )
        async with asyncio.timeout(WAIT):
            refused = json.loads(await socket.recv())
        assert (refused["id"], refused["type"]) == ("2", "error")
        assert refused["payload"][0]["message"] == "Subscription limit reached"
        async with sse_subscription(live.url, SUBSCRIBE, WATCHED) as second:
            await streams_opened(live, 2)
            async with sse_subscription(live.url, SUBSCRIBE, WATCHED) as third:
                assert error_code(await third.next()) == "TOO_MANY_STREAMS"
            assert live.runtime.watches.open_streams == 2
            assert second.queue.empty()


async def test_heartbeats_on_both_transports() -> None:
    async with (
        on_loopback({"SANDBOX_NOW": NOW, "GATEWAY_STREAM_HEARTBEAT": "0.05"}) as live,
        ws_connection(live.url) as socket,
        httpx.AsyncClient(timeout=WAIT) as http,
    ):
        async with asyncio.timeout(WAIT):
            assert json.loads(await socket.recv()) == {"type": "ping"}
        body = {"query": SUBSCRIBE, "variables": WATCHED}
        headers = {"accept": "text/event-stream"}
        async with http.stream("POST", f"{live.url}/graphql", json=body, headers=headers) as sse:
            assert sse.headers["content-type"].startswith("text/event-stream")
            async with asyncio.timeout(WAIT):
                async for chunk in sse.aiter_text():
                    if ": ping" in chunk:
                        break


async def test_a_slow_consumer_is_dropped_with_a_close_code() -> None:
    async with on_loopback({"SANDBOX_NOW": NOW, "GATEWAY_STREAM_QUEUE": "1"}) as live:
        async with ws_connection(live.url) as socket:
            message = {"query": SUBSCRIBE, "variables": WATCHED}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
            await streams_opened(live, 1)
            # Two changes before the stream's reader runs again: one more than it may keep.
            (watch,) = live.runtime.watches.watched()
            (stream,) = watch.streams
            assert overflow(stream) is False
            with pytest.raises(ConnectionClosed) as closed:
                await read_until_closed(socket)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4008, "SLOW_CONSUMER")
        await until(lambda: live.runtime.watches.open_streams == 0)


async def read_until_closed(socket: ClientConnection) -> None:
    async with asyncio.timeout(WAIT):
        while True:
            await socket.recv()


def overflow(stream: Stream) -> bool:
    change = SlotChange(SLUG, Reason.BOOKED, (), (), datetime.fromisoformat(NOW))
    return stream.offer(change) and stream.offer(change)


async def test_streams_end_cleanly_on_shutdown() -> None:
    async with (
        on_loopback({"SANDBOX_NOW": NOW}) as live,
        sse_subscription(live.url, SUBSCRIBE, WATCHED) as sse,
        ws_subscription(live.url, SUBSCRIBE, WATCHED) as ws,
    ):
        await streams_opened(live, 2)
        live.app.state.watches.end()
        await sse.end()
        await ws.end()
        assert live.runtime.watches.open_streams == 0
        async with sse_subscription(live.url, SUBSCRIBE, WATCHED) as late:
            assert error_code(await late.next()) == "SHUTTING_DOWN"
