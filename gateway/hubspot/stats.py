"""Counters of the upstream client that a test, a log line or a metrics exporter can read.

Nothing here is thread-safe: everything that updates them runs on one event loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class UpstreamStats:
    # Attempts sent, by (endpoint, outcome): the status code as text ("200", "429", "503"), or
    # "timeout", "connect-error", "transport-error" when no status came back.
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The HubSpot API version every call went to (one per deployment): a label of the calls.
    version: str = ""
    retries: int = 0
    retries_refused: int = 0  # retries the retry budget did not allow
    budget_waits: int = 0  # calls that waited for room in the rate budget, then went
    budget_refusals: int = 0  # calls refused at once: the budget had no room soon enough
    budget_fallbacks: int = 0  # Redis trouble: the per-process budget answered instead
    deadline_exceeded: int = 0  # calls given up because the request's deadline came
    breaker_rejections: int = 0  # calls refused at once by the open breaker
    breaker_opens: int = 0
    breaker: str = "closed"  # as of the last read: "closed", "open" or "half-open"
    # HubSpot's own count of the rate-limit window, as its last answer said; None until an
    # answer carried the headers (the embedded sandbox sends them only when a limit is set).
    rate_limit_max: int | None = None
    rate_limit_remaining: int | None = None

    def note_rate_limit(self, headers: Mapping[str, str]) -> None:
        for name, attribute in (
            ("X-HubSpot-RateLimit-Max", "rate_limit_max"),
            ("X-HubSpot-RateLimit-Remaining", "rate_limit_remaining"),
        ):
            raw = headers.get(name, "")
            if raw.isdigit():
                setattr(self, attribute, int(raw))

    def sent(self, endpoint: str | None = None) -> int:
        """Attempts sent upstream, of one endpoint or all."""
        return sum(n for (name, _), n in self.calls.items() if endpoint in (None, name))
