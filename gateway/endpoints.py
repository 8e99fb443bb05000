"""The composition root's own endpoints: health, readiness and GraphQL.

    GraphQLEndpoint(schema, settings, tracing)     # POST/GET /graphql (an ASGI app)
    healthz, readyz                                # /healthz, /readyz

Every endpoint finds what serves its request in the lifespan state: ``serving_of`` (the same
accessor REST uses) for the caller's service, ``runtime_of`` for the rest of the runtime.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta

import orjson
from cross_web import AsyncHTTPRequestAdapter, StarletteRequestAdapter
from cross_web import HTTPException as StrawberryHTTPError
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import SubscriptionExecutionResult
from strawberry.types.unset import UnsetType

from gateway.cache import ping
from gateway.edge.body import graphql_request_of, header_of, keep_graphql_request
from gateway.edge.refusal import GRAPHQL_PATH, BadRequest, refusal_body
from gateway.edge.request import GraphQLOperation, GraphQLRequest, read_graphql_params
from gateway.edge.request_id import request_id_of
from gateway.errors import GatewayError
from gateway.graphql.caching import HttpCaching, noted, uncacheable
from gateway.graphql.context import Context, ReadLog
from gateway.graphql.extensions import Shaping, shape
from gateway.graphql.loaders import Loaders
from gateway.graphql.persisted import PACKAGED_OPERATIONS
from gateway.graphql.responses import response_key
from gateway.runtime import Runtime, runtime_of
from gateway.serving import serving_of
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.transports import TextFrames, admit, sse_transports, websocket_handler
from gateway.web import GraphiQLPage

NO_QUERY = BadRequest("the request carries no GraphQL query")
STREAM_REQUIRED = (
    "a subscription streams: send it with Accept: text/event-stream, or over a WebSocket "
    "(graphql-transport-ws)"
)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    # Read through the cache: a probe costs at most one upstream call per links TTL, and a
    # replica that can still answer from cache while HubSpot is down stays in service.
    # Redis is optional to answering (L1 and the upstream remain), so it only degrades.
    runtime = runtime_of(request)
    checks = {"upstream": "ok", "cache": "ok" if await ping(runtime.redis) else "degraded"}
    try:
        await runtime.service.link_index()
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


# GraphQL over HTTP: a GET runs no mutation (a link or a prefetch must change nothing).
MUTATION_OVER_GET = refusal_body(
    GRAPHQL_PATH, "METHOD_NOT_ALLOWED", "a mutation cannot be sent with GET; POST it"
)


def not_over_get() -> Response:
    return Response(
        MUTATION_OVER_GET, 405, headers={"Allow": "POST"}, media_type="application/json"
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


class GraphQLView(GraphQL[Context, None]):
    request_adapter_class = EdgeRequestAdapter

    def __init__(self, schema: Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            # GraphiQL lives on introspection; without it, it has nothing to show.
            graphql_ide="graphiql" if settings.introspection_enabled else None,
            # Only what ``GraphQLEndpoint`` checked comes this way (queries, never mutations).
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.cors_origins,
        )
        self.stream_transport_classes_by_protocol = sse_transports(settings)
        self.graphql_transport_ws_handler_class = websocket_handler(settings)
        self.websocket_adapter_class = TextFrames
        self.production = settings.production
        self.settings = settings
        self.max_tokens = settings.max_tokens
        self.ide = GraphiQLPage(settings.operations_dir or PACKAGED_OPERATIONS)

    async def render_graphql_ide(self, request: Request) -> Response:
        # The gateway's own GraphiQL (its bundled assets, the shipped operations as tabs).
        return await self.ide.response(request)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        admit(context, self.settings)
        return await super().on_ws_connect(context)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        # Strawberry would run a subscription sent without a streaming transport as a query.
        if isinstance(request_data, GraphQLRequestData) and request_data.protocol == "http":
            found = self._operation_of(request, request_data)
            if found.type == "subscription":
                raise StrawberryHTTPError(400, STREAM_REQUIRED)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def _operation_of(self, request: Request, data: GraphQLRequestData) -> GraphQLOperation:
        """The operation ``data`` runs: as the edge found it when it read the same request
        (a persisted query's document filled in), else parsed here."""
        found = graphql_request_of(request.scope)
        if (
            not isinstance(found, GraphQLRequest)
            or found.query != data.query
            or found.operation_name != data.operation_name
            or found.max_tokens != self.max_tokens
        ):
            found = GraphQLRequest.parsed(
                data.query, data.operation_name, max_tokens=self.max_tokens
            )
        return found.operation

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

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

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
            # Its answer is encoded by ``encode_json``, which splices pre-rendered slot lists.
            splice=isinstance(request, Request),
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            watches=runtime_of(request).watches,
            websocket=response if isinstance(response, WebSocket) else None,
        )


_UNTRACED = nullcontext()  # reusable: it holds nothing


class GraphQLEndpoint:
    """``/graphql``: persisted queries resolved, the response cache asked, strawberry run."""

    def __init__(self, schema: Schema, settings: Settings, tracing: Tracing | None) -> None:
        self.view = GraphQLView(schema, settings)
        self.settings = settings
        self.caching = HttpCaching(settings)
        self.shaping = Shaping.of(settings)
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A plain ASGI app to the router, which then adds no exception layer of its own around
        # each request (the app's one, outside the router, serves).
        response = await self.endpoint(Request(scope, receive), scope["method"])
        await response(scope, receive, send)

    async def websocket(self, websocket: WebSocket) -> None:
        """graphql-transport-ws on ``/graphql`` (subscriptions; queries and mutations too)."""
        await self.view.run(websocket)

    async def endpoint(self, request: Request, method: str) -> Response:
        """``request``'s answer; ``method`` is its method, as the scope has it."""
        try:
            if method == "POST":
                return await self._post(request)
            if method == "GET" and self._asks_a_query(request):
                if asks_a_stream(request):
                    return await self._stream(request)
                return await self._get(request)
            return await self.view.run(request)
        except StrawberryHTTPError as exc:
            # What strawberry's own ASGI entry answers for a body it cannot read.
            return PlainTextResponse(exc.reason, status_code=exc.status_code)

    def _asks_a_query(self, request: Request) -> bool:
        """Whether a GET asks for an operation (else it is a browser's, GraphiQL's to answer)."""
        params = request.query_params
        if "query" in params or "extensions" in params or "documentId" in params:
            return True
        return not self.view.should_render_graphql_ide(EdgeRequestAdapter(request))

    async def _post(self, request: Request) -> Response:
        found = graphql_request_of(request.scope)
        if found is None:
            # Not a JSON body: strawberry answers it (its refusal of the content type), unless
            # only persisted operations may run.
            resolved = await runtime_of(request).persisted.resolve(found)
            return resolved if isinstance(resolved, Response) else await self.view.run(request)
        return await self._answer(request, found)

    async def _get(self, request: Request) -> Response:
        # A query's answer may be kept by browsers and CDNs; nothing else is.
        found = read_graphql_params(request.query_params, max_tokens=self.settings.max_tokens)
        response = await self._answer(request, found, over_get=True)
        ran = graphql_request_of(request.scope)
        if response.status_code == 200 and isinstance(ran, GraphQLRequest):
            query, document = ran.query, ran.document
            if query is not None and document is not None:
                given = request.headers.get("if-none-match")
                return self.caching.answer(given, response, query, document)
        return uncacheable(response)

    async def _stream(self, request: Request) -> Response:
        """A GET asking for an event stream: the view streams it, once persisted queries (and
        the allow-list) have had their say."""
        found = read_graphql_params(request.query_params, max_tokens=self.settings.max_tokens)
        resolved = await self._resolved(request, found, runtime_of(request))
        if isinstance(resolved, Response):
            return uncacheable(resolved)
        return await self.view.run(request)

    async def _resolved(
        self, request: Request, found: GraphQLRequest | BadRequest, runtime: Runtime
    ) -> GraphQLRequest | Response:
        """The request to run (a persisted query's document filled in, and kept in the scope
        for the logs and the view), or the answer that refuses it."""
        resolved = await runtime.persisted.resolve(found)
        if isinstance(resolved, Response):
            return resolved
        if not isinstance(resolved, GraphQLRequest):
            return bad_request(resolved or NO_QUERY)
        keep_graphql_request(request.scope, resolved)
        return bad_request(NO_QUERY) if resolved.query is None else resolved

    async def _answer(
        self, request: Request, found: GraphQLRequest | BadRequest, *, over_get: bool = False
    ) -> Response:
        # Persisted queries resolve to the document, which the response cache keys on.
        runtime = runtime_of(request)
        resolved = await self._resolved(request, found, runtime)
        if isinstance(resolved, Response):
            return resolved
        if resolved.error is not None:
            return syntax_error(resolved.error, request_id(request), self.shaping)
        if over_get and resolved.operation.type == "mutation":
            return not_over_get()
        with self._span(resolved.operation):
            # A stream (GraphQL over SSE, a query's answer as one event) is never kept.
            kept = self.settings.response_cache and not asks_a_stream(request)
            if kept and (key := response_key(resolved)):
                responses = runtime.responses_for(request.scope)
                kept_now = responses.kept(key)
                if kept_now is not None:
                    return kept_now
                return await responses.serve(key, lambda reads: self._run_noting(request, reads))
            if over_get:
                return await self._run_noting(request, ReadLog())
            return await self.view.run(request)

    async def _run_noting(self, request: Request, reads: ReadLog) -> Response:
        # The context made for this request fills the response cache's read log.
        request.scope[READ_LOG] = reads
        return noted(await self.view.run(request), reads)

    def _span(self, operation: GraphQLOperation) -> AbstractContextManager[None]:
        return _UNTRACED if self.tracing is None else self.tracing.operation(operation)


def asks_a_stream(request: Request) -> bool:
    """Whether the client asked for GraphQL over SSE (the view answers with an event stream)."""
    return "text/event-stream" in (header_of(request.scope, b"accept") or "")
