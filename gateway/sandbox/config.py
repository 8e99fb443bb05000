"""The sandbox's configuration, built once and injected into ``create_sandbox_app``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox app behaves.

    ``valid_tokens`` empty means any bearer token, or none, is accepted. When it is set, the
    tokens in ``read_only_tokens`` are accepted too, but only for reads.
    ``rate_limit`` counts API calls per rolling ten-second window.
    """

    fixtures_path: Path | None = None
    now: datetime | None = None
    valid_tokens: frozenset[str] = frozenset()
    read_only_tokens: frozenset[str] = frozenset()
    latency_ms: float = 0
    error_rate: float = 0
    rate_limit: int | None = None
    seed: int | None = None
    # Where bookings are delivered as HubSpot's signed webhooks (both set, or none).
    webhook_url: str | None = None
    client_secret: str | None = None

    def __post_init__(self) -> None:
        if self.now is not None and self.now.utcoffset() is None:
            raise ValueError("now: expected a timezone-aware datetime")
        check_latency(self.latency_ms, "latency_ms")
        check_error_rate(self.error_rate, "error_rate")
        check_rate_limit(self.rate_limit, "rate_limit")
        if (self.webhook_url is None) != (self.client_secret is None):
            raise ValueError("SANDBOX_WEBHOOK_URL and SANDBOX_CLIENT_SECRET go together")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SandboxConfig:
        """Read the ``SANDBOX_*`` variables; a bad value raises ``ValueError`` naming it.

        ``SANDBOX_NOW``, ``SANDBOX_FIXTURES``, ``SANDBOX_TOKENS``, ``SANDBOX_READ_ONLY_TOKENS``
        (comma lists), ``SANDBOX_LATENCY_MS``, ``SANDBOX_ERROR_RATE``, ``SANDBOX_RATE_LIMIT``
        ``SANDBOX_SEED`` (the seed of injected errors and generated ids), and
        ``SANDBOX_WEBHOOK_URL`` with ``SANDBOX_CLIENT_SECRET`` (see ``webhooks``). Unset or
        empty means the default.
        """
        fixtures = environ.get("SANDBOX_FIXTURES", "").strip()
        return cls(
            fixtures_path=Path(fixtures) if fixtures else None,
            now=_parse(environ, "SANDBOX_NOW", _instant),
            valid_tokens=_tokens(environ.get("SANDBOX_TOKENS", "")),
            read_only_tokens=_tokens(environ.get("SANDBOX_READ_ONLY_TOKENS", "")),
            latency_ms=_parse(environ, "SANDBOX_LATENCY_MS", _latency) or 0,
            error_rate=_parse(environ, "SANDBOX_ERROR_RATE", _error_rate) or 0,
            rate_limit=_parse(environ, "SANDBOX_RATE_LIMIT", _rate_limit),
            seed=_parse(environ, "SANDBOX_SEED", int),
            webhook_url=_parse(environ, "SANDBOX_WEBHOOK_URL", _url),
            client_secret=environ.get("SANDBOX_CLIENT_SECRET", "").strip() or None,
        )


def check_latency(value: float, name: str) -> None:
    if not 0 <= value <= 60_000:
        raise ValueError(f"{name}: expected milliseconds between 0 and 60000, got {value!r}")


def check_error_rate(value: float, name: str) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name}: expected a share between 0 and 1, got {value!r}")


def check_rate_limit(value: int | None, name: str) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{name}: expected a positive number of calls, got {value!r}")


def _parse(environ: Mapping[str, str], name: str, parse: Callable[[str], T]) -> T | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _instant(raw: str) -> datetime:
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"expected an ISO-8601 instant with an offset, got {raw!r}") from None
    if instant.utcoffset() is None:
        raise ValueError(f"expected an ISO-8601 instant with an offset, got {raw!r}")
    return instant


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


def _latency(raw: str) -> float:
    value = _number(raw)
    check_latency(value, "latency")
    return value


def _error_rate(raw: str) -> float:
    value = _number(raw)
    check_error_rate(value, "error rate")
    return value


def _rate_limit(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number of calls, got {raw!r}") from None
    check_rate_limit(value, "rate limit")
    return value


def _url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {raw!r}")
    return raw


def _tokens(raw: str) -> frozenset[str]:
    return frozenset(token.strip() for token in raw.split(",") if token.strip())
