"""create_app(settings): the composition root.

The lifespan makes the process's long-lived parts once (one httpx client, one cache with its
Redis connection, the service) and closes them on shutdown. With no HubSpot credential the
embedded sandbox is the upstream, reached in process through httpx's ASGI transport.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass

import httpx
from cross_web import AsyncHTTPRequestAdapter, StarletteRequestAdapter
from cross_web import HTTPException as StrawberryHTTPError
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData

from gateway.access import Access, caller_of
from gateway.cache import (
    ReadThroughCache,
    RedisStore,
    build_cache,
    build_idempotency_store,
    build_redis_store,
    ping,
    tenant_id,
)
from gateway.cache.idempotency import IdempotencyStore
from gateway.clock import Clock, FrozenClock, SystemClock
from gateway.edge import (
    GRAPHQL_PATH,
    BadRequest,
    BodyReader,
    GraphQLOperation,
    GraphQLRequest,
    graphql_request_of,
    keep_graphql_request,
    refusal_body,
)
from gateway.errors import GatewayError
from gateway.graphql.context import Context, ReadLog
from gateway.graphql.extensions import Shaping, shape
from gateway.graphql.loaders import Loaders
from gateway.graphql.persisted import (
    PACKAGED_OPERATIONS,
    PersistedQueries,
    load_operations,
)
from gateway.graphql.responses import ResponseCache, response_key
from gateway.graphql.schema import build_schema
from gateway.graphql.validation import DocumentCheck
from gateway.hubspot.client import (
    HubSpotClient,
    build_budget,
    build_http_client,
    build_hubspot_client,
)
from gateway.hubspot.deadline import DeadlineMiddleware
from gateway.hubspot.stats import UpstreamStats
from gateway.logs import REQUEST_ID, RequestContext
from gateway.meetings.flights import Flights
from gateway.meetings.service import MeetingsService
from gateway.metrics import Metrics, RequestMetrics
from gateway.rest import routes as rest_routes
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.settings import Settings
from gateway.tenants import Tenants
from gateway.tracing import RequestSpans, Tracing


@dataclass
class Runtime:
    """What the lifespan built, kept on ``app.state.runtime``."""

    http: httpx.AsyncClient
    client: HubSpotClient
    redis: RedisStore | None
    cache: ReadThroughCache
    idempotency: IdempotencyStore
    service: MeetingsService
    responses: ResponseCache
    persisted: PersistedQueries
    # Pass-through mode: each caller's tenant has its own parts.
    tenants: Tenants[Bound] | None = None

    def bound(self, scope: Scope) -> Bound:
        """The service and response cache a request uses: its tenant's in pass-through mode."""
        token = caller_of(scope).token
        if self.tenants is None or token is None:
            return Bound(self.service, self.responses)
        return self.tenants.get(tenant_id(token), token)


@dataclass(frozen=True)
class Bound:
    service: MeetingsService
    responses: ResponseCache


def request_id(request: Request | WebSocket) -> str:
    given = request.headers.get("x-request-id", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


NO_QUERY = BadRequest("the request carries no GraphQL query")
# Where a request's scope holds the read log its GraphQL context is to fill.
READ_LOG = "gateway.read_log"


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


class GraphQLView(GraphQL[Context, None]):
    request_adapter_class = EdgeRequestAdapter

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
        runtime: Runtime = request.app.state.runtime
        service = runtime.bound(request.scope).service
        reads = request.scope.get(READ_LOG) or ReadLog()
        return Context(
            service=service,
            loaders=Loaders(service, reads),
            request_id=request_id(request),
            reads=reads,
            production=request.app.state.settings.production,
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
        )


def create_app(
    settings: Settings, *, clock: Clock | None = None, tracing: Tracing | None = None
) -> Starlette:
    """``tracing`` (``Tracing.from_environ``) is owned by the caller, who shuts it down."""
    clock = clock or (FrozenClock(settings.sandbox_now) if settings.sandbox_now else SystemClock())
    sandbox = (
        create_sandbox_app(
            SandboxConfig(fixtures_path=settings.sandbox_fixtures, now=settings.sandbox_now)
        )
        if settings.uses_sandbox
        else None
    )
    metrics = Metrics()
    schema = build_schema(settings=settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        transport = httpx.ASGITransport(app=sandbox) if sandbox is not None else None
        http = build_http_client(settings, transport)
        metrics.instrument(http)
        redis = build_redis_store(settings)
        cache = build_cache(settings, clock, redis)
        if tracing is not None:
            tracing.instrument(http)
            tracing.instrument_cache(cache)
        idempotency = build_idempotency_store(redis)
        flights = Flights()  # bookings without a key under way, of every tenant
        tenant = tenant_id(settings.hubspot_access_token)
        client = build_hubspot_client(
            settings, http, redis=redis.client if redis is not None else None, tenant=tenant
        )
        response_ttl = min(settings.availability_ttl, settings.booking_info_ttl, settings.links_ttl)

        def bind(tenant: str, token: str) -> Bound:
            # Cheap: a client view on the shared pool, breaker and stats, and its own budget.
            view = client.with_token(
                token,
                build_budget(settings, redis.client if redis else None, tenant, UpstreamStats()),
            )
            return Bound(
                MeetingsService(
                    client=view,
                    cache=cache,
                    idempotency=idempotency,
                    clock=clock,
                    settings=settings,
                    tenant=tenant,
                    flights=flights,
                ),
                ResponseCache(cache, tenant, ttl=response_ttl, max_stale=settings.max_stale),
            )

        app.state.runtime = Runtime(
            http=http,
            client=client,
            redis=redis,
            cache=cache,
            idempotency=idempotency,
            service=MeetingsService(
                client=client,
                cache=cache,
                idempotency=idempotency,
                clock=clock,
                settings=settings,
                tenant=tenant,
                flights=flights,
            ),
            responses=ResponseCache(
                cache,
                tenant,
                ttl=response_ttl,
                max_stale=settings.max_stale,
            ),
            persisted=PersistedQueries(
                cache,
                load_operations(settings.operations_dir or PACKAGED_OPERATIONS),
                only=settings.persisted_only,
                accepts=DocumentCheck(schema, settings).accepts,
                max_document_bytes=settings.apq_max_document_bytes,
            ),
            tenants=Tenants(bind) if settings.pass_through_auth else None,
        )
        try:
            yield
        finally:
            # Bookings under way first: their answers are recorded and drop cache entries.
            await flights.aclose()
            await idempotency.aclose()
            await cache.aclose()
            if redis is not None:
                await redis.aclose()
            await http.aclose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        # Read through the cache: a probe costs at most one upstream call per links TTL, and a
        # replica that can still answer from cache while HubSpot is down stays in service.
        # Redis is optional to answering (L1 and the upstream remain), so it only degrades.
        runtime: Runtime = request.app.state.runtime
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

    graphql = GraphQLView(
        schema,
        # GraphiQL lives on introspection; without it, it has nothing to show.
        graphql_ide="graphiql" if settings.introspection_enabled else None,
        allow_queries_via_get=False,
    )

    def spans(operation: GraphQLOperation) -> AbstractContextManager[None]:
        return nullcontext() if tracing is None else tracing.operation(operation)

    async def run_noting(request: Request, reads: ReadLog) -> Response:
        # The context made for this request fills the response cache's read log.
        request.scope[READ_LOG] = reads
        return await graphql.run(request)

    async def graphql_post(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        # Persisted queries resolve to the document, which the response cache keys on.
        resolved = await runtime.persisted.resolve(graphql_request_of(request.scope))
        if isinstance(resolved, Response):
            return resolved
        if resolved is None:
            # Not a JSON body: strawberry answers it (its refusal of the content type).
            return await graphql.run(request)
        if isinstance(resolved, BadRequest):
            return bad_request(resolved)
        keep_graphql_request(request.scope, resolved)
        if resolved.query is None:
            return bad_request(NO_QUERY)
        if resolved.error is not None:
            return syntax_error(resolved.error, request_id(request), Shaping.of(settings))
        with spans(resolved.operation):
            if settings.response_cache and (key := response_key(resolved)):
                responses = runtime.bound(request.scope).responses
                return await responses.serve(key, lambda reads: run_noting(request, reads))
            return await graphql.run(request)

    async def graphql_endpoint(request: Request) -> Response:
        try:
            if request.method == "POST":
                return await graphql_post(request)
            return await graphql.run(request)
        except StrawberryHTTPError as exc:
            # What strawberry's own ASGI entry answers for a body it cannot read.
            return PlainTextResponse(exc.reason, status_code=exc.status_code)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            *rest_routes(settings),
        ],
        middleware=[
            # Outermost: names the request (id, operation, tenant) for everything inside.
            Middleware(RequestContext, tenant=tenant_id(settings.hubspot_access_token)),
            *([Middleware(RequestSpans, tracing=tracing)] if tracing is not None else []),
            Middleware(RequestMetrics, metrics=metrics),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "content-type",
                    "authorization",
                    "x-request-id",
                    "idempotency-key",
                    "if-none-match",
                    "x-api-key",
                ],
                expose_headers=["etag", "retry-after", "x-request-id"],
            ),
            # Inside CORS, so a browser can read a refusal; before anything reads the body.
            Middleware(Access, settings=settings),
            # The one read of the body (and parse of a GraphQL request), once access passed.
            Middleware(BodyReader, maximum=settings.max_body_bytes, max_tokens=settings.max_tokens),
            # Inside CORS, so that a browser can read the answer to a request out of time.
            Middleware(DeadlineMiddleware, seconds=settings.request_deadline),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sandbox = sandbox
    app.state.metrics = metrics

    def runtime() -> Runtime | None:
        return getattr(app.state, "runtime", None)

    metrics.watch(
        cache_stats=lambda: found.cache.stats if (found := runtime()) else None,
        upstream_stats=lambda: found.client.stats if (found := runtime()) else None,
    )
    return app
