"""``/graphql``'s streaming transports over loopback sockets: access control on both (the
WebSocket's from its upgrade headers or ``connection_init``), tenant scoping, heartbeats, and
persisted queries on the WebSocket."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.bookings import booking
from tests.support.harness import NOW
from tests.support.loopback import (
    WAIT,
    on_loopback,
    sse_subscription,
    streams_opened,
    ws_connection,
    ws_subscription,
)
from tests.support.subscriptions import (
    BOOK,
    KEY,
    SLUG,
    SUBSCRIBE,
    WATCHED,
    error_code,
    first_start,
    graphql,
)


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


async def test_in_allow_list_mode_only_the_shipped_subscription_runs() -> None:
    async with on_loopback({"SANDBOX_NOW": NOW, "GATEWAY_PERSISTED_ONLY": "true"}) as live:
        other = SUBSCRIBE.replace("    at\n", "")
        async with ws_subscription(live.url, SUBSCRIBE, WATCHED) as shipped:
            await streams_opened(live, 1)
            assert shipped.queue.empty()
        async with ws_subscription(live.url, other, WATCHED) as ws:
            assert error_code(await ws.next()) == "PERSISTED_QUERY_REQUIRED"
        # Over HTTP the refusal is the one every request gets: JSON, before any stream.
        async with httpx.AsyncClient() as http:
            refused = await http.post(
                f"{live.url}/graphql",
                json={"query": other, "variables": WATCHED},
                headers={"accept": "text/event-stream"},
            )
        assert error_code(refused.json()) == "PERSISTED_QUERY_REQUIRED"
        assert live.runtime.watches.stats.opened == 1
