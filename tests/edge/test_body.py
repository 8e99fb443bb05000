"""The edge's one body reader: nothing is read before access control, a GraphQL request is
parsed once (with the token limit), and no malformed body gets a 500."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql.language.parser import Parser
from starlette.types import Message, Receive

from gateway.edge.body import BodyReader
from gateway.edge.refusal import Refusal
from gateway.graphql.persisted import sha256
from tests.support.harness import Gateway, running_gateway
from tests.support.replicas import scrape, value

KEY = "key-a-0123456789"
KEYS = f"partner-a:{KEY}:6000"
LINKS = "query Links { meetingLinks(first: 2) { totalCount nodes { slug } } }"
BOOK_PATH = "/scheduler/v3/meetings/meeting-links/book"
JSON = {"content-type": "application/json"}
DEPTH = 20_000  # deeper than any stack, within GATEWAY_MAX_BODY_BYTES


def deep_variables() -> bytes:
    nested = b"[" * DEPTH + b"]" * DEPTH
    return b'{"query": "{ __typename }", "variables": {"a": ' + nested + b"}}"


MALFORMED = {
    "deeply nested variables": deep_variables(),
    "a bare number": b"5",
    "invalid UTF-8": b'{"query": "{ __typename \xff }"}',
    "a JSON array": json.dumps([{"query": LINKS}]).encode(),
    "variables not an object": json.dumps({"query": LINKS, "variables": [1]}).encode(),
    "query not a string": json.dumps({"query": 5}).encode(),
    "operationName not a string": json.dumps({"query": LINKS, "operationName": 1}).encode(),
    "extensions not an object": json.dumps({"query": LINKS, "extensions": "x"}).encode(),
    "no query at all": json.dumps({"variables": {}}).encode(),
}


class Chunks:
    """A streamed request body that counts how much of it the gateway pulled."""

    def __init__(self, body: bytes, size: int = 1024) -> None:
        self.parts = [body[i : i + size] for i in range(0, len(body), size)]
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            self.pulled += 1
            yield part


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The token limit of every GraphQL parse the process makes (a spy on the real parser)."""
    seen: list[int | None] = []
    original = Parser.__init__

    def counted(self: Parser, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs.get("max_tokens"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Parser, "__init__", counted)
    return seen


@pytest.mark.parametrize("authorized", [False, True], ids=["no key", "with key"])
async def test_a_refused_request_has_its_body_neither_read_nor_parsed(
    authorized: bool, parses: list[int | None]
) -> None:
    junk = json.dumps({"query": "query Named { " + "a " * 30_000 + "}"}).encode()
    async with running_gateway({"GATEWAY_API_KEYS": KEYS}) as gateway:
        # What a process's start parses (the packaged operations, once per process) is not
        # the request's.
        parses.clear()
        chunks = Chunks(junk)
        headers = {**JSON, "content-length": str(len(junk))}
        if authorized:
            headers["x-api-key"] = KEY
        response = await gateway.http.post("/graphql", content=chunks, headers=headers)
        if not authorized:
            assert response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert chunks.pulled == 0
            assert parses == []
            samples = await scrape(gateway)
            labels = {"route": "unmatched", "operation": "unknown", "status": "401"}
            assert value(samples, "gateway_requests_total", **labels) == 1
        else:
            assert response.status_code == 200
            assert response.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_TOKENS"
            assert chunks.pulled == len(chunks.parts)
            # Once, and bounded by GATEWAY_MAX_TOKENS.
            assert parses == [gateway.runtime.settings.max_tokens]


async def test_a_query_is_parsed_once_for_logs_metrics_cache_and_execution(
    gateway: Gateway, parses: list[int | None]
) -> None:
    # An alias never sent before in this process, so no parse of it is remembered.
    document = f"query OnceOnly {{ a{uuid.uuid4().hex}: meetingLinks(first: 1) {{ totalCount }} }}"
    first = await gateway.http.post("/graphql", json={"query": document})
    assert first.status_code == 200
    assert "errors" not in first.json()
    assert parses == [gateway.runtime.settings.max_tokens]
    again = await gateway.http.post("/graphql", json={"query": document})
    assert again.content == first.content
    assert len(parses) == 1  # a repeat of a short document is not parsed again
    samples = await scrape(gateway)
    labels = {"route": "/graphql", "operation": "OnceOnly", "status": "200"}
    assert value(samples, "gateway_requests_total", **labels) == 2


async def test_a_persisted_query_sent_by_hash_is_named_by_its_document(gateway: Gateway) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(LINKS)}}
    registered = await gateway.http.post(
        "/graphql", json={"query": LINKS, "extensions": extensions}
    )
    assert "errors" not in registered.json()
    by_hash = await gateway.http.post("/graphql", json={"extensions": extensions})
    assert by_hash.json() == registered.json()
    samples = await scrape(gateway)
    labels = {"route": "/graphql", "operation": "Links", "status": "200"}
    assert value(samples, "gateway_requests_total", **labels) == 2


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("keys", [False, True], ids=["open", "keyed"])
async def test_malformed_graphql_bodies_get_a_typed_400_and_cost_nothing(
    body: bytes, keys: bool
) -> None:
    async with running_gateway({"GATEWAY_API_KEYS": KEYS} if keys else {}) as gateway:
        before = await gateway.calls()
        headers = {**JSON, "x-api-key": KEY} if keys else JSON
        response = await gateway.http.post("/graphql", content=body, headers=headers)
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert error["message"]
        if keys:
            refused = await gateway.http.post("/graphql", content=body, headers=JSON)
            assert refused.status_code == 401
        assert await gateway.calls() == before


@pytest.mark.parametrize("cached", [False, True], ids=["not cached", "cached"])
async def test_the_wrong_content_type_is_refused_even_for_a_cached_query(
    gateway: Gateway, cached: bool
) -> None:
    body = json.dumps({"query": LINKS}).encode()
    if cached:
        warm = await gateway.http.post("/graphql", content=body, headers=JSON)
        assert warm.status_code == 200
        assert "errors" not in warm.json()
    before = await gateway.calls()
    response = await gateway.http.post(
        "/graphql", content=body, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.text == "Unsupported content type"
    assert await gateway.calls() == before


REST_MALFORMED = {
    "deeply nested JSON": b'{"slug": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",
    "invalid UTF-8": b'{"slug": "\xff\xfe"}',
    "a bare number": b"5",
    "a JSON array": b"[]",
    "not JSON": b"{",
}


@pytest.mark.parametrize("body", REST_MALFORMED.values(), ids=REST_MALFORMED.keys())
async def test_malformed_rest_bodies_get_hubspots_400(gateway: Gateway, body: bytes) -> None:
    before = await gateway.calls()
    response = await gateway.http.post(BOOK_PATH, content=body, headers=JSON)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "error"
    assert answer["category"] == "VALIDATION_ERROR"
    assert answer["correlationId"]
    assert await gateway.calls() == before


async def test_a_body_past_the_limit_is_refused_while_streaming(gateway: Gateway) -> None:
    limit = gateway.runtime.settings.max_body_bytes
    chunks = Chunks(b"{" + b" " * limit + b"}", size=4096)
    # No Content-Length: only the bytes received tell.
    response = await gateway.http.post("/graphql", content=chunks, headers=JSON)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert chunks.pulled == limit // 4096 + 1


async def test_a_syntax_error_is_answered_as_strawberry_answers_it(gateway: Gateway) -> None:
    response = await gateway.http.post("/graphql", json={"query": "{ meetingLink(slug: "})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert body["errors"][0]["message"].startswith("Syntax Error:")
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 21}]


def receiving(*bodies: bytes) -> Receive:
    """A client sending ``bodies`` as the messages of one request body."""
    messages = [
        {"type": "http.request", "body": body, "more_body": index < len(bodies) - 1}
        for index, body in enumerate(bodies)
    ]

    async def receive() -> Message:
        return messages.pop(0)

    return receive


async def replayed(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message["body"])
        if not message["more_body"]:
            return body


@pytest.mark.parametrize(
    ("bodies", "refused"),
    [
        ((b"x" * 10,), False),
        ((b"x" * 11,), True),  # one message past the limit, no Content-Length to tell
        ((b"x" * 5, b"x" * 5), False),
        ((b"x" * 5, b"x" * 6), True),
        ((b"", b"x" * 10, b""), False),
    ],
)
async def test_a_body_is_bounded_by_its_bytes_in_one_message_or_several(
    bodies: tuple[bytes, ...], refused: bool
) -> None:
    reader = BodyReader(maximum=10, max_tokens=None)
    scope = {"type": "http", "method": "POST", "path": "/rest", "headers": []}
    read = await reader.read(scope, receiving(*bodies))
    if refused:
        assert read is reader.too_large
    else:
        assert not isinstance(read, Refusal)
        assert await replayed(read) == b"".join(bodies)
