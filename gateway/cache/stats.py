"""Counters a test, a log line or a metrics exporter can read; nothing here is thread-safe
because everything that updates them runs on one event loop."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

# Each read has exactly one: a hit by tier, a remembered not-found, a stale answer, a load kept
# ("miss"), a load answered but not kept ("pass"), or an error.
ReadOutcome = Literal["l1", "l2", "negative", "stale", "miss", "pass", "error"]


@dataclass
class CacheStats:
    # Every read by (resource, outcome); the totals below are sums over resources.
    reads: Counter[tuple[str, ReadOutcome]] = field(default_factory=Counter)
    loads: int = 0
    load_errors: int = 0
    flight_waits: int = 0  # callers that joined a load already running in this process
    lease_waits: int = 0  # loads that waited for another process holding the lease
    writes_skipped: int = 0  # loaded values not written back because an invalidation raced them
    invalidations: int = 0  # tag invalidations applied here, local or from another process
    subscriptions: int = 0  # successful (re)subscriptions to the invalidation channel
    resyncs: int = 0  # L1 checks against Redis's generations after a resubscription
    resync_drops: int = 0  # L1 entries those checks dropped because their tags had moved
    redis_errors: int = 0
    breaker: str = "closed"  # as of the last Redis call: "closed", "open" or "half-open"

    def read(self, resource: str, outcome: ReadOutcome) -> None:
        self.reads[(resource, outcome)] += 1

    def _total(self, outcome: ReadOutcome) -> int:
        return sum(count for (_, seen), count in self.reads.items() if seen == outcome)

    @property
    def l1_hits(self) -> int:
        return self._total("l1")

    @property
    def l2_hits(self) -> int:
        return self._total("l2")

    @property
    def negative_hits(self) -> int:
        return self._total("negative")

    @property
    def stale_served(self) -> int:
        return self._total("stale")

    @property
    def misses(self) -> int:
        return self._total("miss")
