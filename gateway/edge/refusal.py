"""One renderer of refusals: GraphQL's error shape on ``/graphql``, a JSON-RPC error on
``/mcp`` (which MCP clients read), HubSpot's on REST paths."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from starlette.types import Scope, Send

GRAPHQL_PATH = "/graphql"
MCP_PATH = "/mcp"
# JSON-RPC's codes: the request is refused as sent, or it began and could not finish.
_JSONRPC_REFUSED = -32600
_JSONRPC_UNFINISHED = -32603


@dataclass(frozen=True, slots=True)
class BadRequest:
    """Why a request body cannot be run, told to the client with a 400."""

    message: str
    code: str = "BAD_REQUEST"
    status: int = 400


@dataclass(frozen=True, slots=True)
class Refusal:
    """An answer the edge gives in the app's place (``refuse`` renders it)."""

    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None
    executed: bool = False  # the request may have begun to run


# HubSpot names each error answer in a header as well as in its body.
CORRELATION_HEADER = "X-HubSpot-Correlation-Id"


def refusal_body(
    path: str,
    code: str,
    message: str,
    correlation_id: str | None = None,
    *,
    executed: bool = False,
) -> bytes:
    """A refusal in the shape of the surface asked: GraphQL errors, or HubSpot's error body.

    ``executed``: the request may have begun to run, so GraphQL's answer carries ``data: null``
    (a refusal before execution carries no ``data`` at all)."""
    if path == GRAPHQL_PATH:
        body: dict[str, object] = {"errors": [{"message": message, "extensions": {"code": code}}]}
        if executed:
            body = {"data": None, **body}
    elif path == MCP_PATH:
        number = _JSONRPC_UNFINISHED if executed else _JSONRPC_REFUSED
        error = {"code": number, "message": message, "data": {"code": code}}
        body = {"jsonrpc": "2.0", "id": None, "error": error}
    else:
        body = {
            "status": "error",
            "message": message,
            "correlationId": correlation_id or str(uuid.uuid4()),
            "category": code,
        }
    return json.dumps(body).encode()


async def refuse(scope: Scope, send: Send, refusal: Refusal) -> None:
    headers = dict(refusal.headers or {})
    correlation_id = None
    if scope["path"] not in (GRAPHQL_PATH, MCP_PATH):
        correlation_id = headers[CORRELATION_HEADER] = str(uuid.uuid4())
    raw = refusal_body(
        scope["path"], refusal.code, refusal.message, correlation_id, executed=refusal.executed
    )
    pairs = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": pairs})
    await send({"type": "http.response.body", "body": raw})
