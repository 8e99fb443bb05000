"""The gateway as a server runs it: uvicorn on a free loopback port, lifespan and all, on its
embedded sandbox or on the one served at ``upstream`` (clock frozen at ``NOW``), for clients
that speak real HTTP.

``sandbox`` reaches that sandbox, for its own count of the API calls it received
(``/_sandbox/calls``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from gateway.app import create_app
from gateway.settings import Settings
from tests.support.harness import NOW
from tests.support.redis_server import free_port


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
    over = {"HUBSPOT_BASE_URL": upstream} if upstream is not None else {}
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW, **over, **(environ or {})}))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the gateway did not start"
        await asyncio.sleep(0.01)
    if upstream is None:
        sandbox = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app.state.sandbox), base_url="http://sandbox"
        )
    else:
        sandbox = httpx.AsyncClient(base_url=upstream)
    try:
        async with sandbox:
            yield Loopback(f"http://127.0.0.1:{port}", sandbox)
    finally:
        server.should_exit = True
        await task
