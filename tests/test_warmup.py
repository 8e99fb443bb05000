"""Warm-up at start: the shipped operations validated without running, one upstream read."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import pytest
from graphql import parse, print_ast
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.edge.request import _remembered_parse
from gateway.garbage import THRESHOLDS
from gateway.graphql.persisted import PACKAGED_OPERATIONS, load_operations
from gateway.graphql.schema import build_schema
from gateway.settings import Settings
from gateway.warmup import REDIS_CONNECTIONS, UNACCEPTABLE, stopped_variables, warm_schema
from gateway.web.bundle import sent_documents
from tests.support.harness import NOW, Gateway, operation
from tests.support.redis_server import RedisServer
from tests.support.served import served


@pytest.fixture
def collector() -> Iterator[None]:
    """The warm-up freezes the process's objects and raises the thresholds: undone after."""
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


async def test_the_shipped_operations_are_validated_and_none_runs(gateway: Gateway) -> None:
    documents = list(load_operations(PACKAGED_OPERATIONS).values())
    before = await gateway.calls()
    warmed = await warm_schema(build_schema(), gateway.runtime.service, documents)
    # Each file as written and stripped: clients send either.
    assert warmed == len(documents) == 2 * len(list(PACKAGED_OPERATIONS.glob("*.graphql")))
    assert await gateway.calls() == before


def test_every_variable_is_sent_what_no_type_accepts() -> None:
    variables = stopped_variables(operation("MeetingLinkAvailability"))
    assert variables == dict.fromkeys(
        ["slug", "timeZone", "from", "to", "durationMinutes", "first"], UNACCEPTABLE
    )
    assert stopped_variables("{ __typename }") is None
    assert stopped_variables("query A($a: Int) { x } query B($b: Int) { y }") is None


@pytest.mark.usefixtures("collector")
async def test_a_warm_process_read_the_links_once_and_settled_its_collector() -> None:
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW}), warm=True)
    async with served(app) as server:
        sandbox = httpx.ASGITransport(app=app.state.sandbox)
        async with httpx.AsyncClient(transport=sandbox, base_url="http://sandbox") as upstream:
            calls = (await upstream.get("/_sandbox/calls")).json()
            assert calls == {"list_links": 1, "booking_info": 0, "availability": 0, "book": 0}
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == THRESHOLDS
        transport = httpx.ASGITransport(app=server)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://gateway") as http,
            httpx.AsyncClient(transport=sandbox, base_url="http://sandbox") as upstream,
        ):
            ready = await http.get("/readyz")
            assert ready.json() == {"status": "ready", "upstream": "ok", "cache": "ok"}
            # The read was the link index: the first query finds its link there and reads
            # only its own data (the booking info, with its first month, and the second month).
            first = await http.post(
                "/graphql", json={"query": operation("MeetingLinkAvailability"), "variables": MONTH}
            )
            assert "errors" not in first.json()
            calls = (await upstream.get("/_sandbox/calls")).json()
            assert calls == {"list_links": 1, "booking_info": 1, "availability": 1, "book": 0}


@pytest.mark.usefixtures("collector")
async def test_the_booking_page_s_month_query_was_parsed_at_start() -> None:
    _remembered_parse.cache_clear()  # what other tests' gateways parsed
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW}), warm=True)
    async with served(app) as server:
        parsed = _remembered_parse.cache_info().misses
        [sent] = [d for d in sent_documents() if "query MeetingLinkAvailability(" in d]
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            first = await http.post("/graphql", json={"query": sent, "variables": MONTH})
        assert "errors" not in first.json()
        assert first.json()["data"]["meetingLink"]["availability"]["slots"]
        assert _remembered_parse.cache_info().misses == parsed


MONTH = {
    "slug": "mel-nelson",
    "timeZone": "America/New_York",
    "from": "2026-03-02T00:00:00-05:00",
    "to": "2026-04-01T00:00:00-04:00",
}


@pytest.mark.usefixtures("collector")
async def test_a_first_query_on_a_fresh_redis_neither_connects_nor_loads_a_script(
    own_redis_server: RedisServer,
) -> None:
    settings = Settings.from_environ({"SANDBOX_NOW": NOW, "REDIS_URL": own_redis_server.url})
    app = create_app(settings, warm=True)
    async with served(app) as server, Redis.from_url(own_redis_server.url) as watcher:
        pool = server.runtime.redis.client.connection_pool  # type: ignore[union-attr]
        assert len(pool._available_connections) == REDIS_CONNECTIONS
        await watcher.config_resetstat()
        received = (await watcher.info("stats"))["total_connections_received"]
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            answer = await http.post(
                "/graphql",
                json={"query": operation("MeetingLinkAvailability"), "variables": MONTH},
            )
        assert "errors" not in answer.json()
        # No connection opened, no script met NOSCRIPT and was loaded: the warm-up did both.
        assert (await watcher.info("stats"))["total_connections_received"] == received
        commands = await watcher.info("commandstats")
        assert "cmdstat_script" not in commands
        assert commands["cmdstat_evalsha"]["failed_calls"] == 0
        assert commands["cmdstat_evalsha"]["calls"] > 0


def test_the_booking_page_sends_the_shipped_operations_in_another_layout() -> None:
    sent = sent_documents()
    shipped = load_operations(PACKAGED_OPERATIONS).values()
    files = {text for text in shipped if text == text.strip() + "\n"}
    assert len(sent) == len(files) == len(list(PACKAGED_OPERATIONS.glob("*.graphql")))
    assert not set(sent) & set(shipped)
    assert sorted(print_ast(parse(text)) for text in sent) == sorted(
        print_ast(parse(text)) for text in files
    )
