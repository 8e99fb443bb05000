"""Who may call the public surface (``/graphql`` and the REST API), and with how big a body.

    Middleware(Access, settings=settings)      # API keys and/or pass-through tokens
    Middleware(BodyLimit, maximum=65536)       # 413 past GATEWAY_MAX_BODY_BYTES

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
import json
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.cache.keys import tenant_id
from gateway.settings import ApiKey, Settings

log = logging.getLogger("gateway.access")

GRAPHQL_PATH = "/graphql"
PROTECTED = (GRAPHQL_PATH, "/scheduler/")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the API key's name, and in pass-through mode the upstream token."""

    key_name: str | None = None
    token: str | None = field(default=None, repr=False)

    @property
    def tenant(self) -> str | None:
        return None if self.token is None else tenant_id(self.token)


def caller_of(scope: Scope) -> Caller:
    found = scope.get("state", {}).get("caller")
    return found if isinstance(found, Caller) else Caller()


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


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _authorization(scope: Scope, scheme: str) -> str | None:
    given = _header(scope, b"authorization")
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


async def refuse(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    """A refusal in the shape of the surface asked: GraphQL errors, or HubSpot's error body."""
    if scope["path"] == GRAPHQL_PATH:
        body: dict[str, object] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    else:
        body = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": code,
        }
    raw = json.dumps(body).encode()
    pairs = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": pairs})
    await send({"type": "http.response.body", "body": raw})


class Access:
    """Pure ASGI middleware: see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self.keys = settings.api_keys
        self.pass_through = settings.pass_through_auth
        self.limiter = limiter or RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED):
            await self.app(scope, receive, send)
            return
        key_name = None
        if self.keys:
            given = _header(scope, b"x-api-key") or _authorization(scope, "ApiKey")
            key = find_key(self.keys, given)
            if key is None:
                log.info("refused a request without a valid API key")
                await refuse(
                    scope,
                    send,
                    401,
                    "UNAUTHENTICATED",
                    "a valid API key is required (X-API-Key)",
                    {"WWW-Authenticate": "ApiKey"},
                )
                return
            wait = self.limiter.admit(key)
            if wait > 0:
                log.info("API key %s is over its rate of %d a minute", key.name, key.per_minute)
                await refuse(
                    scope,
                    send,
                    429,
                    "RATE_LIMITED",
                    f"the rate of {key.per_minute} requests a minute is spent; retry later",
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                )
                return
            key_name = key.name
        token = None
        if self.pass_through:
            token = _authorization(scope, "Bearer")
            if token is None:
                await refuse(
                    scope,
                    send,
                    401,
                    "UNAUTHENTICATED",
                    "a HubSpot access token is required (Authorization: Bearer ...)",
                    {"WWW-Authenticate": "Bearer"},
                )
                return
        scope.setdefault("state", {})["caller"] = Caller(key_name, token)
        await self.app(scope, receive, send)


class BodyLimit:
    """Pure ASGI middleware: a POST body past ``maximum`` bytes gets 413 before anything reads
    it, by its ``Content-Length`` or by the bytes actually received (chunked bodies)."""

    def __init__(self, app: ASGIApp, *, maximum: int) -> None:
        self.app = app
        self.maximum = maximum

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.maximum):
            await self._too_large(scope, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.maximum:
                await self._too_large(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await refuse(
            scope,
            send,
            413,
            "REQUEST_TOO_LARGE",
            f"the request body is over {self.maximum} bytes",
        )
