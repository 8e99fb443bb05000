"""What the edge reports each HTTP request to (``gateway.metrics.Metrics`` keeps the series).

The edge knows the request (its route template, GraphQL operation and status); the series
and their registry belong to ``gateway.metrics``, which this module does not import.
"""

from __future__ import annotations

from typing import Protocol


class RequestObserver(Protocol):
    def observe_request(self, route: str, operation: str, status: int, seconds: float) -> None:
        """One answered request: its route template, GraphQL operation name ("" for none)."""
