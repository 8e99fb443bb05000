"""Settings, read once from an environment mapping and injected everywhere else.

Every variable is parsed and checked here so a bad value stops the process at start with a
message that names it. Nothing reads ``os.environ`` at import time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from gateway.errors import SettingsError

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.hubapi.com"
# The service's own bound on an availability answer's slots (meetings/service.py MAX_SLOTS).
SLOTS_CEILING = 5000
_KEY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A partner app's key: its ``name`` goes in logs, the ``key`` never does."""

    name: str
    key: str = field(repr=False)
    per_minute: int


@dataclass(frozen=True, slots=True)
class Settings:
    hubspot_access_token: str | None = None
    hubspot_base_url: str = DEFAULT_BASE_URL
    redis_url: str | None = None
    sandbox_now: datetime | None = None
    sandbox_fixtures: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Cache freshness, seconds: fresh for ``ttl``, then served stale while one refresh runs,
    # and served on upstream failure until ``max_stale``.
    links_ttl: float = 60.0
    booking_info_ttl: float = 60.0
    availability_ttl: float = 30.0
    max_stale: float = 600.0
    l1_max_entries: int = 2048
    upstream_connect_timeout: float = 3.0
    upstream_read_timeout: float = 10.0
    max_page_size: int = 100
    max_availability_days: int = 92
    cors_origins: tuple[str, ...] = ()
    log_format: str = "text"
    production: bool = False
    # Whole GraphQL query responses kept between identical queries (see graphql/responses.py).
    response_cache: bool = True
    # Every client request answers within this many seconds (see hubspot/deadline.py).
    request_deadline: float = 5.0
    # Upstream calls per ten seconds for all gateway processes together (HubSpot allows 100
    # to 190 per app), the share of them only bookings may use, and the longest a call waits
    # for room before it is refused (and the cache answers stale data).
    upstream_rate_limit: int = 100
    upstream_booking_reserve: float = 0.2
    upstream_budget_wait: float = 1.0
    # Retries may add at most this share of extra upstream calls.
    upstream_retry_ratio: float = 0.1
    # Failures in a row that open the upstream breaker, and how long it then stays open.
    upstream_breaker_failures: int = 5
    upstream_breaker_cooldown: float = 5.0
    # The public surface's limits, checked before execution (see graphql/limits.py).
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_root_fields: int = 10
    max_directives: int = 10
    max_slots: int = SLOTS_CEILING
    max_query_cost: int = 100
    max_string_length: int = 2000
    max_body_bytes: int = 64 * 1024
    # Only the operations in ``operations_dir`` (default: the package's copy) are executed.
    persisted_only: bool = False
    operations_dir: Path | None = None
    # None: on outside production, off in production.
    introspection: bool | None = None
    # Partner apps' keys; empty: no key is asked for (see access.py).
    api_keys: tuple[ApiKey, ...] = field(default=(), repr=False)
    # Each client sends its own HubSpot token, used upstream and naming its tenant; at most
    # ``max_tenants`` tenants' parts are kept, the least recently seen dropped past it.
    pass_through_auth: bool = False
    max_tenants: int = 1024

    @property
    def uses_sandbox(self) -> bool:
        """No credential means the embedded sandbox is the upstream."""
        return self.hubspot_access_token is None

    @property
    def introspection_enabled(self) -> bool:
        return (not self.production) if self.introspection is None else self.introspection

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        def get(name: str, parse: Callable[[str], T], default: T, *, secret: bool = False) -> T:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except (ValueError, TypeError) as exc:
                shown = "the value" if secret else repr(raw)  # a secret is never repeated
                raise SettingsError(name, f"{shown} is not valid ({exc})") from exc

        defaults = cls()
        return cls(
            hubspot_access_token=environ.get("HUBSPOT_ACCESS_TOKEN", "").strip() or None,
            hubspot_base_url=get("HUBSPOT_BASE_URL", _http_url, defaults.hubspot_base_url),
            redis_url=get("REDIS_URL", _redis_url, None),
            sandbox_now=get("SANDBOX_NOW", _instant, None),
            sandbox_fixtures=get("SANDBOX_FIXTURES", _existing_file, None),
            host=get("GATEWAY_HOST", str, defaults.host),
            port=get("GATEWAY_PORT", _port, defaults.port),
            links_ttl=get("GATEWAY_LINKS_TTL", _positive_float, defaults.links_ttl),
            booking_info_ttl=get(
                "GATEWAY_BOOKING_INFO_TTL", _positive_float, defaults.booking_info_ttl
            ),
            availability_ttl=get(
                "GATEWAY_AVAILABILITY_TTL", _positive_float, defaults.availability_ttl
            ),
            max_stale=get("GATEWAY_MAX_STALE", _positive_float, defaults.max_stale),
            l1_max_entries=get("GATEWAY_L1_MAX_ENTRIES", _positive_int, defaults.l1_max_entries),
            upstream_connect_timeout=get(
                "GATEWAY_UPSTREAM_CONNECT_TIMEOUT",
                _positive_float,
                defaults.upstream_connect_timeout,
            ),
            upstream_read_timeout=get(
                "GATEWAY_UPSTREAM_READ_TIMEOUT", _positive_float, defaults.upstream_read_timeout
            ),
            max_page_size=get("GATEWAY_MAX_PAGE_SIZE", _positive_int, defaults.max_page_size),
            max_availability_days=get(
                "GATEWAY_MAX_AVAILABILITY_DAYS", _positive_int, defaults.max_availability_days
            ),
            cors_origins=get("GATEWAY_CORS_ORIGINS", _origins, defaults.cors_origins),
            log_format=get("GATEWAY_LOG_FORMAT", _log_format, defaults.log_format),
            production=get("GATEWAY_PRODUCTION", _boolean, defaults.production),
            response_cache=get("GATEWAY_RESPONSE_CACHE", _boolean, defaults.response_cache),
            request_deadline=get(
                "GATEWAY_REQUEST_DEADLINE", _positive_float, defaults.request_deadline
            ),
            upstream_rate_limit=get(
                "GATEWAY_UPSTREAM_RATE_LIMIT", _positive_int, defaults.upstream_rate_limit
            ),
            upstream_booking_reserve=get(
                "GATEWAY_UPSTREAM_BOOKING_RESERVE", _share, defaults.upstream_booking_reserve
            ),
            upstream_budget_wait=get(
                "GATEWAY_UPSTREAM_BUDGET_WAIT", _non_negative_float, defaults.upstream_budget_wait
            ),
            upstream_retry_ratio=get(
                "GATEWAY_UPSTREAM_RETRY_RATIO", _share, defaults.upstream_retry_ratio
            ),
            upstream_breaker_failures=get(
                "GATEWAY_UPSTREAM_BREAKER_FAILURES",
                _positive_int,
                defaults.upstream_breaker_failures,
            ),
            upstream_breaker_cooldown=get(
                "GATEWAY_UPSTREAM_BREAKER_COOLDOWN",
                _positive_float,
                defaults.upstream_breaker_cooldown,
            ),
            max_query_depth=get("GATEWAY_MAX_QUERY_DEPTH", _positive_int, defaults.max_query_depth),
            max_aliases=get("GATEWAY_MAX_ALIASES", _non_negative_int, defaults.max_aliases),
            max_tokens=get("GATEWAY_MAX_TOKENS", _positive_int, defaults.max_tokens),
            max_root_fields=get("GATEWAY_MAX_ROOT_FIELDS", _positive_int, defaults.max_root_fields),
            max_directives=get(
                "GATEWAY_MAX_DIRECTIVES", _non_negative_int, defaults.max_directives
            ),
            max_slots=get("GATEWAY_MAX_SLOTS", _slots, defaults.max_slots),
            max_query_cost=get("GATEWAY_MAX_QUERY_COST", _positive_int, defaults.max_query_cost),
            max_string_length=get(
                "GATEWAY_MAX_STRING_LENGTH", _positive_int, defaults.max_string_length
            ),
            max_body_bytes=get("GATEWAY_MAX_BODY_BYTES", _positive_int, defaults.max_body_bytes),
            persisted_only=get("GATEWAY_PERSISTED_ONLY", _boolean, defaults.persisted_only),
            operations_dir=get("GATEWAY_OPERATIONS_DIR", _existing_dir, None),
            introspection=get("GATEWAY_INTROSPECTION", _boolean, None),
            api_keys=get("GATEWAY_API_KEYS", _api_keys, defaults.api_keys, secret=True),
            pass_through_auth=get(
                "GATEWAY_PASS_THROUGH_AUTH", _boolean, defaults.pass_through_auth
            ),
            max_tenants=get("GATEWAY_MAX_TENANTS", _positive_int, defaults.max_tenants),
        )


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s) URL")
    return raw.rstrip("/")


def _redis_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return raw


def _instant(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("the instant needs an offset, e.g. 2026-03-02T09:00:00Z")
    return value.astimezone(UTC)


def _existing_file(raw: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise ValueError("no such file")
    return path


def _existing_dir(raw: str) -> Path:
    path = Path(raw)
    if not path.is_dir():
        raise ValueError("no such directory")
    return path


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected an integer, 0 or more")
    return value


def _slots(raw: str) -> int:
    value = int(raw)
    if not 0 < value <= SLOTS_CEILING:
        raise ValueError(f"expected 1-{SLOTS_CEILING}")
    return value


def _api_keys(raw: str) -> tuple[ApiKey, ...]:
    """``name:key:per_minute`` entries, comma-separated. The error never repeats a key."""
    keys: list[ApiKey] = []
    for number, entry in enumerate((e.strip() for e in raw.split(",") if e.strip()), start=1):
        name, _, rest = entry.partition(":")
        key, _, rate = rest.rpartition(":")
        if not _KEY_NAME.match(name) or len(key) < 8 or not rate.isdigit() or int(rate) <= 0:
            raise ValueError(
                f"entry {number} must be name:key:requests-per-minute, with a name of letters, "
                "digits, '.', '_' or '-', a key of 8 characters or more and a positive rate"
            )
        keys.append(ApiKey(name, key, int(rate)))
    if len({k.name for k in keys}) != len(keys) or len({k.key for k in keys}) != len(keys):
        raise ValueError("names and keys must be unique")
    return tuple(keys)


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("expected 1-65535")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("expected a positive number")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError("expected a number of seconds, 0 or more")
    return value


def _share(raw: str) -> float:
    value = float(raw)
    if not 0 <= value < 1:
        raise ValueError("expected a share from 0 up to (not including) 1")
    return value


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in raw.split(",") if origin.strip())


def _log_format(raw: str) -> str:
    if raw not in ("text", "json"):
        raise ValueError("expected 'text' or 'json'")
    return raw


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")
