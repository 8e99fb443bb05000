"""The response cache: repeats skip execution, errors and mutations are never reused, and a
booking drops what it made stale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.responses import JSONResponse, Response

from gateway.cache import ReadThroughCache
from gateway.clock import FrozenClock
from gateway.edge.request import GraphQLRequest, read_graphql_request
from gateway.graphql.context import ReadLog
from gateway.graphql.responses import KeptAnswer, ResponseCache, carries_errors
from gateway.graphql.responses import response_key as key_of
from tests.support.harness import Gateway, operation

AVAILABILITY = operation("MeetingLinkAvailability")
VARIABLES = {"slug": "mel-nelson", "timeZone": "America/New_York", "durationMinutes": 30}


def lookups(gateway: Gateway) -> int:
    stats = gateway.runtime.cache.stats
    return stats.l1_hits + stats.l2_hits + stats.misses + stats.stale_served + stats.flight_waits


async def test_a_repeat_skips_execution(gateway: Gateway) -> None:
    first = await gateway.http.post(
        "/graphql", json={"query": AVAILABILITY, "variables": VARIABLES}
    )
    before = lookups(gateway)
    second = await gateway.http.post(
        "/graphql", json={"query": AVAILABILITY, "variables": VARIABLES}
    )
    assert second.content == first.content
    # One lookup, of the response itself: none of the reads an execution makes.
    assert lookups(gateway) - before == 1
    # Answered with the headers the execution's answer had (its request id aside).
    assert {**second.headers, "x-request-id": ""} == {**first.headers, "x-request-id": ""}


@pytest.mark.parametrize("body", [b"{}", '{"data":{"x":"é"}}'.encode(), bytes(70_000)])
def test_a_kept_answer_is_what_starlette_would_answer_for_its_bytes(body: bytes) -> None:
    kept, made = KeptAnswer(body), Response(body, media_type="application/json")
    assert (kept.status_code, kept.raw_headers, kept.body) == (
        made.status_code,
        made.raw_headers,
        made.body,
    )


async def test_identical_concurrent_queries_execute_once(gateway: Gateway) -> None:
    body: dict[str, Any] = {"query": AVAILABILITY, "variables": {**VARIABLES, "first": 5}}
    responses = await asyncio.gather(*(gateway.http.post("/graphql", json=body) for _ in range(20)))
    assert len({r.content for r in responses}) == 1
    # Exactly one response load, plus one execution's two reads (the link list, the booking
    # info with the month page it embeds); twenty executions would have loaded twenty responses.
    assert gateway.runtime.cache.stats.loads == 3


async def test_errors_are_never_reused(gateway: Gateway) -> None:
    body = {"query": AVAILABILITY, "variables": {**VARIABLES, "durationMinutes": 0}}
    await gateway.http.post("/graphql", json=body)
    executions = gateway.runtime.cache.stats.loads
    again = (await gateway.http.post("/graphql", json=body)).json()
    assert again["errors"]
    assert gateway.runtime.cache.stats.loads == executions + 1


def response_key(body: bytes) -> str | None:
    """The key of a body as the edge reads it (a body it refuses has none)."""
    found = read_graphql_request(body, max_tokens=None)
    return key_of(found) if isinstance(found, GraphQLRequest) else None


def test_only_well_formed_queries_have_a_key() -> None:
    assert response_key(b'{"query": "{ meetingLinks { totalCount } }"}')
    assert response_key(b'{"query": "mutation { bookMeeting(input: {}) { __typename } }"}') is None
    assert (
        response_key(b'{"query": "query A { a } mutation B { b }", "operationName": "B"}') is None
    )
    assert response_key(b'{"query": "query A { a } mutation B { b }", "operationName": "A"}')
    assert response_key(b'{"query": "{ a", "variables": {}}') is None
    assert response_key(b"not json") is None
    assert response_key(b'{"query": "{ a }", "variables": [1]}') is None
    one = response_key(b'{"query": "{ a }", "variables": {"x": 1, "y": 2}}')
    two = response_key(b'{"variables": {"y": 2, "x": 1}, "query": "{ a }"}')
    assert one == two
    assert one != response_key(b'{"query": "{ a }", "variables": {"x": 2, "y": 2}}')


async def test_a_response_built_on_a_stale_read_is_answered_never_kept() -> None:
    cache = ReadThroughCache(FrozenClock(datetime(2026, 3, 2, tzinfo=UTC)))
    responses = ResponseCache(cache, "t", ttl=60, max_stale=600)
    executions: list[bool] = []

    def executing(stale: bool) -> Callable[[ReadLog], Awaitable[Response]]:
        async def execute(reads: ReadLog) -> Response:
            executions.append(stale)
            reads.note(False)
            reads.note(stale)  # one stale read among fresh ones is enough
            return JSONResponse({"data": {"n": len(executions)}})

        return execute

    assert (await responses.serve("k", executing(stale=True))).body == b'{"data":{"n":1}}'
    assert (await responses.serve("k", executing(stale=False))).body == b'{"data":{"n":2}}'
    assert (await responses.serve("k", executing(stale=False))).body == b'{"data":{"n":2}}'
    assert executions == [True, False]
    assert cache.stats.reads == {
        ("graphql-response", "pass"): 1,
        ("graphql-response", "miss"): 1,
        ("graphql-response", "l1"): 1,
    }
    await cache.aclose()


async def test_kept_answers_at_once_only_what_serve_kept() -> None:
    cache = ReadThroughCache(FrozenClock(datetime(2026, 3, 2, tzinfo=UTC)))
    responses = ResponseCache(cache, "t", ttl=60, max_stale=600)

    def answering(body: dict[str, object]) -> Callable[[ReadLog], Awaitable[Response]]:
        async def execute(reads: ReadLog) -> Response:
            return JSONResponse(body)

        return execute

    assert responses.kept("k") is None
    await responses.serve("k", answering({"data": {"n": 1}}))
    kept = responses.kept("k")
    assert isinstance(kept, KeptAnswer)
    assert kept.body == b'{"data":{"n":1}}'
    await responses.serve("bad", answering({"data": None, "errors": [{"message": "no"}]}))
    assert responses.kept("bad") is None  # passed, never kept
    assert responses.kept("other") is None
    assert cache.stats.reads == {
        ("graphql-response", "miss"): 1,
        ("graphql-response", "pass"): 1,
        ("graphql-response", "l1"): 1,
    }
    await cache.aclose()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b'{"data":{"meetingLinks":{"totalCount":3}}}', False),
        # The word inside the data (a link's name) is no error.
        (b'{"data":{"meetingLink":{"name":"\\"errors\\" review"}}}', False),
        (b'{"data":null,"errors":[{"message":"no"}]}', True),
        (b'["errors"]', True),  # not an answer at all
    ],
)
def test_an_answer_carries_errors_only_when_its_object_has_them(body: bytes, errors: bool) -> None:
    assert carries_errors(body) is errors
