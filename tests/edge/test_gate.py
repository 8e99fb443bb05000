"""The edge marks each request's answer: work that waits for it starts once its first bytes
are sent, or once the request ends without any."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from starlette.types import Message, Receive, Scope, Send

from gateway.answering import answer_sent
from gateway.edge.gate import Gate
from gateway.metrics import Metrics
from gateway.settings import Settings

SCOPE: Scope = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/x",
    "raw_path": b"/x",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"edge")],
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 50000),
}


def gate(app: object) -> Gate:
    return Gate(app, settings=Settings.from_environ({}), tenant="t", metrics=Metrics())  # type: ignore[arg-type]


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def test_follow_up_work_starts_after_the_first_part_of_the_body() -> None:
    events: list[str] = []

    async def follow_up() -> None:
        await answer_sent()
        events.append("follow-up")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.ensure_future(follow_up())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        done, _ = await asyncio.wait([task], timeout=0.05)
        assert not done, "the status line is not the answer"
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        async with asyncio.timeout(1):
            await task  # released by the first part, before the rest is sent
        await send({"type": "http.response.body", "body": b"two"})

    async def send(message: Message) -> None:
        events.append(message["type"])

    await gate(app)(dict(SCOPE), receive, send)
    assert events == [
        "http.response.start",
        "http.response.body",
        "follow-up",
        "http.response.body",
    ]


async def test_follow_up_work_starts_when_the_request_fails_unanswered() -> None:
    started: list[asyncio.Task[None]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        started.append(asyncio.ensure_future(answer_sent()))
        raise RuntimeError("no answer")

    async def send(message: Message) -> None:
        pass

    await gate(app)(dict(SCOPE), receive, send)  # the edge answers in its place
    async with asyncio.timeout(1):
        await started[0]


def failing(path: str) -> tuple[Scope, list[Message]]:
    return {**SCOPE, "path": path, "raw_path": path.encode()}, []


@pytest.mark.parametrize("path", ["/graphql", "/scheduler/v3/meetings/meeting-links"])
async def test_a_failure_before_the_answer_is_answered_by_the_edge_in_the_surface_s_shape(
    path: str, captured: io.StringIO
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    scope, sent = failing(path)

    async def send(message: Message) -> None:
        sent.append(message)

    metrics = Metrics()
    edge = Gate(app, settings=Settings.from_environ({}), tenant="t", metrics=metrics)
    await edge(scope, receive, send)
    start, body = sent
    assert start["status"] == 500
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/json"
    request_id = headers[b"x-request-id"].decode()
    assert headers[b"vary"] == b"Origin"  # the edge's CORS step wrote into it, as into any
    answer = json.loads(body["body"])
    if path == "/graphql":
        assert answer == {
            "data": None,
            "errors": [
                {"message": "Unexpected error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
            ],
        }
    else:
        assert answer["status"] == "error"
        assert answer["category"] == "INTERNAL_SERVER_ERROR"
        assert "a bug" not in json.dumps(answer)
    logged = [json.loads(line) for line in captured.getvalue().splitlines()]
    (failure,) = [line for line in logged if line["logger"] == "gateway.edge"]
    assert failure["level"] == "error"
    assert failure["request_id"] == request_id  # the client's answer names it
    assert "RuntimeError: a bug" in failure["exception"]
    assert (
        metrics.registry.get_sample_value(
            "gateway_requests_total", {"route": "unmatched", "operation": "", "status": "500"}
        )
        == 1
    )


async def test_a_failure_after_the_answer_began_is_left_to_the_server() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("cut short")

    scope, sent = failing("/graphql")

    async def send(message: Message) -> None:
        sent.append(message)

    # The server closes the connection: a cut answer must not look whole.
    with pytest.raises(RuntimeError, match="cut short"):
        await gate(app)(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start"]
