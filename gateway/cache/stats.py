"""Counters a test, a log line or a metrics exporter can read; nothing here is thread-safe
because everything that updates them runs on one event loop."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CacheStats:
    l1_hits: int = 0
    l2_hits: int = 0
    misses: int = 0
    stale_served: int = 0
    negative_hits: int = 0
    loads: int = 0
    load_errors: int = 0
    flight_waits: int = 0  # callers that joined a load already running in this process
    lease_waits: int = 0  # loads that waited for another process holding the lease
    writes_skipped: int = 0  # loaded values not written back because an invalidation raced them
    invalidations: int = 0  # tag invalidations applied here, local or from another process
    subscriptions: int = 0  # successful (re)subscriptions to the invalidation channel
    redis_errors: int = 0
    breaker: str = "closed"  # as of the last Redis call: "closed", "open" or "half-open"
