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
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gateway.errors import SettingsError

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.hubapi.com"
# HubSpot's scheduler API versions the gateway can call, oldest first; the last is the default
# (the latest generally available date version). Each serves the same meetings-link operations
# with the same schemas under /scheduler/{version}/meetings; HubSpot ends every semantic
# version (v3) in September 2027. A new version is one more entry here and its spec.
API_VERSIONS = ("v3", "2026-03", "2026-09")
# The most slots GATEWAY_MAX_SLOTS may let one availability answer hold.
SLOTS_CEILING = 5000
# The longest a slot hold may last: a booking form takes minutes, not hours.
MAX_HOLD_TTL = 1800.0
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
    # One version for every call of this deployment, whatever tenant makes it.
    hubspot_api_version: str = API_VERSIONS[-1]
    redis_url: str | None = None
    sandbox_now: datetime | None = None
    sandbox_fixtures: Path | None = None
    # The embedded sandbox delivers its bookings here as HubSpot's signed webhooks.
    sandbox_webhook_url: str | None = None
    sandbox_client_secret: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    # Cache freshness, seconds: fresh for ``ttl``, then served stale while one refresh runs,
    # and served on upstream failure until ``max_stale``.
    links_ttl: float = 60.0
    booking_info_ttl: float = 60.0
    availability_ttl: float = 30.0
    max_stale: float = 600.0
    l1_max_entries: int = 2048
    # And at most this many bytes, every object an entry holds counted (see cache/store.py).
    l1_max_bytes: int = 128 * 1024 * 1024
    upstream_connect_timeout: float = 3.0
    upstream_read_timeout: float = 10.0
    # Connections the upstream pool may hold open at once (half of them kept alive when idle).
    upstream_max_connections: int = 64
    # Each Redis operation's bound, and how long Redis is bypassed after a failure.
    redis_timeout: float = 0.25
    redis_breaker_cooldown: float = 3.0
    max_page_size: int = 100
    max_availability_days: int = 92
    cors_origins: tuple[str, ...] = ()
    log_format: str = "text"
    production: bool = False
    # Whole GraphQL query responses kept between identical queries (see graphql/responses.py).
    response_cache: bool = True
    # Every client request answers within this many seconds (see edge/deadline.py).
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
    # Bounds on what graphql-core's validation compares pairwise (see graphql/validation.py).
    max_fragment_spreads: int = 50
    max_fields: int = 200
    max_slots: int = SLOTS_CEILING
    max_query_cost: int = 100
    max_string_length: int = 2000
    max_body_bytes: int = 64 * 1024
    # Only the operations in ``operations_dir`` (default: the package's copy) are executed.
    persisted_only: bool = False
    # The largest document an automatic persisted query may register (see graphql/persisted.py).
    apq_max_document_bytes: int = 16 * 1024
    operations_dir: Path | None = None
    # A manifest of persisted operations written by client tooling (see graphql/manifest.py).
    persisted_manifest: Path | None = None
    # None: on outside production, off in production.
    introspection: bool | None = None
    # Partner apps' keys; empty: no key is asked for (see edge/access.py).
    api_keys: tuple[ApiKey, ...] = field(default=(), repr=False)
    # Each client sends its own HubSpot token, used upstream and naming its tenant; at most
    # ``max_tenants`` tenants' parts are kept, the least recently seen dropped past it.
    pass_through_auth: bool = False
    # The gateway's address as clients reach it, for the links it writes; None: relative links.
    public_url: str | None = None
    # A slot hold lives this many seconds, and may be renewed to a full TTL this many times.
    hold_ttl: float = 300.0
    hold_max_renewals: int = 3
    # Pass-through tenants whose parts each process keeps (the least recently seen dropped).
    max_tenants: int = 1024
    # Live availability (``availabilityChanged``): its limits and heartbeat (see
    # meetings/watches.py), and the HubSpot app's secret that signs webhook deliveries.
    max_streams: int = 10_000
    max_subscriptions_per_connection: int = 10
    subscription_max_days: int = 31
    stream_queue: int = 32
    stream_heartbeat: float = 15.0
    hubspot_client_secret: str | None = field(default=None, repr=False)

    @property
    def booking_info_fresh_for(self) -> float:
        """Seconds a booking info stays fresh: it embeds its link's first month of offered
        times, and that month is read from it, so no longer than an availability page."""
        return min(self.booking_info_ttl, self.availability_ttl)

    @property
    def uses_sandbox(self) -> bool:
        """No credential means the embedded sandbox is the upstream."""
        return self.hubspot_access_token is None

    def __post_init__(self) -> None:
        if (self.sandbox_webhook_url is None) != (self.sandbox_client_secret is None):
            raise SettingsError(
                "SANDBOX_WEBHOOK_URL", "goes with SANDBOX_CLIENT_SECRET: set both or neither"
            )

    @property
    def introspection_enabled(self) -> bool:
        return (not self.production) if self.introspection is None else self.introspection

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        defaults = cls()
        return cls(
            **{
                variable.attribute: variable.read(environ, getattr(defaults, variable.attribute))
                for variable in VARIABLES
            }
        )


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable: the ``Settings`` field it fills, how its text is parsed and
    checked, and what it means (its README row). The default is the field's own."""

    name: str
    attribute: str
    parse: Callable[[str], Any]
    doc: str
    secret: bool = False

    def read(self, environ: Mapping[str, str], default: T) -> T:
        raw = environ.get(self.name, "").strip()
        if not raw:
            return default
        try:
            value: T = self.parse(raw)
        except (ValueError, TypeError) as exc:
            shown = "the value" if self.secret else repr(raw)  # a secret is never repeated
            raise SettingsError(self.name, f"{shown} is not valid ({exc})") from exc
        return value

    def readme_row(self, default: object) -> str:
        """This variable's row of the README's settings table."""
        return f"| `{self.name}` | {_shown(default)} | {self.doc} |"


def _shown(default: object) -> str:
    if default is None:
        return "unset"
    if default == ():
        return "none"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s) URL")
    return raw.rstrip("/")


def _api_version(raw: str) -> str:
    if raw not in API_VERSIONS:
        raise ValueError(f"expected one of {', '.join(API_VERSIONS)}")
    return raw


def _public_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL, e.g. https://meetings.example.com")
    if parts.query or parts.fragment:
        raise ValueError("expected no query or fragment")
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


def _hold_ttl(raw: str) -> float:
    value = float(raw)
    if not 0 < value <= MAX_HOLD_TTL:
        raise ValueError(f"expected seconds, more than 0 and at most {MAX_HOLD_TTL:g}")
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


def port_number(raw: str) -> int:
    """A TCP port to bind: 1-65535."""
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


# Every variable the gateway reads, in the README's order: the one place a setting is named,
# parsed and described (the README's "Every setting" table is checked against it).
VARIABLES: tuple[Variable, ...] = (
    Variable(
        "HUBSPOT_ACCESS_TOKEN",
        "hubspot_access_token",
        str,
        "HubSpot private app token; unset: the embedded sandbox is the upstream",
    ),
    Variable(
        "HUBSPOT_BASE_URL",
        "hubspot_base_url",
        _http_url,
        "the upstream's base URL",
    ),
    Variable(
        "HUBSPOT_API_VERSION",
        "hubspot_api_version",
        _api_version,
        (
            "HubSpot scheduler API version every upstream call uses: `v3`, `2026-03` or "
            "`2026-09` (one per deployment, for every tenant)"
        ),
    ),
    Variable(
        "REDIS_URL",
        "redis_url",
        _redis_url,
        (
            "`redis://`, `rediss://` or `unix://` URL of the shared Redis; unset: "
            "in-process cache only"
        ),
    ),
    Variable(
        "SANDBOX_NOW",
        "sandbox_now",
        _instant,
        ("an ISO instant with offset that freezes the clock of the whole process (tests, demos)"),
    ),
    Variable(
        "SANDBOX_FIXTURES",
        "sandbox_fixtures",
        _existing_file,
        "path of a sandbox fixtures file (must exist)",
    ),
    Variable(
        "SANDBOX_WEBHOOK_URL",
        "sandbox_webhook_url",
        _http_url,
        (
            "the embedded sandbox delivers every booking it makes to this URL as HubSpot's "
            "signed meeting-creation webhook (with `SANDBOX_CLIENT_SECRET`)"
        ),
    ),
    Variable(
        "SANDBOX_CLIENT_SECRET",
        "sandbox_client_secret",
        str,
        "the secret the embedded sandbox signs its webhooks with (as a HubSpot app's)",
        secret=True,
    ),
    Variable(
        "GATEWAY_HOST",
        "host",
        str,
        "address `serve` binds (`--host` overrides)",
    ),
    Variable(
        "GATEWAY_PORT",
        "port",
        port_number,
        "port `serve` binds (`--port` overrides)",
    ),
    Variable(
        "GATEWAY_LINKS_TTL",
        "links_ttl",
        _positive_float,
        "seconds a meeting-links page stays fresh",
    ),
    Variable(
        "GATEWAY_BOOKING_INFO_TTL",
        "booking_info_ttl",
        _positive_float,
        "seconds a link's booking info stays fresh (at most `GATEWAY_AVAILABILITY_TTL`: it "
        "embeds the first month's offered times)",
    ),
    Variable(
        "GATEWAY_AVAILABILITY_TTL",
        "availability_ttl",
        _positive_float,
        "seconds an availability month page stays fresh",
    ),
    Variable(
        "GATEWAY_MAX_STALE",
        "max_stale",
        _positive_float,
        "seconds past which nothing stale is served, even when HubSpot fails",
    ),
    Variable(
        "GATEWAY_L1_MAX_ENTRIES",
        "l1_max_entries",
        _positive_int,
        "entries kept in each process's own cache",
    ),
    Variable(
        "GATEWAY_L1_MAX_BYTES",
        "l1_max_bytes",
        _positive_int,
        (
            "bytes each process's own cache may hold, every object of an entry counted "
            "(128 MiB); a larger entry is kept in Redis only"
        ),
    ),
    Variable(
        "GATEWAY_UPSTREAM_CONNECT_TIMEOUT",
        "upstream_connect_timeout",
        _positive_float,
        "seconds to connect to HubSpot",
    ),
    Variable(
        "GATEWAY_UPSTREAM_READ_TIMEOUT",
        "upstream_read_timeout",
        _positive_float,
        "seconds to wait for HubSpot's answer",
    ),
    Variable(
        "GATEWAY_UPSTREAM_MAX_CONNECTIONS",
        "upstream_max_connections",
        _positive_int,
        "connections to HubSpot each process may hold open at once (half kept alive when idle)",
    ),
    Variable(
        "GATEWAY_REDIS_TIMEOUT",
        "redis_timeout",
        _positive_float,
        "seconds each Redis operation may take before Redis counts as unreachable",
    ),
    Variable(
        "GATEWAY_REDIS_BREAKER_COOLDOWN",
        "redis_breaker_cooldown",
        _positive_float,
        "seconds Redis is bypassed (L1 and the upstream answer) after it failed, before a retry",
    ),
    Variable(
        "GATEWAY_MAX_PAGE_SIZE",
        "max_page_size",
        _positive_int,
        "largest `first` a client may ask for",
    ),
    Variable(
        "GATEWAY_MAX_AVAILABILITY_DAYS",
        "max_availability_days",
        _positive_int,
        "longest availability range a client may ask for",
    ),
    Variable(
        "GATEWAY_CORS_ORIGINS",
        "cors_origins",
        _origins,
        "comma-separated browser origins allowed to call the gateway",
    ),
    Variable(
        "GATEWAY_LOG_FORMAT",
        "log_format",
        _log_format,
        "`text` (a terminal) or `json` (a log collector)",
    ),
    Variable(
        "GATEWAY_PRODUCTION",
        "production",
        _boolean,
        (
            "marks a production deployment: upstream error messages are generic on "
            "GraphQL and REST (the log has them, under the correlation id), introspection "
            "is off by default"
        ),
    ),
    Variable(
        "GATEWAY_RESPONSE_CACHE",
        "response_cache",
        _boolean,
        "keep whole GraphQL query responses between identical queries",
    ),
    Variable(
        "GATEWAY_REQUEST_DEADLINE",
        "request_deadline",
        _positive_float,
        "seconds within which every client request is answered",
    ),
    Variable(
        "GATEWAY_UPSTREAM_RATE_LIMIT",
        "upstream_rate_limit",
        _positive_int,
        (
            "upstream calls per ten seconds, for all replicas (and, in pass-through mode, all "
            "tenants) together"
        ),
    ),
    Variable(
        "GATEWAY_UPSTREAM_BOOKING_RESERVE",
        "upstream_booking_reserve",
        _share,
        (
            "share of that budget reads never use; bookings may use the whole of it, and calls "
            "held by bookings in progress are kept from reads too"
        ),
    ),
    Variable(
        "GATEWAY_UPSTREAM_BUDGET_WAIT",
        "upstream_budget_wait",
        _non_negative_float,
        "longest a call waits for room in the budget before it is refused",
    ),
    Variable(
        "GATEWAY_UPSTREAM_RETRY_RATIO",
        "upstream_retry_ratio",
        _share,
        "share of extra upstream calls retries may add",
    ),
    Variable(
        "GATEWAY_UPSTREAM_BREAKER_FAILURES",
        "upstream_breaker_failures",
        _positive_int,
        "upstream failures in a row that open the breaker",
    ),
    Variable(
        "GATEWAY_UPSTREAM_BREAKER_COOLDOWN",
        "upstream_breaker_cooldown",
        _positive_float,
        "seconds the open breaker refuses calls before one probe",
    ),
    Variable(
        "GATEWAY_MAX_QUERY_DEPTH",
        "max_query_depth",
        _positive_int,
        "deepest selection nesting a GraphQL document may have (`QUERY_TOO_DEEP`)",
    ),
    Variable(
        "GATEWAY_MAX_ALIASES",
        "max_aliases",
        _non_negative_int,
        "aliased fields a document may use (`TOO_MANY_ALIASES`)",
    ),
    Variable(
        "GATEWAY_MAX_TOKENS",
        "max_tokens",
        _positive_int,
        "tokens a document may hold; parsing stops past it (`TOO_MANY_TOKENS`)",
    ),
    Variable(
        "GATEWAY_MAX_ROOT_FIELDS",
        "max_root_fields",
        _positive_int,
        "fields an operation may select at its root (`TOO_MANY_ROOT_FIELDS`)",
    ),
    Variable(
        "GATEWAY_MAX_DIRECTIVES",
        "max_directives",
        _non_negative_int,
        "directive uses a document may hold (`TOO_MANY_DIRECTIVES`)",
    ),
    Variable(
        "GATEWAY_MAX_FRAGMENT_SPREADS",
        "max_fragment_spreads",
        _non_negative_int,
        (
            "fragment spreads (`...Name`) a document may hold as written "
            "(`TOO_MANY_FRAGMENT_SPREADS`); bounds the fragment pairs validation compares"
        ),
    ),
    Variable(
        "GATEWAY_MAX_FIELDS",
        "max_fields",
        _positive_int,
        (
            "fields a document may hold as written, fragments counted once "
            "(`TOO_MANY_FIELDS`); bounds the field pairs validation compares"
        ),
    ),
    Variable(
        "GATEWAY_MAX_SLOTS",
        "max_slots",
        _slots,
        "largest availability `first` (`LIST_TOO_LARGE`; at most 5000)",
    ),
    Variable(
        "GATEWAY_MAX_QUERY_COST",
        "max_query_cost",
        _positive_int,
        "ceiling of a query's estimated upstream calls (`QUERY_TOO_COSTLY`)",
    ),
    Variable(
        "GATEWAY_MAX_STRING_LENGTH",
        "max_string_length",
        _positive_int,
        "longest string argument or variable (`STRING_TOO_LONG`)",
    ),
    Variable(
        "GATEWAY_MAX_BODY_BYTES",
        "max_body_bytes",
        _positive_int,
        "largest POST body on `/graphql` and the REST surface; past it: 413",
    ),
    Variable(
        "GATEWAY_APQ_MAX_DOCUMENT_BYTES",
        "apq_max_document_bytes",
        _non_negative_int,
        (
            "largest document an automatic persisted query registers; larger ones, and "
            "any that fails parsing, validation or the document limits, are answered but "
            "never stored"
        ),
    ),
    Variable(
        "GATEWAY_PERSISTED_ONLY",
        "persisted_only",
        _boolean,
        (
            "run only the persisted operations, sent by hash or as their document in any "
            "formatting (added `__typename` too); others get `PERSISTED_QUERY_REQUIRED`"
        ),
    ),
    Variable(
        "GATEWAY_OPERATIONS_DIR",
        "operations_dir",
        _existing_dir,
        (
            "directory of the persisted `*.graphql` operations; unset: the copy shipped "
            "in the package"
        ),
    ),
    Variable(
        "GATEWAY_PERSISTED_MANIFEST",
        "persisted_manifest",
        _existing_file,
        (
            "a persisted-operations manifest (graphql-codegen's `{id: document}` or Apollo's "
            "`apollo-persisted-query-manifest`) whose operations are persisted too"
        ),
    ),
    Variable(
        "GATEWAY_INTROSPECTION",
        "introspection",
        _boolean,
        "GraphQL introspection and GraphiQL; unset: on, except in production",
    ),
    Variable(
        "GATEWAY_API_KEYS",
        "api_keys",
        _api_keys,
        (
            "partner apps' keys as `name:key:requests-per-minute,...`; set: every call "
            "needs `X-API-Key`"
        ),
        secret=True,
    ),
    Variable(
        "GATEWAY_PASS_THROUGH_AUTH",
        "pass_through_auth",
        _boolean,
        (
            "callers send their own HubSpot token (`Authorization: Bearer`), used "
            "upstream and as their tenant; all tenants together stay within "
            "`GATEWAY_UPSTREAM_RATE_LIMIT`"
        ),
    ),
    Variable(
        "GATEWAY_MAX_TENANTS",
        "max_tenants",
        _positive_int,
        (
            "pass-through tenants whose parts (client view, budget, service) each process "
            "keeps; past it the least recently seen is dropped and rebuilt if it returns"
        ),
    ),
    Variable(
        "GATEWAY_PUBLIC_URL",
        "public_url",
        _public_url,
        (
            "the gateway's absolute `http(s)` address as clients reach it, for "
            "`paging.next.link` and the `Host` `/mcp` accepts besides loopback; unset: links "
            "are relative (the request's `Host` is never echoed)"
        ),
    ),
    Variable(
        "GATEWAY_HOLD_TTL",
        "hold_ttl",
        _hold_ttl,
        "seconds a slot hold (`holdSlot`) excludes others from its slot; more than 0, at most 1800",
    ),
    Variable(
        "GATEWAY_HOLD_MAX_RENEWALS",
        "hold_max_renewals",
        _non_negative_int,
        "times `renewHold` may extend a hold to a full TTL again",
    ),
    Variable(
        "GATEWAY_MAX_STREAMS",
        "max_streams",
        _positive_int,
        "open `availabilityChanged` streams one process serves; past it a subscription is refused",
    ),
    Variable(
        "GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        "max_subscriptions_per_connection",
        _positive_int,
        "operations one WebSocket connection may run at once",
    ),
    Variable(
        "GATEWAY_SUBSCRIPTION_MAX_DAYS",
        "subscription_max_days",
        _positive_int,
        "the longest range (`from` to `to`, days) one `availabilityChanged` may watch",
    ),
    Variable(
        "GATEWAY_STREAM_QUEUE",
        "stream_queue",
        _positive_int,
        "changes a stream may have unsent; a client that falls further behind is dropped",
    ),
    Variable(
        "GATEWAY_STREAM_HEARTBEAT",
        "stream_heartbeat",
        _positive_float,
        "seconds between heartbeats on open streams (an SSE comment, a WebSocket `ping`)",
    ),
    Variable(
        "HUBSPOT_CLIENT_SECRET",
        "hubspot_client_secret",
        str,
        "the HubSpot app's client secret, which signs its webhooks; unset: "
        "`/webhooks/hubspot` answers 404",
        secret=True,
    ),
)
