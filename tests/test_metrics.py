"""``/metrics``: request, cache and upstream series of one app, on its own registry."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from gateway.hubspot.paths import upstream_operation
from gateway.metrics import LATENCY_BUCKETS, MAX_OPERATIONS, Metrics, RequestSeries
from gateway.settings import API_VERSIONS, Settings
from tests.support.harness import Gateway, operation
from tests.support.replicas import scrape, value

# The default API version: the one these gateways call.
VERSION = Settings().hubspot_api_version
BOOKING_INFO = operation("MeetingLinkBookingInfo")


async def test_graphql_traffic_shows_by_operation_with_cache_and_upstream(gateway: Gateway) -> None:
    for _ in range(3):
        await gateway.data(BOOKING_INFO, {"slug": "mel-nelson", "timeZone": "Europe/Berlin"})
    samples = await scrape(gateway)
    labels = {"route": "/graphql", "operation": "MeetingLinkBookingInfo"}
    assert value(samples, "gateway_requests_total", status="200", **labels) == 3
    assert value(samples, "gateway_request_duration_seconds_count", **labels) == 3
    # One load from the upstream; the two repeats were answered from the cache.
    assert (
        value(
            samples,
            "gateway_upstream_calls_total",
            endpoint="booking_info",
            version=VERSION,
            outcome="200",
        )
        == 1
    )
    assert (
        value(
            samples,
            "gateway_upstream_request_duration_seconds_count",
            endpoint="booking_info",
            version=VERSION,
        )
        == 1
    )
    assert value(samples, "gateway_cache_hits_total", tier="l1") >= 2
    assert value(samples, "gateway_cache_misses_total") >= 1
    assert value(samples, "gateway_cache_single_flight_waits_total", scope="process") == 0
    assert value(samples, "gateway_cache_redis_breaker", state="closed") == 1
    # By resource: the booking info was missed once; the two repeats were whole responses.
    reads = "gateway_cache_reads_total"
    assert value(samples, reads, resource="booking-info", outcome="miss") == 1
    assert value(samples, reads, resource="graphql-response", outcome="l1") == 2


async def test_routes_are_templates_and_unknown_paths_one_label(gateway: Gateway) -> None:
    assert (await gateway.http.get("/healthz")).status_code == 200
    assert (await gateway.http.get("/wp-admin/setup.php")).status_code == 404
    assert (await gateway.http.get("/.env")).status_code == 404
    samples = await scrape(gateway)
    assert (
        value(samples, "gateway_requests_total", route="/healthz", operation="", status="200") == 1
    )
    assert (
        value(samples, "gateway_requests_total", route="unmatched", operation="", status="404") == 2
    )
    assert not any("wp-admin" in str(labels) for _, labels in samples)


async def test_anonymous_and_malformed_operations_are_labelled_as_such(gateway: Gateway) -> None:
    await gateway.execute('{ meetingLink(slug: "mel-nelson") { slug } }')
    await gateway.execute("{ meetingLink(slug: ")
    samples = await scrape(gateway)
    assert (
        value(
            samples, "gateway_requests_total", route="/graphql", operation="anonymous", status="200"
        )
        == 1
    )
    assert (
        value(
            samples, "gateway_requests_total", route="/graphql", operation="unknown", status="200"
        )
        == 1
    )


def test_operation_names_are_capped() -> None:
    metrics = Metrics()
    labels = {metrics.operation_label(f"Operation{index}") for index in range(MAX_OPERATIONS + 50)}
    assert len(labels) == MAX_OPERATIONS + 1
    assert "other" in labels
    assert metrics.operation_label("Operation0") == "Operation0"


def test_each_app_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.observe_request("/graphql", "Q", 200, 0.01)
    assert (
        one.registry.get_sample_value(
            "gateway_requests_total", {"route": "/graphql", "operation": "Q", "status": "200"}
        )
        == 1
    )
    assert (
        two.registry.get_sample_value(
            "gateway_requests_total", {"route": "/graphql", "operation": "Q", "status": "200"}
        )
        is None
    )


@pytest.mark.parametrize("version", API_VERSIONS)
def test_upstream_paths_map_to_the_clients_endpoint_names_and_version(version: str) -> None:
    base = f"/scheduler/{version}/meetings/meeting-links"
    assert upstream_operation("GET", base) == ("list_links", version)
    assert upstream_operation("GET", f"{base}/book/acme-team%2Fgroup-review") == (
        "booking_info",
        version,
    )
    assert upstream_operation("GET", f"{base}/book/availability-page/mel-nelson") == (
        "availability",
        version,
    )
    assert upstream_operation("POST", f"{base}/book") == ("book", version)
    assert upstream_operation("GET", f"{base}/book") == ("other", version)


def test_other_upstream_paths_have_bounded_names() -> None:
    assert upstream_operation("GET", "/crm/v3/objects/contacts") == ("other", "other")
    # A version this gateway does not know is no label value of its own.
    assert upstream_operation("GET", "/scheduler/1999-01/meetings/meeting-links") == (
        "other",
        "other",
    )


async def test_hubspots_own_rate_limit_count_is_a_gauge(gateway: Gateway) -> None:
    await gateway.sandbox.put("/_sandbox/faults", json={"rateLimit": 50})
    await gateway.data(BOOKING_INFO, {"slug": "mel-nelson", "timeZone": "UTC"})
    samples = await scrape(gateway)
    assert value(samples, "gateway_upstream_rate_limit_max") == 50
    # The link list and the booking info were read: HubSpot counts them.
    assert value(samples, "gateway_upstream_rate_limit_remaining") == 48


async def test_answers_that_are_not_kept_are_reads_not_load_errors(gateway: Gateway) -> None:
    # A response holding an error is answered but never kept; an unknown persisted hash is
    # answered PersistedQueryNotFound and nothing is kept either. Neither failed to load.
    bad_zone = {"slug": "mel-nelson", "timeZone": "Not/AZone"}
    for _ in range(2):
        assert "errors" in await gateway.execute(BOOKING_INFO, bad_zone)
    unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = await gateway.http.post("/graphql", json={"extensions": unknown})
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    samples = await scrape(gateway)
    reads = "gateway_cache_reads_total"
    assert value(samples, reads, resource="graphql-response", outcome="pass") == 2
    assert value(samples, reads, resource="persisted-query", outcome="pass") == 1
    assert value(samples, "gateway_cache_load_errors_total") == 0


# Requests answered, as (route, operation, status, seconds): values on, between and past the
# bucket bounds, several series of one route, a route without an operation.
ANSWERED = [
    ("/graphql", "Links", 200, 0.0007),
    ("/graphql", "Links", 200, 0.001),
    ("/graphql", "Links", 200, 0.0025),
    ("/graphql", "Links", 400, 0.05),
    ("/graphql", "Month", 200, 3.0),
    ("/healthz", "", 200, 0.01),
    ("/graphql", "Links", 200, 20.0),
]


def exposed(registry: CollectorRegistry) -> str:
    # Creation times differ by when each series first counted; everything else must not.
    return re.sub(r"(_created\{[^}]*\}) \S+", r"\1 T", generate_latest(registry).decode())


def test_request_series_expose_what_prometheus_clients_own_series_would() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    series = RequestSeries()
    ours.register(series)
    count = Counter(
        "gateway_requests",
        "HTTP requests answered, by route template, GraphQL operation and status code.",
        ["route", "operation", "status"],
        registry=theirs,
    )
    latency = Histogram(
        "gateway_request_duration_seconds",
        "Time to answer an HTTP request, by route template and GraphQL operation.",
        ["route", "operation"],
        buckets=LATENCY_BUCKETS,
        registry=theirs,
    )
    for route, name, status, seconds in ANSWERED:
        series.observe(route, name, status, seconds)
        count.labels(route, name, str(status)).inc()
        latency.labels(route, name).observe(seconds)
    assert exposed(ours) == exposed(theirs)
    assert (
        ours.get_sample_value(
            "gateway_request_duration_seconds_bucket",
            {"route": "/graphql", "operation": "Links", "le": "0.001"},
        )
        == 2
    )  # a value on a bound counts in its bucket
