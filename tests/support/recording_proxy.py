"""A recording proxy between the gateway and a standalone sandbox, on a loopback port.

The gateway is pointed at it as at HubSpot (``HUBSPOT_BASE_URL``, a token); it forwards each
request unchanged (the raw path, so a ``%2F`` in a slug stays one) to its own sandbox app
through httpx's ASGI transport, and keeps the method and raw path of every request. A
``rewrite`` may change a JSON answer on its way back, as a newer HubSpot version would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.support.harness import NOW
from tests.support.redis_server import free_port

# (method, raw path) -> the answer's JSON -> the JSON to send instead
Rewrite = Callable[[str, str, Any], Any]
SEED = 5
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


class RecordingProxy:
    def __init__(self, rewrite: Rewrite | None = None) -> None:
        # Seeded, so two proxies' sandboxes make the same ids for the same bookings.
        self.sandbox = create_sandbox_app(SandboxConfig(now=datetime.fromisoformat(NOW), seed=SEED))
        self.requests: list[tuple[str, str]] = []
        self.rewrite = rewrite
        self.app = Starlette(routes=[Route("/{rest:path}", self.forward, methods=_METHODS)])
        self.base_url = ""

    async def forward(self, request: Request) -> Response:
        raw_path = request.scope["raw_path"].decode("ascii")
        self.requests.append((request.method, raw_path))
        query = request.scope["query_string"].decode("ascii")
        url = httpx.URL(f"http://sandbox{raw_path}" + (f"?{query}" if query else ""))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        transport = httpx.ASGITransport(app=self.sandbox)
        async with httpx.AsyncClient(transport=transport) as sandbox:
            answer = await sandbox.request(
                request.method, url, headers=headers, content=await request.body()
            )
        content = answer.content
        if self.rewrite is not None and answer.status_code == 200:
            content = httpx.Response(
                200, json=self.rewrite(request.method, raw_path, answer.json())
            ).content
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
        return Response(content, answer.status_code, headers=kept)

    def paths(self) -> list[str]:
        """The raw paths of the HubSpot API requests received (test controls left out)."""
        return [path for _, path in self.requests if not path.startswith("/_sandbox/")]


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@asynccontextmanager
async def serving(proxy: RecordingProxy) -> AsyncIterator[RecordingProxy]:
    """The proxy on a free loopback port, in this event loop; ``proxy.base_url`` is set."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(proxy.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the recording proxy did not start"
        await asyncio.sleep(0.01)
    proxy.base_url = f"http://127.0.0.1:{port}"
    try:
        yield proxy
    finally:
        server.should_exit = True
        await task
