from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.harness import Gateway, running_gateway
from tests.support.redis_server import RedisServer


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Every ``async def`` test runs on asyncio through anyio's plugin.

    Marked here, before anyio's own collection hook looks for the marker, so parametrized
    tests and async fixtures work as if each test carried ``@pytest.mark.anyio``."""
    if (
        isinstance(collector, pytest.Module | pytest.Class)
        and inspect.iscoroutinefunction(obj)
        and collector.istestfunction(obj, name)
    ):
        pytest.mark.anyio(obj)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server this session started on a free port; shared by the session's tests."""
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for one test alone, free to be stopped and restarted by it."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    """The gateway on its embedded sandbox with the clock frozen (``tests.support.harness.NOW``)."""
    async with running_gateway() as running:
        yield running
