"""The one reader of request bodies.

A POST, PUT or PATCH body past ``maximum`` bytes gets 413 before anything reads it, by its
``Content-Length`` or by the bytes actually received (chunked bodies). Any other body is
buffered once and replayed to the app. A JSON body sent to ``/graphql`` is also parsed, once,
and what came of it (a ``GraphQLRequest`` or a ``BadRequest``) kept in the scope's state.
Bodies of other content types are left to the GraphQL server, which refuses them.
"""

from __future__ import annotations

from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type

from gateway.edge.refusal import GRAPHQL_PATH, BadRequest, refuse
from gateway.edge.request import GraphQLRequest, read_graphql_request

_STATE_KEY = "graphql_request"
_WITH_BODY = ("POST", "PUT", "PATCH")


def graphql_request_of(scope: Scope) -> GraphQLRequest | BadRequest | None:
    """What the edge read from a JSON POST to ``/graphql``; None for anything else."""
    found = scope.get("state", {}).get(_STATE_KEY)
    return found if isinstance(found, GraphQLRequest | BadRequest) else None


def keep_graphql_request(scope: Scope, request: GraphQLRequest) -> None:
    """Replace what the edge read (a persisted query resolved to its document), so that the
    logs and metrics name the operation that ran."""
    scope.setdefault("state", {})[_STATE_KEY] = request


def header_of(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _is_json(scope: Scope) -> bool:
    # The GraphQL server's own rule for which bodies it reads as JSON.
    content_type, _ = parse_content_type(header_of(scope, b"content-type") or "")
    return "application/json" in content_type


class BodyReader:
    """Pure ASGI middleware, inside access control: see the module docstring."""

    def __init__(self, app: ASGIApp, *, maximum: int, max_tokens: int | None) -> None:
        self.app = app
        self.maximum = maximum
        self.max_tokens = max_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        declared = header_of(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.maximum):
            await self._too_large(scope, send)
            return
        messages, body = await self._read(receive)
        if body is None:
            await self._too_large(scope, send)
            return
        complete = messages[-1]["type"] == "http.request"  # else the client went away
        if complete and self._graphql(scope):
            scope.setdefault("state", {})[_STATE_KEY] = read_graphql_request(
                body, max_tokens=self.max_tokens
            )

        async def replay() -> Message:
            return messages.popleft() if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _graphql(scope: Scope) -> bool:
        return scope["path"] == GRAPHQL_PATH and scope["method"] == "POST" and _is_json(scope)

    async def _read(self, receive: Receive) -> tuple[deque[Message], bytes | None]:
        """The messages received, and the body they carry (None past ``maximum``)."""
        messages: deque[Message] = deque()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > self.maximum:
                return messages, None
            if not message.get("more_body", False):
                break
        return messages, b"".join(chunks)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await refuse(
            scope,
            send,
            413,
            "REQUEST_TOO_LARGE",
            f"the request body is over {self.maximum} bytes",
        )
