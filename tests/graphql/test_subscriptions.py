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
from gateway.meetings.holds import HoldCommand, SlotHeld
from gateway.meetings.watches import Stream
from tests.support.bookings import booking
from tests.support.harness import NOW, running_gateway
from tests.support.loopback import (
    WAIT,
    on_loopback,
    sse_subscription,
    streams_opened,
    until,
    ws_connection,
    ws_subscription,
)
from tests.support.query_string import apq, sha
from tests.support.subscriptions import (
    BOOK,
    SLUG,
    SUBSCRIBE,
    WATCHED,
    calls,
    error_code,
    first_start,
    graphql,
)


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


async def test_streams_outlive_the_request_deadline_and_an_event_source_may_get_them() -> None:
    environ = {
        "SANDBOX_NOW": NOW,
        "GATEWAY_REQUEST_DEADLINE": "0.5",
        "GATEWAY_STREAM_HEARTBEAT": "0.1",
    }
    async with on_loopback(environ) as live, httpx.AsyncClient(timeout=WAIT) as http:
        headers = {"accept": "text/event-stream"}
        # What a browser's EventSource sends: a GET, the operation in the query string.
        params = {"query": SUBSCRIBE, "variables": json.dumps(WATCHED)}
        async with (
            http.stream("GET", f"{live.url}/graphql", params=params, headers=headers) as got,
            sse_subscription(live.url, SUBSCRIBE, WATCHED) as posted,
        ):
            await streams_opened(live, 2)
            chunks = got.aiter_text()
            beats = 0
            while beats < 8:  # past the deadline, twice over
                beats += (await anext(chunks)).count(": ping")
            # Held through the service: no request of its own to be cut by the short deadline.
            start = datetime.fromisoformat("2026-03-02T15:00:00+00:00")
            held = await live.runtime.service.holds.hold(HoldCommand(SLUG, start, 30, "UTC"))
            assert isinstance(held, SlotHeld), held
            assert (await posted.next())["data"]["availabilityChanged"]["reason"] == "HELD"
            while "event: next" not in (chunk := await anext(chunks)):
                pass
            assert '"reason":"HELD"' in chunk


async def test_a_subscription_without_a_streaming_transport_is_a_400() -> None:
    async with running_gateway() as gateway:
        body = {"query": SUBSCRIBE, "variables": WATCHED}
        posted = await gateway.http.post("/graphql", json=body)
        params = {"query": SUBSCRIBE, "variables": json.dumps(WATCHED)}
        got = await gateway.http.get("/graphql", params=params)
        for answer in (posted, got):
            assert answer.status_code == 400
            assert "text/event-stream" in answer.text
        assert gateway.runtime.watches.stats.opened == 0


async def test_a_persisted_subscription_without_a_streaming_transport_is_a_400() -> None:
    # The view reads the operation from the document the hash resolved to.
    async with running_gateway() as gateway:
        extensions = apq(sha(SUBSCRIBE))
        body = {"query": SUBSCRIBE, "variables": WATCHED, "extensions": extensions}
        registered = await gateway.http.post("/graphql", json=body)
        by_hash = {"variables": WATCHED, "extensions": extensions}
        posted = await gateway.http.post("/graphql", json=by_hash)
        for answer in (registered, posted):
            assert answer.status_code == 400, answer.text
            assert "text/event-stream" in answer.text
        assert gateway.runtime.watches.stats.opened == 0
