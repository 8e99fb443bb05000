"""A real upstream whose booking answers come late, or never: the sandbox behind a small
proxy served by uvicorn on a loopback port.

Every call reaches the sandbox at once (so a booking is made when it arrives, as at HubSpot);
only the answer to a booking is held back, by ``book_delay()`` seconds, or until the test
ends when ``hang`` is set (the gateway's read timeout then ends the exchange). ``made`` counts
the bookings the sandbox made, ``answered`` the answers the proxy let go.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from gateway.app import create_app
from gateway.deadline import deadline_after
from gateway.hubspot.paths import api_paths
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.settings import Settings
from tests.support.harness import NOW, Gateway
from tests.support.redis_server import free_port
from tests.support.served import SHARED_LOOP_REDIS
from tests.support.served import served as serve

# The booking path at the version the gateway calls by default.
BOOK_PATH = api_paths(Settings().hubspot_api_version).book
# The gateway's request deadline in these tests, seconds.
DEADLINE = "1"
# What the gateway's first reads may take, before the test's requests begin.
WARM_UP_SECONDS = 30.0


class SlowUpstream:
    def __init__(self) -> None:
        self.sandbox = create_sandbox_app(SandboxConfig(now=datetime.fromisoformat(NOW)))
        self.control = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.sandbox), base_url="http://sandbox"
        )
        self.book_delay: Callable[[], float] = lambda: 0.0
        self.hang = False
        self.made = 0
        self.answered = 0
        self.released = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"host",)]
        query = scope["query_string"].decode()
        response = await self.control.request(
            scope["method"],
            scope["path"] + (f"?{query}" if query else ""),
            content=body,
            headers=headers,
        )
        if scope["method"] == "POST" and scope["path"] == BOOK_PATH:
            await self._hold_back(response)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (b"content-type", response.headers.get("content-type", "").encode()),
                    (b"content-length", str(len(response.content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.content})

    async def _hold_back(self, response: httpx.Response) -> None:
        if response.status_code == 200:
            self.made += 1
        if self.hang:
            await self.released.wait()
        else:
            await asyncio.sleep(self.book_delay())
        self.answered += 1

    async def calls(self) -> dict[str, int]:
        counts: dict[str, int] = (await self.control.get("/_sandbox/calls")).json()
        return counts


@dataclass(frozen=True)
class Served:
    upstream: SlowUpstream
    url: str

    def environ(self, **extra: str) -> dict[str, str]:
        """A gateway on this upstream (a tenant of its own on any shared Redis)."""
        return {
            "SANDBOX_NOW": NOW,
            "HUBSPOT_BASE_URL": self.url,
            "HUBSPOT_ACCESS_TOKEN": f"pat-na1-{uuid.uuid4()}",
            **SHARED_LOOP_REDIS,
            **extra,
        }


@asynccontextmanager
async def slow_upstream() -> AsyncIterator[Served]:
    upstream = SlowUpstream()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(upstream, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the slow upstream did not start"
        await asyncio.sleep(0.01)
    try:
        yield Served(upstream, f"http://127.0.0.1:{port}")
    finally:
        upstream.released.set()
        server.should_exit = True
        await task
        await upstream.control.aclose()


@asynccontextmanager
async def gateway_on(environ: Mapping[str, str], served: Served) -> AsyncIterator[Gateway]:
    app = create_app(Settings.from_environ({"GATEWAY_REQUEST_DEADLINE": DEADLINE, **environ}))
    async with serve(app) as server:
        if "REDIS_URL" in environ:
            await server.runtime.cache.start()  # subscribed before any other replica books
        # A served process warms up before it takes requests: its first reads (the link list,
        # booking info, month pages through this proxy) are made before the 1 s deadline applies
        # (a call outside a request is bounded by the request deadline too, which a loaded
        # machine can pass while the sandbox works out two months on this same loop).
        with deadline_after(WARM_UP_SECONDS):
            await server.runtime.service.availability(
                "mel-nelson", start=None, end=None, duration_minutes=30, first=None
            )
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield Gateway(app, http, served.upstream.control, server.runtime)


async def until(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait for an observable state, polling; fail if it does not come within ``within`` s."""
    give_up = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < give_up, "the state never came"
        await asyncio.sleep(0.05)
