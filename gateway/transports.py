"""The streaming transports of ``/graphql``: GraphQL over SSE and graphql-transport-ws, with
the gateway's heartbeat, its access control on WebSockets, and persisted queries on them.

    view.stream_transport_classes_by_protocol = sse_transports(settings)
    view.graphql_transport_ws_handler_class = websocket_handler(settings)
    admit(context, settings)      # in on_ws_connect: refuses (4403) or binds the caller
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import cast

import orjson
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.streaming import HTTPStreamTransport, SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from gateway.edge.access import Caller, find_key
from gateway.edge.request import GraphQLRequest
from gateway.graphql.context import Context
from gateway.graphql.loaders import Loaders
from gateway.runtime import runtime_of
from gateway.serving import serving_of
from gateway.settings import Settings


class TextFrames(ASGIWebSocketAdapter):
    """Sends every message as a text frame: the view encodes to bytes (orjson), which
    strawberry would send as binary frames, and browsers' graphql-ws client reads text only."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class HeartbeatSSE(SSETransport):
    """GraphQL over SSE with the gateway's heartbeat (a comment every client skips)."""

    interval: float = 15.0

    def __init__(self) -> None:
        super().__init__(self.interval)


class GatewayTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose server pings once acknowledged (every client answers a
    ``ping`` with a ``pong``, and proxies see traffic on a quiet stream), and whose documents
    are persisted queries as on HTTP (an APQ hash runs its document; with
    ``GATEWAY_PERSISTED_ONLY`` only the shipped operations run)."""

    interval: float = 15.0
    _pinger: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping())

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload, websocket = message.get("payload"), self.context.websocket
        if self.connection_acknowledged and isinstance(payload, dict) and websocket is not None:
            query = payload.get("query")
            request = GraphQLRequest(
                query if isinstance(query, str) else None,
                extensions=payload.get("extensions"),
            )
            resolved = await runtime_of(websocket).persisted.resolve(request)
            if isinstance(resolved, Response):
                refused = json.loads(bytes(resolved.body))["errors"]
                await self.send_message({"id": message["id"], "type": "error", "payload": refused})
                return
            if isinstance(resolved, GraphQLRequest) and resolved.query is not None:
                message = cast(
                    SubscribeMessage, {**message, "payload": {**payload, "query": resolved.query}}
                )
        await super().handle_subscribe(message)

    async def _ping(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(self.interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        await super().shutdown()


def _websocket_credential(
    websocket: WebSocket, params: Mapping[str, object], scheme: str, header: str | None = None
) -> str | None:
    """A credential from the upgrade request's headers, else from ``connection_init``'s
    payload (browsers cannot set headers on a WebSocket), under the same names."""
    found: list[str] = []
    for source in (websocket.headers, {str(k).lower(): v for k, v in params.items()}):
        if header is not None and isinstance(value := source.get(header), str):
            found.append(value.strip())
        word, _, credential = str(source.get("authorization") or "").strip().partition(" ")
        if word.lower() == scheme.lower() and credential.strip():
            found.append(credential.strip())
    return found[0] if found else None


def sse_transports(settings: Settings) -> Mapping[str, type[HTTPStreamTransport]]:
    beat = {"interval": settings.stream_heartbeat}
    return {GRAPHQL_SSE_PROTOCOL: type("SSE", (HeartbeatSSE,), beat)}


def websocket_handler(settings: Settings) -> type[GatewayTransportWS]:
    return type("TransportWS", (GatewayTransportWS,), {"interval": settings.stream_heartbeat})


def admit(context: Context, settings: Settings) -> None:
    """Access control as on HTTP (``gateway.edge.access``), from the upgrade's headers or the
    ``connection_init`` payload; the context is then its caller's tenant's."""
    websocket, params = context.websocket, context.connection_params or {}
    if websocket is None:
        raise ConnectionRejectionError()
    key_name = None
    if settings.api_keys:
        given = _websocket_credential(websocket, params, "ApiKey", "x-api-key")
        key = find_key(settings.api_keys, given)
        if key is None:
            raise ConnectionRejectionError()
        key_name = key.name
    token = None
    if settings.pass_through_auth:
        token = _websocket_credential(websocket, params, "Bearer")
        if token is None:
            raise ConnectionRejectionError()
    websocket.scope.setdefault("state", {})["caller"] = Caller(key_name, token)
    context.service = serving_of(websocket).service_for(websocket.scope)
    context.loaders = Loaders(context.service, context.reads)
