"""The one reader of request bodies.

A POST, PUT or PATCH body past ``maximum`` bytes gets 413 before anything reads it, by its
``Content-Length`` or by the bytes actually received (chunked bodies). Any other body is
buffered once and replayed to the app. A JSON body sent to ``/graphql`` is also parsed, once,
and what came of it (a ``GraphQLRequest`` or a ``BadRequest``) kept in the scope's state.
Bodies of other content types are left to the GraphQL server, which refuses them.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

from starlette.types import Message, Receive, Scope
from strawberry.http.parse_content_type import parse_content_type

from gateway.edge.refusal import GRAPHQL_PATH, BadRequest, Refusal
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


@lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    # The GraphQL server's own rule for which bodies it reads as JSON (clients send the same
    # few content types, and the rule parses each as an e-mail header would).
    mime_type, _ = parse_content_type(content_type)
    return "application/json" in mime_type


class BodyReader:
    """See the module docstring: ``read`` is asked by the edge once access control let the
    request in."""

    def __init__(self, *, maximum: int, max_tokens: int | None) -> None:
        self.maximum = maximum
        self.max_tokens = max_tokens
        self.too_large = Refusal(
            413, "REQUEST_TOO_LARGE", f"the request body is over {maximum} bytes"
        )

    async def read(self, scope: Scope, receive: Receive) -> Receive | Refusal:
        """What the app is to receive the body from (the body replayed), or the 413."""
        if scope["method"] not in _WITH_BODY:
            return receive
        declared = header_of(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.maximum):
            return self.too_large
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            # The whole body in one message, as a short POST comes.
            messages, body = deque((message,)), message.get("body", b"")
            if len(body) > self.maximum:
                return self.too_large
        else:
            messages, read = await self._read(message, receive)
            if read is None:
                return self.too_large
            body = read
        complete = messages[-1]["type"] == "http.request"  # else the client went away
        if complete and self._graphql(scope):
            scope.setdefault("state", {})[_STATE_KEY] = read_graphql_request(
                body, max_tokens=self.max_tokens
            )

        async def replay() -> Message:
            return messages.popleft() if messages else await receive()

        return replay

    @staticmethod
    def _graphql(scope: Scope) -> bool:
        return (
            scope["path"] == GRAPHQL_PATH
            and scope["method"] == "POST"
            and _is_json(header_of(scope, b"content-type") or "")
        )

    async def _read(
        self, message: Message, receive: Receive
    ) -> tuple[deque[Message], bytes | None]:
        """The messages received from ``message`` (the first) on, and the body they carry
        (None past ``maximum``)."""
        messages: deque[Message] = deque()
        chunks: list[bytes] = []
        size = 0
        while True:
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
            message = await receive()
        return messages, b"".join(chunks)
