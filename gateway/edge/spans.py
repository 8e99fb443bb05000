"""The SERVER span of each HTTP request (``gateway.tracing`` makes the tracer).

Installed only when tracing is on, so the OpenTelemetry packages are imported here only then.
The span of a GraphQL operation (``Tracing.operation``) is opened by the GraphQL endpoint, the
first to know the operation, once access control let the request in and its body is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from starlette.types import Scope

from gateway.edge.logs import route_template
from gateway.edge.status import ResponseStatus

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


class RequestSpans:
    """Opened by the edge around everything it does once the request has its id."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    @contextmanager
    def span(self, scope: Scope, request_id: str, answer: ResponseStatus) -> Iterator[None]:
        from opentelemetry import propagate, trace
        from opentelemetry.trace import StatusCode

        carrier = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        method = scope["method"]
        with self.tracer.start_as_current_span(
            method,
            context=propagate.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "gateway.request_id": request_id,
            },
        ) as span:
            try:
                yield
            finally:
                route = route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", answer.status)
                if answer.status >= 500:
                    span.set_status(StatusCode.ERROR)
