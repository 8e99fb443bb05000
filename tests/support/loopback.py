"""The gateway as a server runs it: uvicorn on a free loopback port, lifespan and all, in the
test's own event loop, and the two clients a browser page would use on it: GraphQL over SSE
and graphql-transport-ws.

    async with on_loopback(environ) as live:          # live.url, live.runtime, live.server
        async with sse_subscription(live.url, query, variables) as changes:
            change = await changes.next()             # the payload of the next `next` event
        async with ws_subscription(live.url, query, variables) as changes: ...
    async with gateway_on_loopback(environ, upstream=url) as served:   # clock frozen at NOW
        await served.calls()                          # the sandbox's own count of API calls
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from httpx_sse import aconnect_sse
from starlette.applications import Starlette
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.serving import STATE_KEY
from gateway.settings import Settings
from tests.support.harness import NOW
from tests.support.redis_server import free_port

# Generous: a change is expected within a second, a loaded CI machine may be slower.
WAIT = 10.0


@dataclass
class Live:
    app: Starlette
    server: uvicorn.Server
    url: str

    @property
    def runtime(self) -> Runtime:
        runtime = self.server.lifespan.state[STATE_KEY]
        assert isinstance(runtime, Runtime)
        return runtime


@asynccontextmanager
async def serving(
    app: ASGIApp, port: int | None = None
) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    """``app`` served by uvicorn on a loopback port, in this event loop; its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started or task.done())
        if task.done():
            task.result()
            raise RuntimeError("the server did not start")
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def on_loopback(environ: Mapping[str, str], port: int | None = None) -> AsyncIterator[Live]:
    app = create_app(Settings.from_environ(environ))
    async with serving(app, port) as (url, server):
        live = Live(app, server, url)
        await live.runtime.cache.start()  # subscribed before any other replica books
        yield live


async def until(check: Callable[[], bool]) -> None:
    """Wait for a state of the server that no message announces (polled)."""
    async with asyncio.timeout(WAIT):
        while True:
            if check():
                return
            await asyncio.sleep(0.01)


async def streams_opened(live: Live, count: int) -> None:
    """Wait until ``count`` streams were opened (subscribed and their range read) on ``live``:
    a stream opens inside the server once its response began."""
    await until(lambda: live.runtime.watches.stats.opened >= count)


class Changes:
    """The ``next`` payloads of one subscription, as they come."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.completed = asyncio.Event()

    async def next(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT):
            payload = await self.queue.get()
        assert payload is not None, "the stream completed"
        return payload

    async def end(self) -> None:
        """Wait for the server's clean end of the stream (``complete``)."""
        async with asyncio.timeout(WAIT):
            await self.completed.wait()


@asynccontextmanager
async def sse_subscription(
    url: str,
    query: str,
    variables: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[Changes]:
    """GraphQL over SSE, distinct connections mode, as the ``graphql-sse`` client speaks it."""
    changes = Changes()
    opened = asyncio.Event()

    async def read(http: httpx.AsyncClient) -> None:
        body = {"query": query, "variables": dict(variables)}
        async with aconnect_sse(
            http, "POST", f"{url}/graphql", json=body, headers=dict(headers or {})
        ) as source:
            source.response.raise_for_status()
            opened.set()
            async for event in source.aiter_sse():
                if event.event == "next":
                    changes.queue.put_nowait(json.loads(event.data))
                elif event.event == "complete":
                    changes.completed.set()
                    changes.queue.put_nowait(None)
                    return

    async with httpx.AsyncClient(timeout=httpx.Timeout(WAIT, read=None)) as http:
        task = asyncio.create_task(read(http))
        waiting = asyncio.create_task(opened.wait())
        await asyncio.wait([task, waiting], timeout=WAIT, return_when="FIRST_COMPLETED")
        waiting.cancel()
        if task.done():
            task.result()
        try:
            yield changes
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def ws_connection(
    url: str, payload: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection, acknowledged."""
    async with connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=dict(headers or {}),
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": dict(payload or {})}))
        async with asyncio.timeout(WAIT):
            raw = await socket.recv()
        # Browsers' graphql-ws client reads text frames only.
        assert isinstance(raw, str), raw
        ack = json.loads(raw)
        assert ack["type"] == "connection_ack", ack
        yield socket


@asynccontextmanager
async def ws_subscription(
    url: str,
    query: str,
    variables: Mapping[str, Any],
    payload: Mapping[str, Any] | None = None,
) -> AsyncIterator[Changes]:
    """One subscription on a graphql-transport-ws connection, as the ``graphql-ws`` client
    speaks it (it answers the server's pings)."""
    changes = Changes()
    async with ws_connection(url, payload) as socket:
        operation = str(uuid.uuid4())
        message = {"query": query, "variables": dict(variables)}
        await socket.send(json.dumps({"id": operation, "type": "subscribe", "payload": message}))

        async def read() -> None:
            async for raw in socket:
                assert isinstance(raw, str), raw
                message = json.loads(raw)
                if message["type"] == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    changes.queue.put_nowait(message["payload"])
                elif message["type"] in ("complete", "error"):
                    if message["type"] == "error":
                        changes.queue.put_nowait({"errors": message["payload"]})
                    changes.completed.set()
                    changes.queue.put_nowait(None)

        task = asyncio.create_task(read())
        try:
            yield changes
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@dataclass(frozen=True)
class Loopback:
    url: str
    sandbox: httpx.AsyncClient

    async def calls(self) -> dict[str, int]:
        response = await self.sandbox.get("/_sandbox/calls")
        assert response.status_code == 200
        counts: dict[str, int] = response.json()
        return counts


@asynccontextmanager
async def gateway_on_loopback(
    environ: Mapping[str, str] | None = None, *, upstream: str | None = None
) -> AsyncIterator[Loopback]:
    """On its embedded sandbox, or on the one served at ``upstream``; clock frozen at ``NOW``."""
    over = {"HUBSPOT_BASE_URL": upstream} if upstream is not None else {}
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW, **over, **(environ or {})}))
    if upstream is None:
        sandbox = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app.state.sandbox), base_url="http://sandbox"
        )
    else:
        sandbox = httpx.AsyncClient(base_url=upstream)
    async with serving(app) as (url, _server), sandbox:
        yield Loopback(url, sandbox)
