"""The composition root's own endpoints: health, readiness and GraphQL.

    GraphQLEndpoint(schema, settings, tracing).endpoint     # POST/GET /graphql
    healthz, readyz                                # /healthz, /readyz

Every endpoint finds what serves its request in the lifespan state: ``serving_of`` (the same
accessor REST uses) for the caller's service, ``runtime_of`` for the rest of the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta

from cross_web import AsyncHTTPRequestAdapter, StarletteRequestAdapter
from cross_web import HTTPException as StrawberryHTTPError
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.streaming import HTTPStreamTransport, SSETransport
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.unset import UnsetType

from gateway.cache import ping
from gateway.edge.access import Caller, find_key
from gateway.edge.body import graphql_request_of, keep_graphql_request
from gateway.edge.refusal import GRAPHQL_PATH, BadRequest, refusal_body
from gateway.edge.request import GraphQLOperation, GraphQLRequest
from gateway.edge.request_id import request_id_of
from gateway.errors import GatewayError
from gateway.graphql.context import Context, ReadLog
from gateway.graphql.extensions import Shaping, shape
from gateway.graphql.loaders import Loaders
from gateway.graphql.persisted import PACKAGED_OPERATIONS
from gateway.graphql.responses import response_key
from gateway.runtime import runtime_of
from gateway.serving import serving_of
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.web import GraphiQLPage

NO_QUERY = BadRequest("the request carries no GraphQL query")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    # Read through the cache: a probe costs at most one upstream call per links TTL, and a
    # replica that can still answer from cache while HubSpot is down stays in service.
    # Redis is optional to answering (L1 and the upstream remain), so it only degrades.
    runtime = runtime_of(request)
    checks = {"upstream": "ok", "cache": "ok" if await ping(runtime.redis) else "degraded"}
    try:
        await runtime.service.links_page(limit=1, after=None)
    except GatewayError as exc:
        checks["upstream"] = exc.code
    ready = checks["upstream"] == "ok"
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **checks},
        status_code=200 if ready else 503,
    )


def request_id(request: Request | WebSocket) -> str:
    return request_id_of(request.scope["headers"])


def bad_request(refusal: BadRequest) -> Response:
    return Response(
        refusal_body(GRAPHQL_PATH, refusal.code, refusal.message),
        status_code=refusal.status,
        media_type="application/json",
    )


def syntax_error(error: GraphQLError, request_id: str, shaping: Shaping) -> Response:
    """What strawberry answers for a document that does not parse, without parsing it again."""
    shaped = shape(error, request_id, shaping)
    return JSONResponse({"data": None, "errors": [shaped.formatted]})


class EdgeRequestAdapter(StarletteRequestAdapter):
    """Strawberry's view of a Starlette request, keeping the request for ``parse_http_body``."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.starlette = request


# Where a request's scope holds the read log its GraphQL context is to fill.
READ_LOG = "gateway.read_log"


class HeartbeatSSE(SSETransport):
    """GraphQL over SSE with the gateway's heartbeat (a comment every client skips)."""

    interval: float = 15.0

    def __init__(self) -> None:
        super().__init__(self.interval)


class HeartbeatTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws whose server pings once acknowledged: every client answers a
    ``ping`` with a ``pong``, and proxies see traffic on a quiet stream."""

    interval: float = 15.0
    _pinger: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping())

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


class GraphQLView(GraphQL[Context, None]):
    request_adapter_class = EdgeRequestAdapter

    def __init__(self, schema: Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            # GraphiQL lives on introspection; without it, it has nothing to show.
            graphql_ide="graphiql" if settings.introspection_enabled else None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.cors_origins,
        )
        beat = {"interval": settings.stream_heartbeat}
        self.stream_transport_classes_by_protocol: Mapping[str, type[HTTPStreamTransport]] = {
            GRAPHQL_SSE_PROTOCOL: type("SSE", (HeartbeatSSE,), beat)
        }
        self.graphql_transport_ws_handler_class = type("TransportWS", (HeartbeatTransportWS,), beat)
        self.production = settings.production
        self.settings = settings
        self.ide = GraphiQLPage(settings.operations_dir or PACKAGED_OPERATIONS)

    async def render_graphql_ide(self, request: Request) -> Response:
        # The gateway's own GraphiQL (its bundled assets, the shipped operations as tabs).
        return await self.ide.response(request)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Access control as on HTTP (``gateway.edge.access``), from the upgrade's headers or
        the ``connection_init`` payload; the context is then its caller's tenant's."""
        websocket, params = context.websocket, context.connection_params or {}
        if websocket is None:
            raise ConnectionRejectionError()
        settings = self.settings
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
        return await super().on_ws_connect(context)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # The edge read and parsed the body once; strawberry runs that, not a second parse.
        found = (
            graphql_request_of(request.starlette.scope)
            if isinstance(request, EdgeRequestAdapter)
            else None
        )
        if not isinstance(found, GraphQLRequest):
            return await super().parse_http_body(request)
        transport = self._get_stream_transport_from_headers(request.headers)
        return GraphQLRequestData(
            query=found.query,
            variables=found.variables,
            operation_name=found.operation_name,
            extensions=found.extensions,
            protocol=transport.protocol if transport else "http",
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        service = serving_of(request).service_for(request.scope)
        reads = request.scope.get(READ_LOG) or ReadLog()
        return Context(
            service=service,
            loaders=Loaders(service, reads),
            request_id=request_id(request),
            reads=reads,
            production=self.production,
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            watches=runtime_of(request).watches,
            websocket=response if isinstance(response, WebSocket) else None,
        )


class GraphQLEndpoint:
    """``/graphql``: persisted queries resolved, the response cache asked, strawberry run."""

    def __init__(self, schema: Schema, settings: Settings, tracing: Tracing | None) -> None:
        self.view = GraphQLView(schema, settings)
        self.settings = settings
        self.shaping = Shaping.of(settings)
        self.tracing = tracing

    async def websocket(self, websocket: WebSocket) -> None:
        """graphql-transport-ws on ``/graphql`` (subscriptions; queries and mutations too)."""
        await self.view.run(websocket)

    async def endpoint(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                return await self._post(request)
            return await self.view.run(request)
        except StrawberryHTTPError as exc:
            # What strawberry's own ASGI entry answers for a body it cannot read.
            return PlainTextResponse(exc.reason, status_code=exc.status_code)

    async def _post(self, request: Request) -> Response:
        runtime = runtime_of(request)
        # Persisted queries resolve to the document, which the response cache keys on.
        resolved = await runtime.persisted.resolve(graphql_request_of(request.scope))
        if isinstance(resolved, Response):
            return resolved
        if resolved is None:
            # Not a JSON body: strawberry answers it (its refusal of the content type).
            return await self.view.run(request)
        if isinstance(resolved, BadRequest):
            return bad_request(resolved)
        keep_graphql_request(request.scope, resolved)
        if resolved.query is None:
            return bad_request(NO_QUERY)
        if resolved.error is not None:
            return syntax_error(resolved.error, request_id(request), self.shaping)
        with self._span(resolved.operation):
            if self.settings.response_cache and (key := response_key(resolved)):
                responses = runtime.responses_for(request.scope)
                return await responses.serve(key, lambda reads: self._run_noting(request, reads))
            return await self.view.run(request)

    async def _run_noting(self, request: Request, reads: ReadLog) -> Response:
        # The context made for this request fills the response cache's read log.
        request.scope[READ_LOG] = reads
        return await self.view.run(request)

    def _span(self, operation: GraphQLOperation) -> AbstractContextManager[None]:
        return nullcontext() if self.tracing is None else self.tracing.operation(operation)
