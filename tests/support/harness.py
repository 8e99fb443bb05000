"""The gateway as a client sees it: GraphQL over HTTP, on the embedded sandbox.

The gateway app runs with its lifespan, reached through httpx's ASGI transport; its upstream
is the sandbox, also over HTTP semantics. ``calls()`` reads the sandbox's own count of the
API calls it received, which is how tests prove that bad input cost no upstream call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.runtime import Runtime
from gateway.settings import Settings
from tests.support.served import served

# A Monday, 09:00 in New York: the advertised windows then span the US (8 March) and EU
# (29 March) daylight-saving changes.
NOW = "2026-03-02T14:00:00Z"
OPERATIONS = Path(__file__).resolve().parents[2] / "schema" / "operations"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


class Gateway:
    def __init__(
        self,
        app: Starlette,
        http: httpx.AsyncClient,
        sandbox: httpx.AsyncClient,
        runtime: Runtime,
    ) -> None:
        self.app = app
        self.http = http
        self.sandbox = sandbox
        self.runtime = runtime

    async def execute(
        self, document: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": document, "variables": dict(variables or {})}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, document: str, variables: Mapping[str, Any] | None = None) -> Any:
        body = await self.execute(document, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def calls(self) -> dict[str, int]:
        response = await self.sandbox.get("/_sandbox/calls")
        counts: dict[str, int] = response.json()
        return counts


@asynccontextmanager
async def running_gateway(
    environ: Mapping[str, str] | None = None, *, now: str | None = NOW
) -> AsyncIterator[Gateway]:
    """``now`` freezes the clock of gateway and sandbox (None: the real clock)."""
    frozen = {"SANDBOX_NOW": now} if now is not None else {}
    settings = Settings.from_environ({**frozen, **(environ or {})})
    app = create_app(settings)
    async with served(app) as server:
        gateway_transport = httpx.ASGITransport(app=server)
        sandbox_transport = httpx.ASGITransport(app=app.state.sandbox)
        async with (
            httpx.AsyncClient(transport=gateway_transport, base_url="http://gateway") as http,
            httpx.AsyncClient(transport=sandbox_transport, base_url="http://sandbox") as sandbox,
        ):
            yield Gateway(app, http, sandbox, server.runtime)
