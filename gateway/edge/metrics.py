"""Counting and timing every HTTP request, for whatever keeps the series (``gateway.metrics``).

The edge knows the request (its route template, GraphQL operation and status); the series
and their registry belong to ``gateway.metrics.Metrics``, which this module does not import:
it is handed something with ``observe_request``.
"""

from __future__ import annotations

import time
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.edge.logs import current_request, route_template
from gateway.edge.status import ResponseStatus


class RequestObserver(Protocol):
    def observe_request(self, route: str, operation: str, status: int, seconds: float) -> None:
        """One answered request: its route template, GraphQL operation name ("" for none)."""


class RequestMetrics:
    """Pure ASGI middleware, inside ``RequestContext`` (whose facts name the operation)."""

    def __init__(self, app: ASGIApp, *, metrics: RequestObserver) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = ResponseStatus(send)
        try:
            await self.app(scope, receive, answer)
        finally:
            facts = current_request()
            self.metrics.observe_request(
                route_template(scope),
                facts.operation_name if facts else "",
                answer.status,
                time.perf_counter() - started,
            )
