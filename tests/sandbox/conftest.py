from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.support.sandbox_client import NOW, SandboxClient


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(now=NOW, seed=7)


@pytest.fixture
def app(config: SandboxConfig) -> Starlette:
    return create_sandbox_app(config)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


@pytest.fixture
def sandbox(http: httpx.AsyncClient) -> SandboxClient:
    return SandboxClient(http)
