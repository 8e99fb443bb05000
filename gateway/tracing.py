"""OpenTelemetry tracing, switched on by the standard ``OTEL_*`` environment.

    tracing = Tracing.from_environ(os.environ)      # None unless OTEL_* asks for traces
    create_app(settings, tracing=tracing)
    tracing.shutdown()                              # flushes what is still queued

Tracing is on when ``OTEL_TRACES_EXPORTER`` names an exporter other than ``none``
(``otlp``, ``console``), or when it is unset and ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set; ``OTEL_SDK_DISABLED=true`` turns it off.
Everything else (endpoint, headers, protocol, sampler, ``OTEL_SERVICE_NAME``, resource
attributes, batch sizes) the SDK reads from the environment itself.

The OpenTelemetry packages are the optional extra ``otel`` and are imported only here and by
the edge's ``RequestSpans``, and only once tracing is on: with it off, the app holds ``None``
and adds no middleware, no hook and no wrapper, so a request pays nothing for it.


Spans: the HTTP request (SERVER, continuing an incoming ``traceparent``), the GraphQL
operation inside it, each cache read (``cache.hit``, ``cache.stale``) with the load it ran,
and each upstream call (CLIENT), whose context travels to HubSpot as ``traceparent``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from gateway.cache import Cached, ReadThroughCache, Resource
from gateway.cache.keys import Params
from gateway.edge.request import GraphQLOperation
from gateway.hubspot.paths import upstream_operation

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

T = TypeVar("T")

SERVICE_NAME = "meetings-gateway"
INSTRUMENTATION = "gateway"

_SPAN = "gateway.tracing.span"


def tracing_requested(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    )


class Tracing:
    def __init__(self, provider: TracerProvider) -> None:
        """``provider`` is owned from here on: ``shutdown`` shuts it down."""
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(INSTRUMENTATION)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Tracing | None:
        """A ``Tracing`` exporting as ``OTEL_*`` says, or ``None`` when tracing is off.
        Raises ``ValueError`` naming the variable when it asks for what cannot be done."""
        if not tracing_requested(environ):
            return None
        try:
            from opentelemetry.sdk.resources import Resource as OtelResource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise ValueError(
                "OTEL_*: tracing is asked for but OpenTelemetry is not installed "
                "(pip install 'meetings-gateway[otel]')"
            ) from exc
        attributes = {} if environ.get("OTEL_SERVICE_NAME") else {"service.name": SERVICE_NAME}
        provider = TracerProvider(resource=OtelResource.create(attributes))
        for exporter in _exporters(environ):
            provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    def shutdown(self) -> None:
        self.provider.shutdown()

    # -- upstream calls --------------------------------------------------------------------

    def instrument(self, http: httpx.AsyncClient) -> None:
        """A CLIENT span per upstream exchange, its context sent as ``traceparent``. An
        exchange that gets no response leaves its span unended (so unexported); the failure
        shows on the enclosing cache-load span, which records the exception."""
        http.event_hooks["request"].append(self._upstream_sent)
        http.event_hooks["response"].append(self._upstream_answered)

    async def _upstream_sent(self, request: httpx.Request) -> None:
        from opentelemetry import propagate, trace

        endpoint, version = upstream_operation(request.method, request.url.path)
        span = self.tracer.start_span(
            f"{request.method} {endpoint}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "server.address": request.url.host,
                "gateway.upstream.endpoint": endpoint,
                "gateway.upstream.api_version": version,
            },
        )
        propagate.inject(request.headers, context=trace.set_span_in_context(span))
        request.extensions[_SPAN] = span

    async def _upstream_answered(self, response: httpx.Response) -> None:
        from opentelemetry.trace import StatusCode

        span: Span | None = response.request.extensions.pop(_SPAN, None)
        if span is None:
            return
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 400:
            span.set_status(StatusCode.ERROR)
        span.end()

    # -- GraphQL operations ----------------------------------------------------------------

    @contextmanager
    def operation(self, operation: GraphQLOperation) -> Iterator[None]:
        name = " ".join(part for part in (operation.type, operation.name) if part)
        attributes: dict[str, Any] = {"graphql.operation.name": operation.name}
        if operation.type:
            attributes["graphql.operation.type"] = operation.type
        with self.tracer.start_as_current_span(name, attributes=attributes):
            yield

    # -- cache reads -----------------------------------------------------------------------

    def instrument_cache(self, cache: ReadThroughCache) -> None:
        """Wrap this one cache's ``get`` and ``fresh`` in spans. Done on the instance, and only
        with tracing on, so that the cache module carries no tracing code and pays nothing when
        it is off."""
        get = cache.get
        tracer = self.tracer

        async def traced_get(
            resource: Resource[T],
            tenant: str,
            params: Params,
            load: Callable[[], Awaitable[T]],
            tags: Iterable[str] = (),
            *,
            key: str | None = None,
        ) -> Cached[T]:
            loaded = False

            async def traced_load() -> T:
                nonlocal loaded
                loaded = True
                with tracer.start_as_current_span(f"cache load {resource.name}"):
                    return await load()

            with tracer.start_as_current_span(
                f"cache get {resource.name}",
                attributes={"cache.resource": resource.name, "gateway.tenant": tenant},
            ) as span:
                got = await get(resource, tenant, params, traced_load, tags, key=key)
                # A read that joined another's load, or was answered by Redis, is a hit here.
                span.set_attribute("cache.hit", not loaded)
                span.set_attribute("cache.stale", got.stale)
                return got

        fresh = cache.fresh

        def traced_fresh(resource: Resource[T], key: str) -> Cached[T] | None:
            got = fresh(resource, key)
            if got is not None:
                # A read answered at once: the span of a ``get`` that hit.
                hit: dict[str, str | bool] = {
                    "cache.resource": resource.name,
                    "cache.hit": True,
                    "cache.stale": False,
                }
                tracer.start_span(f"cache get {resource.name}", attributes=hit).end()
            return got

        setattr(cache, "get", traced_get)  # noqa: B010  (mypy refuses assigning a method)
        setattr(cache, "fresh", traced_fresh)  # noqa: B010


def _exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    names = [
        name.strip()
        for name in (environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp").split(",")
        if name.strip()
    ]
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            exporters.append(_otlp_exporter(environ))
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: {name!r} is not one of otlp, console, none")
    return exporters


def _otlp_exporter(environ: Mapping[str, str]) -> SpanExporter:
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "").strip()
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip()
        or "http/protobuf"
    )
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    # The gRPC exporter pulls in grpcio, a heavy native package, for no gain over OTLP/HTTP,
    # which every collector also accepts (port 4318).
    raise ValueError(
        f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not supported; use http/protobuf"
    )
