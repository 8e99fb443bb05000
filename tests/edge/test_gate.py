"""The edge marks each request's answer: work that waits for it starts once its first bytes
are sent, or once the request ends without any."""

from __future__ import annotations

import asyncio

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

    with pytest.raises(RuntimeError):
        await gate(app)(dict(SCOPE), receive, send)
    async with asyncio.timeout(1):
        await started[0]
