"""create_app(settings): the composition root.

The routes and the edge's one layer (its steps are drawn in ``gateway.edge.gate``) are fixed
here; the long-lived parts are built once by the lifespan (``gateway.runtime.running``) and
handed to every request as Starlette lifespan state. With no HubSpot credential the embedded
sandbox is the upstream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from gateway.cache import tenant_id
from gateway.clock import Clock, FrozenClock, SystemClock
from gateway.edge.gate import Gate
from gateway.edge.spans import RequestSpans
from gateway.endpoints import GraphQLEndpoint, healthz, readyz
from gateway.garbage import settle
from gateway.graphql.persisted import persisted_operations
from gateway.graphql.schema import build_schema
from gateway.mcp.server import McpEndpoint
from gateway.meetings.watches import Watches
from gateway.metrics import Metrics
from gateway.rest import routes as rest_routes
from gateway.runtime import running
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.serving import STATE_KEY
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.warmup import warm_up
from gateway.web import routes as web_routes
from gateway.web.bundle import sent_documents


class GatewayApp(Starlette):
    """Starlette with the edge (``Gate``) as the outermost layer, in place of Starlette's own
    server-error layer: the edge answers a failure itself (its 500 carries the request's id
    and CORS headers and is counted and logged), and a request meets no layer before it."""

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = ExceptionMiddleware(
            self.router, handlers=self.exception_handlers, debug=self.debug
        )
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    tracing: Tracing | None = None,
    warm: bool = False,
) -> GatewayApp:
    """``tracing`` (``Tracing.from_environ``) is owned by the caller, who shuts it down.
    ``warm``: the lifespan warms the process up (``gateway.warmup``) and settles its garbage
    collector (``gateway.garbage``) before serving; a serving process's choice, not a test's."""
    clock = clock or (FrozenClock(settings.sandbox_now) if settings.sandbox_now else SystemClock())
    sandbox = (
        create_sandbox_app(
            SandboxConfig(
                fixtures_path=settings.sandbox_fixtures,
                now=settings.sandbox_now,
                webhook_url=settings.sandbox_webhook_url,
                client_secret=settings.sandbox_client_secret,
            )
        )
        if settings.uses_sandbox
        else None
    )
    metrics = Metrics()
    schema = build_schema(settings=settings)
    agents = McpEndpoint(settings, observer=metrics)
    # Read here, so that a bad manifest stops the start (a SettingsError naming it).
    operations = persisted_operations(settings)
    graphql = GraphQLEndpoint(schema, settings, tracing)
    # The app's streams: the server ends them on a signal (it finds them in the lifespan
    # state) before it waits for connections.
    watches = Watches(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Mapping[str, object]]:
        parts = running(
            settings,
            clock=clock,
            schema=schema,
            sandbox=sandbox,
            metrics=metrics,
            tracing=tracing,
            operations=operations,
            watches=watches,
        )
        async with parts as runtime, agents.running():
            if warm:
                await warm_up(runtime, schema, [*operations.values(), *sent_documents()])
                settle()
            yield {STATE_KEY: runtime}

    graphql_route = Route("/graphql", graphql, methods=["GET", "POST"])
    app = GatewayApp(
        # The router tries the routes in turn: the busiest path first.
        routes=[
            graphql_route,
            WebSocketRoute("/graphql", graphql.websocket),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/mcp", agents),
            *rest_routes(settings),
            *web_routes(),
        ],
        middleware=[
            Middleware(
                Gate,
                settings=settings,
                tenant=tenant_id(settings.hubspot_access_token),
                metrics=metrics,
                spans=None if tracing is None else RequestSpans(tracing.tracer),
                graphql=graphql_route,
            )
        ],
        lifespan=lifespan,
    )
    # The embedded upstream and the streams, for whoever runs the app beside it (the tests
    # reach them here).
    app.state.sandbox = sandbox
    app.state.watches = watches
    return app
