"""Who may call the public surface (``/graphql``, the REST API and ``/mcp``).

    access = Access(settings)                  # API keys and/or pass-through tokens
    access.admit(scope)                        # a Caller, or the Refusal to answer

The edge asks it before anything reads the body (``gateway.edge.body``), so a refused request
costs no more than its headers.

API keys (``GATEWAY_API_KEYS``): a request must carry a configured key in ``X-API-Key`` or
``Authorization: ApiKey <key>``, else 401; each key has its own requests per minute (a token
bucket in this process), past which it gets 429 with ``Retry-After``. Keys are compared in
constant time; only the key's name is ever logged.

Pass-through (``GATEWAY_PASS_THROUGH_AUTH``): a request must carry the caller's own HubSpot
token as ``Authorization: Bearer <token>``, else 401; the token is sent upstream instead of
the gateway's, and its tenant (``tenant_id(token)``) scopes every cache entry, single flight,
cached response, idempotency record and rate budget of the request. The token is kept in the
request's scope for the app alone and never logged.

What passed is in ``scope["state"]["caller"]`` (a ``Caller``). Health, metrics and the
OpenAPI document stay open.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import Scope

from gateway.cache.keys import tenant_id
from gateway.edge.body import header_of
from gateway.edge.refusal import GRAPHQL_PATH, Refusal
from gateway.settings import ApiKey, Settings

log = logging.getLogger("gateway.access")

PROTECTED = (GRAPHQL_PATH, "/scheduler/", "/mcp")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the API key's name, and in pass-through mode the upstream token."""

    key_name: str | None = None
    token: str | None = field(default=None, repr=False)

    @property
    def tenant(self) -> str | None:
        return None if self.token is None else tenant_id(self.token)


# Who calls when neither API keys nor pass-through tokens are asked for.
NOBODY = Caller()


def caller_of(scope: Scope) -> Caller:
    found = scope.get("state", {}).get("caller")
    return found if isinstance(found, Caller) else NOBODY


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to that many."""

    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self._timer = timer
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, when)

    def admit(self, key: ApiKey) -> float:
        """0 when the request may go, else the seconds until it could."""
        now = self._timer()
        rate = key.per_minute / 60.0
        tokens, then = self._buckets.get(key.name, (float(key.per_minute), now))
        tokens = min(float(key.per_minute), tokens + (now - then) * rate)
        if tokens >= 1:
            self._buckets[key.name] = (tokens - 1, now)
            return 0.0
        self._buckets[key.name] = (tokens, now)
        return (1 - tokens) / rate


def _authorization(scope: Scope, scheme: str) -> str | None:
    given = header_of(scope, b"authorization")
    if given is None:
        return None
    word, _, credential = given.strip().partition(" ")
    credential = credential.strip()
    return credential if word.lower() == scheme.lower() and credential else None


def find_key(keys: tuple[ApiKey, ...], given: str | None) -> ApiKey | None:
    """The key ``given`` matches, comparing with every key in constant time."""
    found = None
    candidate = (given or "").encode()
    for key in keys:
        if hmac.compare_digest(key.key.encode(), candidate) and given is not None:
            found = key
    return found


class Access:
    """See the module docstring."""

    def __init__(self, settings: Settings, *, limiter: RateLimiter | None = None) -> None:
        self.keys = settings.api_keys
        self.pass_through = settings.pass_through_auth
        self.limiter = limiter or RateLimiter()

    def admit(self, scope: Scope) -> Refusal | None:
        """None when the request may go on (who calls is then in the scope), else its refusal."""
        if not scope["path"].startswith(PROTECTED):
            return None
        key_name = None
        if self.keys:
            given = header_of(scope, b"x-api-key") or _authorization(scope, "ApiKey")
            key = find_key(self.keys, given)
            if key is None:
                log.info("refused a request without a valid API key")
                return Refusal(
                    401,
                    "UNAUTHENTICATED",
                    "a valid API key is required (X-API-Key)",
                    {"WWW-Authenticate": "ApiKey"},
                )
            wait = self.limiter.admit(key)
            if wait > 0:
                log.info("API key %s is over its rate of %d a minute", key.name, key.per_minute)
                return Refusal(
                    429,
                    "RATE_LIMITED",
                    f"the rate of {key.per_minute} requests a minute is spent; retry later",
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                )
            key_name = key.name
        token = None
        if self.pass_through:
            token = _authorization(scope, "Bearer")
            if token is None:
                return Refusal(
                    401,
                    "UNAUTHENTICATED",
                    "a HubSpot access token is required (Authorization: Bearer ...)",
                    {"WWW-Authenticate": "Bearer"},
                )
        caller = NOBODY if key_name is None and token is None else Caller(key_name, token)
        scope.setdefault("state", {})["caller"] = caller
        return None
