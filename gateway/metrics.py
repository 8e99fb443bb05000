"""Prometheus metrics of one app, on its own ``CollectorRegistry`` (tests build many apps).

    metrics = Metrics()
    Middleware(Gate, metrics=metrics, ...)          # the edge calls observe_request
    metrics.watch(cache_stats=..., upstream_stats=...)     # in the lifespan
    metrics.instrument(http)                       # upstream latency, by endpoint
    Route("/metrics", metrics.endpoint)

Request counts and latency are counted where they happen (the edge's one layer); everything the
cache and the upstream client already count is read from their stats objects at scrape time
by ``StatsCollector``, so their hot paths carry no metrics code at all.

Label values are bounded: routes are Starlette's path templates ("unmatched" for anything
else), GraphQL operation names are the well-formed ones the edge's request reader lets
through, and at most ``MAX_OPERATIONS`` distinct names are kept before the rest count as
"other", so no client can blow up the series count.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import accumulate

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from starlette.requests import Request
from starlette.responses import Response

from gateway.cache.holds import HoldStats
from gateway.cache.stats import CacheStats
from gateway.hubspot.paths import upstream_operation
from gateway.hubspot.stats import UpstreamStats
from gateway.meetings.watches import Watches

MAX_OPERATIONS = 100
BREAKER_STATES = ("closed", "open", "half-open")
# Cache hits answer in well under a millisecond, an availability miss in tens of them, and the
# request deadline is seconds: the buckets cover all three.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_STARTED = "gateway.metrics.started"
# The buckets' ``le`` labels, as prometheus_client writes them.
_BOUNDS = (*(repr(bound) for bound in LATENCY_BUCKETS), "+Inf")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = RequestSeries()
        self.registry.register(self.requests)
        self.upstream_seconds = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Time from sending a request to HubSpot to its response headers, by endpoint and "
            "API version.",
            ["endpoint", "version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tool_calls = Counter(
            "gateway_mcp_tool_calls",
            "MCP tool calls answered, by tool and outcome (a result's type, InvalidParams or "
            "Error).",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.tool_seconds = Histogram(
            "gateway_mcp_tool_duration_seconds",
            "Time to answer an MCP tool call, by tool.",
            ["tool"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._operations: set[str] = set()

    def operation_label(self, name: str) -> str:
        if name in self._operations:
            return name
        if len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name

    def observe_request(self, route: str, operation: str, status: int, seconds: float) -> None:
        label = self.operation_label(operation) if operation else ""
        self.requests.observe(route, label, status, seconds)

    def observe_tool_call(self, tool: str, outcome: str, seconds: float) -> None:
        # Both labels come from the tool table and its outcome types: bounded.
        self.tool_calls.labels(tool, outcome).inc()
        self.tool_seconds.labels(tool).observe(seconds)

    def watch(
        self,
        *,
        cache_stats: Callable[[], CacheStats | None],
        upstream_stats: Callable[[], UpstreamStats | None],
    ) -> Collector:
        """Read these at every scrape (either may answer ``None``) until the collector returned
        is unregistered (the lifespan does, on shutdown)."""
        collector = StatsCollector(cache_stats, upstream_stats)
        self.registry.register(collector)
        return collector

    def watch_holds(self, hold_stats: Callable[[], HoldStats | None]) -> Collector:
        """Slot holds by event, read at every scrape until the collector is unregistered."""
        collector = HoldCollector(hold_stats)
        self.registry.register(collector)
        return collector

    def watch_streams(self, watches: Watches) -> Collector:
        """Live availability: open streams, watched ranges, changes sent, webhook deliveries."""
        collector = StreamCollector(watches)
        self.registry.register(collector)
        return collector

    def instrument(self, http: httpx.AsyncClient) -> None:
        """Time every upstream exchange with httpx's own event hooks. Calls that got no
        response at all are counted by ``UpstreamStats`` (outcome "timeout" and the like)."""
        http.event_hooks["request"].append(self._upstream_sent)
        http.event_hooks["response"].append(self._upstream_answered)

    async def _upstream_sent(self, request: httpx.Request) -> None:
        request.extensions[_STARTED] = time.perf_counter()

    async def _upstream_answered(self, response: httpx.Response) -> None:
        request = response.request
        started = request.extensions.get(_STARTED)
        if isinstance(started, float):
            endpoint, version = upstream_operation(request.method, request.url.path)
            self.upstream_seconds.labels(endpoint, version).observe(time.perf_counter() - started)

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _Count:
    """One (route, operation, status) series of answered requests."""

    __slots__ = ("count", "created")

    def __init__(self) -> None:
        self.count = 0
        self.created = time.time()


class _Latencies:
    """One (route, operation) series of request latency: its buckets' own counts, not summed."""

    __slots__ = ("counts", "created", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last: past every bound
        self.total = 0.0
        self.created = time.time()


class RequestSeries(Collector):
    """``gateway_requests_total`` and ``gateway_request_duration_seconds``, counted in plain
    integers as requests are answered and read out at scrape time, as prometheus_client's
    ``Counter`` and ``Histogram`` (``_created`` samples included) would expose them.

    Every request is observed once, on the event loop that answers it and scrapes: a request
    pays two dictionary reads and a bisection, not the six method calls and three locks of
    prometheus_client's own series. The label values are bounded (``Metrics``' docstring), so
    are these dictionaries."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], _Count] = {}
        self._latencies: dict[tuple[str, str], _Latencies] = {}

    def observe(self, route: str, operation: str, status: int, seconds: float) -> None:
        counted = self._counts.get((route, operation, status))
        if counted is None:
            counted = self._counts[(route, operation, status)] = _Count()
        counted.count += 1
        latencies = self._latencies.get((route, operation))
        if latencies is None:
            latencies = self._latencies[(route, operation)] = _Latencies()
        # A bucket counts the values up to its bound, inclusive, as prometheus_client's do.
        latencies.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        latencies.total += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "gateway_requests",
            "HTTP requests answered, by route template, GraphQL operation and status code.",
            labels=["route", "operation", "status"],
        )
        for (route, operation, status), counted in list(self._counts.items()):
            requests.add_metric(
                [route, operation, str(status)], counted.count, created=counted.created
            )
        yield requests
        name = "gateway_request_duration_seconds"
        durations = HistogramMetricFamily(
            name,
            "Time to answer an HTTP request, by route template and GraphQL operation.",
            labels=["route", "operation"],
        )
        for (route, operation), latencies in list(self._latencies.items()):
            cumulative = list(accumulate(latencies.counts))
            durations.add_metric(
                [route, operation], list(zip(_BOUNDS, cumulative, strict=True)), latencies.total
            )
            labels = {"route": route, "operation": operation}
            durations.samples.append(Sample(f"{name}_created", labels, latencies.created))
        yield durations


class StatsCollector(Collector):
    """The cache's and the upstream client's own counters, read at scrape time.

    The cache counts across all its resources (links, booking info, availability pages and
    whole GraphQL responses) in one ``CacheStats``; a breakdown by resource would need
    ``CacheStats`` to keep one, so none is invented here.
    """

    def __init__(
        self,
        cache_stats: Callable[[], CacheStats | None],
        upstream_stats: Callable[[], UpstreamStats | None],
    ) -> None:
        self._cache_stats = cache_stats
        self._upstream_stats = upstream_stats

    def collect(self) -> Iterator[Metric]:
        cache = self._cache_stats()
        if cache is not None:
            yield from _cache_metrics(cache)
        upstream = self._upstream_stats()
        if upstream is not None:
            yield from _upstream_metrics(upstream)


class HoldCollector(Collector):
    def __init__(self, hold_stats: Callable[[], HoldStats | None]) -> None:
        self._hold_stats = hold_stats

    def collect(self) -> Iterator[Metric]:
        stats = self._hold_stats()
        if stats is None:
            return
        holds = CounterMetricFamily(
            "gateway_slot_holds",
            "Slot holds by event: granted, refused, released, expired, consumed by a booking.",
            labels=["event"],
        )
        for event in ("granted", "refused", "released", "expired", "consumed"):
            holds.add_metric([event], getattr(stats, event))
        yield holds


class StreamCollector(Collector):
    def __init__(self, watches: Watches) -> None:
        self._watches = watches

    def collect(self) -> Iterator[Metric]:
        watches, stats = self._watches, self._watches.stats
        yield GaugeMetricFamily(
            "gateway_open_streams", "Open availabilityChanged streams.", value=watches.open_streams
        )
        yield GaugeMetricFamily(
            "gateway_watched_ranges",
            "Distinct watched ranges (each read once per change, whatever its streams).",
            value=watches.watched_ranges,
        )
        yield _counter("gateway_streams_opened", "Streams opened.", stats.opened)
        yield _counter("gateway_stream_changes", "Changes handed to streams.", stats.changes)
        yield _counter(
            "gateway_streams_dropped", "Streams dropped as slow consumers.", stats.dropped
        )
        yield _counter("gateway_watched_range_reads", "Watched-range reads.", stats.reads)
        deliveries = CounterMetricFamily(
            "gateway_webhook_deliveries",
            "HubSpot webhook deliveries by outcome: accepted, refused (signature, timestamp, "
            "size, shape), and events applied or ignored as replays.",
            labels=["outcome"],
        )
        for outcome, count in sorted(stats.webhooks.items()):
            deliveries.add_metric([outcome], count)
        yield deliveries


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _states(name: str, documentation: str, state: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["state"])
    for known in BREAKER_STATES:
        family.add_metric([known], 1.0 if state == known else 0.0)
    return family


def _cache_metrics(stats: CacheStats) -> Iterator[Metric]:
    reads = CounterMetricFamily(
        "gateway_cache_reads",
        "Cache reads by resource (links, booking-info, availability, graphql-response, ...) "
        "and outcome, one per read: l1, l2, negative (a remembered 404), stale, miss (loaded and "
        "kept), pass (loaded, answered, not kept) or error.",
        labels=["resource", "outcome"],
    )
    for (resource, outcome), count in sorted(stats.reads.items()):
        reads.add_metric([resource, outcome], count)
    yield reads
    hits = CounterMetricFamily(
        "gateway_cache_hits",
        "Cache reads answered fresh: from this process (l1), from Redis (l2), or from a "
        "remembered upstream 404 (negative).",
        labels=["tier"],
    )
    hits.add_metric(["l1"], stats.l1_hits)
    hits.add_metric(["l2"], stats.l2_hits)
    hits.add_metric(["negative"], stats.negative_hits)
    yield hits
    yield _counter("gateway_cache_misses", "Cache reads that found nothing usable.", stats.misses)
    yield _counter(
        "gateway_cache_stale_served",
        "Cache reads answered with stale data (while revalidating, or on upstream failure).",
        stats.stale_served,
    )
    yield _counter("gateway_cache_loads", "Loads from the upstream run by the cache.", stats.loads)
    yield _counter("gateway_cache_load_errors", "Loads that failed.", stats.load_errors)
    waits = CounterMetricFamily(
        "gateway_cache_single_flight_waits",
        "Reads that waited for a load already under way: in this process, or for another "
        "process holding the Redis lease.",
        labels=["scope"],
    )
    waits.add_metric(["process"], stats.flight_waits)
    waits.add_metric(["lease"], stats.lease_waits)
    yield waits
    yield _counter(
        "gateway_cache_invalidations",
        "Tag invalidations applied here, from this process or from another through Redis.",
        stats.invalidations,
    )
    yield _counter(
        "gateway_cache_writes_skipped",
        "Loaded values not written back because an invalidation raced them.",
        stats.writes_skipped,
    )
    yield _counter("gateway_cache_redis_errors", "Failed Redis calls.", stats.redis_errors)
    yield _states(
        "gateway_cache_redis_breaker",
        "The Redis breaker's state (1 for the current one).",
        stats.breaker,
    )


def _upstream_metrics(stats: UpstreamStats) -> Iterator[Metric]:
    if stats.rate_limit_remaining is not None:
        yield GaugeMetricFamily(
            "gateway_upstream_rate_limit_remaining",
            "Calls left in HubSpot's rate-limit window, as its last answer said.",
            value=stats.rate_limit_remaining,
        )
    if stats.rate_limit_max is not None:
        yield GaugeMetricFamily(
            "gateway_upstream_rate_limit_max",
            "HubSpot's calls per rate-limit window, as its last answer said.",
            value=stats.rate_limit_max,
        )
    calls = CounterMetricFamily(
        "gateway_upstream_calls",
        "Attempts sent to HubSpot, by endpoint, API version and outcome: the status code, or "
        "timeout, connect-error, transport-error.",
        labels=["endpoint", "version", "outcome"],
    )
    for (endpoint, outcome), count in sorted(stats.calls.items()):
        calls.add_metric([endpoint, stats.version, outcome], count)
    yield calls
    yield _counter(
        "gateway_upstream_retries", "Upstream attempts that were retries.", stats.retries
    )
    yield _counter(
        "gateway_upstream_retries_refused",
        "Retries the retry budget did not allow.",
        stats.retries_refused,
    )
    yield _counter(
        "gateway_upstream_budget_waits",
        "Upstream calls that waited for room in the rate budget, then went.",
        stats.budget_waits,
    )
    yield _counter(
        "gateway_upstream_budget_refusals",
        "Upstream calls refused because the rate budget had no room soon enough.",
        stats.budget_refusals,
    )
    yield _counter(
        "gateway_upstream_budget_fallbacks",
        "Times the shared (Redis) rate budget could not answer and this process's own did.",
        stats.budget_fallbacks,
    )
    yield _counter(
        "gateway_upstream_deadline_exceeded",
        "Upstream calls given up because the client request's deadline came.",
        stats.deadline_exceeded,
    )
    yield _counter(
        "gateway_upstream_breaker_rejections",
        "Upstream calls refused at once by the open breaker.",
        stats.breaker_rejections,
    )
    yield _counter(
        "gateway_upstream_breaker_opens", "Times the upstream breaker opened.", stats.breaker_opens
    )
    yield _states(
        "gateway_upstream_breaker",
        "The upstream breaker's state (1 for the current one).",
        stats.breaker,
    )
