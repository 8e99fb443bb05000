"""The sandbox's webhook deliveries: every booking, signed as HubSpot signs, retried with the
same event until a 2xx, to a real receiver on a loopback port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.rest.webhooks import signature
from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.rest.api import BOOK, booking_body
from tests.support.harness import NOW as FROZEN
from tests.support.loopback import serving

SECRET = "sandbox-app-secret"
NOW = datetime.fromisoformat(FROZEN)


class Receiver:
    """Answers 503 to the first ``failures`` deliveries, then 204; keeps what came."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=503 if len(self.received) <= self.failures else 204)


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    async with serving(app) as (base, _server):
        yield f"{base}/hook"


async def book_on(config: SandboxConfig) -> tuple[Starlette, dict[str, Any]]:
    app = create_sandbox_app(config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        start = 1772463600000  # 2026-03-02T15:00Z, an hour after the frozen now
        made = await http.post(BOOK, json=booking_body("mel-nelson", start, 1_800_000))
        assert made.status_code == 200, made.text
        await app.state.webhooks.drain()
        counts: dict[str, Any] = (await http.get("/_sandbox/webhooks")).json()
    return app, counts


async def test_a_booking_is_delivered_signed_and_retried_until_acknowledged() -> None:
    receiver = Receiver(failures=2)
    async with receiving(receiver) as url:
        config = SandboxConfig(now=NOW, webhook_url=url, client_secret=SECRET)
        _, counts = await book_on(config)
    assert counts == {"delivered": 1, "attempts": 3, "failed": 0}
    events = []
    for headers, body in receiver.received:
        stamp = headers["x-hubspot-request-timestamp"]
        assert headers["x-hubspot-signature-v3"] == signature(SECRET, "POST", url, body, stamp)
        (event,) = json.loads(body)
        events.append(event)
    assert [event["attemptNumber"] for event in events] == [0, 1, 2]
    assert len({event["eventId"] for event in events}) == 1  # one event, retried
    assert events[0]["subscriptionType"] == "object.creation"
    assert events[0]["objectTypeId"] == "0-47"


async def test_without_a_url_nothing_is_delivered() -> None:
    _, counts = await book_on(SandboxConfig(now=NOW))
    assert counts == {"delivered": 0, "attempts": 0, "failed": 0}


def test_the_url_and_the_secret_go_together() -> None:
    with pytest.raises(ValueError, match="go together"):
        SandboxConfig(webhook_url="http://127.0.0.1:9/hook")
    config = SandboxConfig.from_environ(
        {"SANDBOX_WEBHOOK_URL": "http://127.0.0.1:9/hook", "SANDBOX_CLIENT_SECRET": SECRET}
    )
    assert (config.webhook_url, config.client_secret) == ("http://127.0.0.1:9/hook", SECRET)
    with pytest.raises(ValueError, match="SANDBOX_WEBHOOK_URL"):
        SandboxConfig.from_environ({"SANDBOX_WEBHOOK_URL": "ftp://x", "SANDBOX_CLIENT_SECRET": "s"})
