"""The SERVER span of each HTTP request (``gateway.tracing`` makes the tracer).

Installed only when tracing is on, so the OpenTelemetry packages are imported here only then.
The span of a GraphQL operation (``Tracing.operation``) is opened by the GraphQL endpoint, the
first to know the operation, once access control let the request in and its body is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.edge.logs import current_request, route_template
from gateway.edge.status import ResponseStatus

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


class RequestSpans:
    """Pure ASGI middleware, inside ``RequestContext`` (whose facts carry the request id)."""

    def __init__(self, app: ASGIApp, *, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import propagate, trace
        from opentelemetry.trace import StatusCode

        carrier = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        facts = current_request()
        method = scope["method"]
        answer = ResponseStatus(send)
        with self.tracer.start_as_current_span(
            method,
            context=propagate.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "gateway.request_id": facts.request_id if facts else "",
            },
        ) as span:
            try:
                await self.app(scope, receive, answer)
            finally:
                route = route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", answer.status)
                if answer.status >= 500:
                    span.set_status(StatusCode.ERROR)
