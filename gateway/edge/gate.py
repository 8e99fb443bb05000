"""The edge's one layer: every HTTP request passes it once, in this order.

    Gate(app, settings=settings, tenant=tenant, metrics=metrics, spans=None, graphql=route)

1. its id and log facts (``logs.request_facts``), then the SERVER span when tracing is on;
2. a browser's CORS preflight answered (``cors``), and CORS headers on every other answer;
3. access control (``access``): API keys, pass-through tokens;
4. the body read once, bounded, and a GraphQL POST's JSON and document parsed once (``body``);
5. the deadline and its 504 backstop (``deadline``), around the app;
6. on the way out, through one capture of the status line (``status``): when the answer
   begins to go out, for the work that waits for it (``gateway.answering``), the request's
   count and time (``metrics``) and its access line (``logs``).

It is the app's outermost layer (``gateway.app.GatewayApp``: Starlette's own server-error
layer is left out), so it answers what fails before answering itself: a 500 in the surface's
error shape, with the request's id and CORS headers, counted, logged with the failure under
the request's id. A failure after the answer began is the server's to end (it closes the
connection, so that a cut answer never looks whole).

Each step's rules live in its module; this layer only runs them in order, with one ``send``
wrapper and one pass over the request's headers per step, so what a cached answer costs is
what the steps cost, not the layers around them. A POST to ``graphql``'s path, the busiest
request, goes straight to that route's app, past the router and its exception layer: the
route takes POSTs, and its endpoint raises nothing that layer would handle. WebSocket
connections pass through untouched (the GraphQL transport admits them itself).
"""

from __future__ import annotations

import logging
import time
from functools import partial

from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.edge.access import Access
from gateway.edge.body import BodyReader, header_of
from gateway.edge.cors import CrossOrigin
from gateway.edge.deadline import Deadline
from gateway.edge.logs import AccessLog, enter, leave, request_facts, route_template
from gateway.edge.metrics import RequestObserver
from gateway.edge.refusal import Refusal, refuse
from gateway.edge.request_id import REQUEST_ID_HEADER
from gateway.edge.spans import RequestSpans
from gateway.edge.status import ResponseStatus
from gateway.settings import Settings

log = logging.getLogger("gateway.edge")

# What a client is told of a failure the gateway did not answer in type (the log has it).
UNANSWERED = Refusal(500, "INTERNAL_SERVER_ERROR", "Unexpected error.", executed=True)


class Gate:
    """Pure ASGI middleware, the only one the app installs: see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        tenant: str,
        metrics: RequestObserver,
        spans: RequestSpans | None = None,
        graphql: Route | None = None,
    ) -> None:
        self.app = app
        self.graphql = graphql
        self.tenant = tenant
        self.metrics = metrics
        self.spans = spans
        self.cors = CrossOrigin(settings.cors_origins)
        self.access = Access(settings)
        self.body = BodyReader(maximum=settings.max_body_bytes, max_tokens=settings.max_tokens)
        self.deadline = Deadline(settings.request_deadline)
        self.log = AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        facts = request_facts(scope, self.tenant)
        token = enter(facts)
        started = time.perf_counter()
        preflight = self.cors.preflight(scope)
        origin = header_of(scope, b"origin")
        answer = ResponseStatus(
            send,
            headers=[(REQUEST_ID_HEADER, facts.request_id.encode())],
            then=None if preflight is not None else partial(self.cors.answered, origin),
        )
        marked = answer.during()
        try:
            if self.spans is None:
                await self._answered(scope, receive, answer, preflight)
            else:
                with self.spans.span(scope, facts.request_id, answer):
                    await self._answered(scope, receive, answer, preflight)
        except Exception:
            if answer.started:
                raise
            log.exception("%s %s failed before answering", scope["method"], route_template(scope))
            await refuse(scope, answer, UNANSWERED)
        finally:
            answer.sent()
            seconds = time.perf_counter() - started
            context, route = facts.context(), route_template(scope)
            self.metrics.observe_request(route, context["operation"], answer.status, seconds)
            self.log.write(context, scope["method"], route, answer.status, seconds)
            answer.leave(marked)
            leave(token)

    async def _answered(
        self, scope: Scope, receive: Receive, answer: ResponseStatus, preflight: Response | None
    ) -> None:
        if preflight is not None:
            await preflight(scope, receive, answer)
            return
        refusal = self.access.admit(scope)
        if refusal is None:
            read = await self.body.read(scope, receive)
            if not isinstance(read, Refusal):
                await self.deadline.run(self._app_for(scope), scope, read, answer)
                return
            refusal = read
        await refuse(scope, answer, refusal)

    def _app_for(self, scope: Scope) -> ASGIApp:
        route = self.graphql
        if route is not None and scope["method"] == "POST" and scope["path"] == route.path:
            scope["route"] = route  # what the router would note: the logs and metrics name it
            return route.app
        return self.app
