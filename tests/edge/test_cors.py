"""CORS: the headers the edge adds to every answer are those Starlette's middleware adds."""

from __future__ import annotations

import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from gateway.edge.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, CrossOrigin

RawHeaders = list[tuple[bytes, bytes]]
ANSWERS: list[RawHeaders] = [
    [(b"content-type", b"application/json")],
    [(b"content-type", b"application/json"), (b"vary", b"Accept")],
    [(b"vary", b"Accept"), (b"etag", b'"x"'), (b"vary", b"Authorization")],
]


async def starlettes(
    origins: tuple[str, ...], origin: str | None, answer: RawHeaders
) -> RawHeaders:
    """What Starlette's CORS middleware makes of ``answer``'s headers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(answer)})

    middleware = CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
    )
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    headers = [] if origin is None else [(b"origin", origin.encode())]
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}
    await middleware(scope, receive, send)
    return list(sent[0]["headers"])


@pytest.mark.parametrize("origins", [(), ("https://a.example",), ("*",)])
@pytest.mark.parametrize("origin", [None, "https://a.example", "https://elsewhere.example"])
@pytest.mark.parametrize("answer", ANSWERS, ids=["plain", "varies", "two varies"])
async def test_every_answer_gets_the_headers_starlettes_middleware_would_add(
    origins: tuple[str, ...], origin: str | None, answer: RawHeaders
) -> None:
    expected = await starlettes(origins, origin, answer)
    assert CrossOrigin(origins).answered(origin, list(answer)) == expected
