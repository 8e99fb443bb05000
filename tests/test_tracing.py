"""OpenTelemetry spans of a request, exported in memory by the SDK itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.app import create_app
from gateway.edge.gate import Gate
from gateway.settings import Settings
from gateway.tracing import Tracing, tracing_requested
from tests.support.harness import NOW, operation
from tests.support.served import served as serve

BOOKING_INFO = operation("MeetingLinkBookingInfo")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


class Traced:
    def __init__(self, http: httpx.AsyncClient, spans: InMemorySpanExporter) -> None:
        self.http = http
        self.spans = spans
        self.upstream_headers: list[httpx.Headers] = []

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


@pytest.fixture
async def traced() -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider)
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW}), tracing=tracing)
    async with serve(app) as server:
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            found = Traced(http, exporter)

            async def seen_upstream(request: httpx.Request) -> None:
                found.upstream_headers.append(request.headers)

            # After the gateway's own hooks: sees the request exactly as it is sent.
            server.runtime.http.event_hooks["request"].append(seen_upstream)
            yield found
    tracing.shutdown()


async def test_a_query_is_traced_from_the_client_to_the_upstream(traced: Traced) -> None:
    response = await traced.http.post(
        "/graphql",
        json={"query": BOOKING_INFO, "variables": {"slug": "mel-nelson", "timeZone": "UTC"}},
        headers={"traceparent": INCOMING, "x-request-id": "req-7"},
    )
    assert response.status_code == 200
    spans = {span.name: span for span in traced.finished()}
    server = spans["POST /graphql"]
    assert server.kind is SpanKind.SERVER
    assert server.context is not None
    assert server.parent is not None
    # The incoming trace is continued, not restarted.
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["gateway.request_id"] == "req-7"

    op = spans["query MeetingLinkBookingInfo"]
    assert op.parent is not None
    assert op.parent.span_id == server.context.span_id
    assert op.attributes is not None
    assert op.attributes["graphql.operation.name"] == "MeetingLinkBookingInfo"

    response_read = spans["cache get graphql-response"]
    info_read = spans["cache get booking-info"]
    assert response_read.attributes is not None
    assert info_read.attributes is not None
    assert response_read.attributes["cache.hit"] is False
    assert info_read.attributes["cache.hit"] is False
    assert info_read.attributes["cache.stale"] is False

    upstream = spans["GET booking_info"]
    assert upstream.kind is SpanKind.CLIENT
    assert upstream.context is not None
    assert upstream.parent is not None
    load = spans["cache load booking-info"].context
    assert load is not None
    assert upstream.parent.span_id == load.span_id
    assert format(upstream.context.trace_id, "032x") == TRACE_ID
    assert upstream.attributes is not None
    assert upstream.attributes["http.response.status_code"] == 200
    assert upstream.attributes["gateway.upstream.api_version"] == Settings().hubspot_api_version
    # The upstream is told which span called it.
    sent = [headers["traceparent"] for headers in traced.upstream_headers]
    assert f"00-{TRACE_ID}-{upstream.context.span_id:016x}-01" in sent
    assert all(value.startswith(f"00-{TRACE_ID}-") for value in sent)

    traced.spans.clear()
    again = await traced.http.post(
        "/graphql",
        json={"query": BOOKING_INFO, "variables": {"slug": "mel-nelson", "timeZone": "UTC"}},
    )
    assert again.json() == response.json()
    names = [span.name for span in traced.finished()]
    assert "GET booking_info" not in names  # answered from the response cache
    hit = next(s for s in traced.finished() if s.name == "cache get graphql-response")
    assert hit.attributes is not None
    assert hit.attributes["cache.hit"] is True


async def test_routes_name_the_server_span(traced: Traced) -> None:
    assert (await traced.http.get("/healthz")).status_code == 200
    assert (await traced.http.get("/nowhere")).status_code == 404
    names = [span.name for span in traced.finished()]
    assert names == ["GET /healthz", "GET unmatched"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "gw"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
    ],
)
def test_the_otel_environment_switches_tracing(environ: dict[str, str], expected: bool) -> None:
    assert tracing_requested(environ) is expected


def test_off_means_none_and_on_builds_the_exporters() -> None:
    assert Tracing.from_environ({}) is None
    tracing = Tracing.from_environ(
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    )
    assert tracing is not None
    tracing.provider.shutdown()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    ],
)
def test_an_impossible_setting_names_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Tracing.from_environ(environ)


def test_without_tracing_the_app_adds_nothing() -> None:
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW}))
    installed: list[object] = [m.cls for m in app.user_middleware]
    assert installed == [Gate]
    assert app.user_middleware[0].kwargs["spans"] is None
