"""The process's long-lived parts, built once by the lifespan and closed on shutdown.

    async with running(settings, clock=clock, schema=schema, ...) as runtime:
        yield {STATE_KEY: runtime}            # the app's lifespan state

One httpx client, one cache with its Redis connection, one idempotency store and one set of
bookings under way serve every tenant. The gateway's own credential's service and response
cache are bound once; in pass-through mode each caller's tenant gets its own (``bind``), made
on its first request and kept (``gateway.tenants``). With no HubSpot credential the embedded
sandbox is the upstream, reached in process through httpx's ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Scope
from strawberry import Schema

from gateway.cache import (
    ReadThroughCache,
    RedisStore,
    build_cache,
    build_delivery_log,
    build_hold_store,
    build_idempotency_store,
    build_redis_store,
    tenant_id,
)
from gateway.cache.holds import HoldStore
from gateway.cache.idempotency import IdempotencyStore
from gateway.clock import Clock
from gateway.edge.access import caller_of
from gateway.graphql.persisted import PersistedQueries
from gateway.graphql.responses import ResponseCache
from gateway.graphql.validation import DocumentCheck
from gateway.hubspot.budget import CappedBudget
from gateway.hubspot.client import (
    HubSpotClient,
    build_budget,
    build_http_client,
    build_hubspot_client,
)
from gateway.hubspot.stats import UpstreamStats
from gateway.meetings.flights import Flights
from gateway.meetings.service import MeetingsService
from gateway.meetings.watches import Watches
from gateway.meetings.webhooks import MeetingEvents
from gateway.metrics import Metrics
from gateway.serving import STATE_KEY, Serving, serving_of
from gateway.settings import Settings
from gateway.tenants import Tenants
from gateway.tracing import Tracing


@dataclass(frozen=True)
class Bound:
    """One tenant's service and response cache."""

    service: MeetingsService
    responses: ResponseCache


@dataclass
class Runtime(Serving):
    settings: Settings
    clock: Clock
    http: httpx.AsyncClient
    client: HubSpotClient
    redis: RedisStore | None
    cache: ReadThroughCache
    idempotency: IdempotencyStore
    holds: HoldStore  # slot holds of every tenant, shared through Redis
    flights: Flights  # bookings without a key under way, of every tenant
    persisted: PersistedQueries
    watches: Watches  # live availability's watched ranges and streams, every tenant's
    events: MeetingEvents  # HubSpot's webhook events, each applied once
    own: Bound = field(init=False)  # the gateway's own credential's
    tenants: Tenants[Bound] | None = field(init=False)  # pass-through mode: each caller's

    def __post_init__(self) -> None:
        self.own = self.bind(tenant_id(self.settings.hubspot_access_token), self.client)
        self.tenants = (
            Tenants(self._bind_caller, max_tenants=self.settings.max_tenants)
            if self.settings.pass_through_auth
            else None
        )

    @property
    def service(self) -> MeetingsService:
        """The gateway's own credential's service (what the readiness probe reads through)."""
        return self.own.service

    def bound(self, scope: Scope) -> Bound:
        """The parts a request uses: its caller's tenant's in pass-through mode."""
        token = caller_of(scope).token
        if self.tenants is None or token is None:
            return self.own
        return self.tenants.get(tenant_id(token), token)

    def service_for(self, scope: Scope) -> MeetingsService:
        return self.bound(scope).service

    def meeting_events(self) -> MeetingEvents:
        return self.events

    def responses_for(self, scope: Scope) -> ResponseCache:
        return self.bound(scope).responses

    def bind(self, tenant: str, client: HubSpotClient) -> Bound:
        """A tenant's service and response cache over the shared cache and bookings."""
        settings = self.settings
        ttl = min(settings.availability_ttl, settings.booking_info_ttl, settings.links_ttl)
        return Bound(
            MeetingsService(
                client=client,
                cache=self.cache,
                idempotency=self.idempotency,
                clock=self.clock,
                settings=settings,
                tenant=tenant,
                flights=self.flights,
                holds=self.holds,
            ),
            ResponseCache(self.cache, tenant, ttl=ttl, max_stale=settings.max_stale),
        )

    def _bind_caller(self, tenant: str, token: str) -> Bound:
        # Cheap: a client view on the shared pool, breaker and stats, and its own budget.
        redis = self.redis.client if self.redis is not None else None
        own = build_budget(self.settings, redis, tenant, UpstreamStats())
        # Under the gateway's own budget too, which every tenant spends (HubSpot counts per app).
        return self.bind(
            tenant, self.client.with_token(token, CappedBudget(own, self.client.budget))
        )

    async def aclose(self) -> None:
        # Open streams end first (cleanly, with what they have queued): nothing feeds them now.
        await self.watches.aclose()
        await self.events.drain()
        # Then bookings under way: their answers are recorded and drop cache entries.
        await self.flights.aclose()
        await self.idempotency.aclose()
        await self.cache.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.http.aclose()


def runtime_of(connection: HTTPConnection) -> Runtime:
    """The runtime serving this request (the composition root's own endpoints need all of it)."""
    found = connection.scope.get("state", {}).get(STATE_KEY)
    if isinstance(found, Runtime):  # asked first: the exact type skips the ABC's own check
        return found
    raise TypeError(f"the app is served by {type(serving_of(connection)).__name__}, not a Runtime")


@asynccontextmanager
async def running(
    settings: Settings,
    *,
    clock: Clock,
    schema: Schema,
    sandbox: ASGIApp | None,
    metrics: Metrics,
    tracing: Tracing | None,
    operations: Mapping[str, str],
    watches: Watches | None = None,
) -> AsyncIterator[Runtime]:
    """``operations``: id -> document of the persisted operations. ``watches`` is the app's (its
    server ends its streams on a signal); default: new."""
    live = watches or Watches(settings)
    http = build_http_client(settings, httpx.ASGITransport(app=sandbox) if sandbox else None)
    metrics.instrument(http)
    redis = build_redis_store(settings)
    cache = build_cache(settings, clock, redis)
    if tracing is not None:
        tracing.instrument(http)
        tracing.instrument_cache(cache)
    client = build_hubspot_client(
        settings,
        http,
        redis=redis.client if redis is not None else None,
        tenant=tenant_id(settings.hubspot_access_token),
    )
    runtime = Runtime(
        settings=settings,
        clock=clock,
        http=http,
        client=client,
        redis=redis,
        cache=cache,
        idempotency=build_idempotency_store(redis),
        holds=build_hold_store(redis),
        flights=Flights(),
        watches=live,
        events=MeetingEvents(build_delivery_log(redis), live.stats),
        persisted=PersistedQueries(
            cache,
            operations,
            only=settings.persisted_only,
            accepts=DocumentCheck(schema, settings).accepts,
            max_document_bytes=settings.apq_max_document_bytes,
        ),
    )
    runtime.watches.attach(cache, runtime.holds)
    watched = (
        metrics.watch(cache_stats=lambda: cache.stats, upstream_stats=lambda: client.stats),
        metrics.watch_holds(lambda: runtime.holds.stats),
        metrics.watch_streams(runtime.watches),
    )
    try:
        yield runtime
    finally:
        for collector in watched:
            metrics.registry.unregister(collector)
        await runtime.aclose()
