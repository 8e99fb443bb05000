"""The gateway app run as a server runs it: its lifespan, and the lifespan's state copied into
every request's scope (what uvicorn does), for clients on httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from gateway.runtime import Runtime
from gateway.serving import STATE_KEY

# Gateways served here share the test's one event loop (and a loaded machine): a burst's Redis
# calls wait behind each other longer than a quarter second without Redis being slow, and a
# timed-out call would open the breaker the tests rely on staying closed. A stopped Redis still
# fails at once (the connection is refused).
SHARED_LOOP_REDIS = {"GATEWAY_REDIS_TIMEOUT": "2"}


@dataclass(frozen=True)
class Served:
    app: Starlette
    state: dict[str, Any]

    @property
    def runtime(self) -> Runtime:
        runtime = self.state[STATE_KEY]
        assert isinstance(runtime, Runtime)
        return runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(self.state)}
        await self.app(scope, receive, send)


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[Served]:
    async with app.router.lifespan_context(app) as state:
        yield Served(app, dict(state or {}))
