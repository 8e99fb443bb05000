"""Replicas as they run behind a Service: a standalone sandbox process on a loopback port,
gateway apps with their lifespans on one Redis, and what their ``/metrics`` say."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.settings import Settings
from tests.support.harness import NOW, Gateway, operation
from tests.support.redis_server import RedisServer, free_port
from tests.support.served import SHARED_LOOP_REDIS
from tests.support.served import served as serve

ROOT = Path(__file__).resolve().parents[2]
AVAILABILITY = operation("MeetingLinkAvailability")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@contextmanager
def served_sandbox(environ: dict[str, str] | None = None) -> Iterator[str]:
    """``meetings-gateway sandbox`` in its own process on a free loopback port; its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "HUBSPOT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "sandbox", "--port", str(port)],
        cwd=ROOT,
        env={**env, "SANDBOX_NOW": NOW, **(environ or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/_sandbox/calls", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the sandbox did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@asynccontextmanager
async def replica(environ: dict[str, str]) -> AsyncIterator[Gateway]:
    app = create_app(Settings.from_environ(environ))
    async with serve(app) as server:
        await server.runtime.cache.start()  # subscribed before any other replica books
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=server), base_url="http://gw"
            ) as http,
            httpx.AsyncClient(base_url=environ["HUBSPOT_BASE_URL"]) as upstream,
        ):
            yield Gateway(app, http, upstream, server.runtime)


def replica_environ(redis: RedisServer, sandbox: str, **extra: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis.url,
        "SANDBOX_NOW": NOW,
        "HUBSPOT_BASE_URL": sandbox,
        # A tenant of its own per test: nothing cached by other tests on this Redis is shared.
        "HUBSPOT_ACCESS_TOKEN": f"pat-na1-{uuid.uuid4()}",
        **SHARED_LOOP_REDIS,
        **extra,
    }


async def scrape(gateway: Gateway) -> Samples:
    response = await gateway.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def slot_starts(gateway: Gateway) -> list[str]:
    data = await gateway.data(
        AVAILABILITY, {"slug": "mel-nelson", "timeZone": "UTC", "durationMinutes": 30}
    )
    return [slot["start"] for slot in data["meetingLink"]["availability"]["slots"]]
