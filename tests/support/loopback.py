"""The gateway served by uvicorn on a free loopback port, for clients in other processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import uvicorn

from gateway.app import create_app
from gateway.settings import Settings
from tests.support.harness import NOW
from tests.support.redis_server import free_port


@asynccontextmanager
async def loopback_gateway(environ: Mapping[str, str]) -> AsyncIterator[str]:
    """The gateway (clock frozen at ``NOW``) on its embedded sandbox; its base URL."""
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW, **environ}))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the loopback gateway did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
