"""The sandbox's Starlette app: HubSpot's four Meetings operations, at every API version's
paths, plus test controls."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.sandbox.booking import book, read_booking
from gateway.sandbox.config import (
    SandboxConfig,
    check_error_rate,
    check_latency,
    check_rate_limit,
)
from gateway.sandbox.engine import month_page, zone_names
from gateway.sandbox.errors import (
    OBJECT_NOT_FOUND,
    VALIDATION_ERROR,
    Detail,
    SandboxError,
    error_body,
    invalid,
    slug_not_found,
)
from gateway.sandbox.fixtures import LINK_TYPES, Link, load_fixtures
from gateway.sandbox.payloads import (
    link_availability,
    link_metadata,
    link_settings,
    user_busy_times,
)
from gateway.sandbox.store import Store
from gateway.sandbox.webhooks import Webhooks

# HubSpot's scheduler API versions, each serving the same operations and schemas under
# /scheduler/{version}/meetings. The sandbox's own copy: it imports nothing of the gateway.
API_VERSIONS = ("v3", "2026-03", "2026-09")
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
WRITE_SCOPES = ("meetings-write", "crm.objects.contacts.write", "crm.objects.appointments.write")
SERVER_ERRORS = (500, 502, 503, 504)
_DIGITS = re.compile(r"[0-9]{1,9}")

Handler = Callable[[Request], Awaitable[Any]]


def create_sandbox_app(config: SandboxConfig) -> Starlette:
    """A fresh sandbox with its own state; fails with ``FixtureError`` on a bad fixtures file."""
    store = Store(load_fixtures(config.fixtures_path), config)
    api = _Api(store, Webhooks(config.webhook_url, config.client_secret))
    routes = [route for version in API_VERSIONS for route in _api_routes(api, version)]
    routes += [
        Route("/_sandbox/calls", api.calls, methods=["GET"]),
        Route("/_sandbox/reset", api.reset, methods=["POST"]),
        Route("/_sandbox/faults", api.faults, methods=["PUT"]),
        Route("/_sandbox/clock", api.clock, methods=["PUT"]),
        Route("/_sandbox/tokens", api.tokens, methods=["PUT"]),
        Route("/_sandbox/webhooks", api.webhook_counts, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    app.state.webhooks = api.webhooks
    return app


def _api_routes(api: _Api, version: str) -> list[Route]:
    root = f"/scheduler/{version}/meetings"
    return [
        Route(
            f"{root}/meeting-links", api.operation("list_links", api.list_links), methods=["GET"]
        ),
        Route(f"{root}/meeting-links/book", api.operation("book", api.book), methods=["POST"]),
        # Before book/{slug}: a slug may hold "/", so "availability-page/x" would match there too.
        Route(
            f"{root}/meeting-links/book/availability-page/{{slug:path}}",
            api.operation("availability", api.availability),
            methods=["GET"],
        ),
        Route(
            f"{root}/meeting-links/book/{{slug:path}}",
            api.operation("booking_info", api.booking_info),
            methods=["GET"],
        ),
    ]


class _Api:
    def __init__(self, store: Store, webhooks: Webhooks) -> None:
        self.store = store
        self.webhooks = webhooks

    def operation(self, name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a HubSpot operation in what every call goes through: count, faults, auth."""

        async def endpoint(request: Request) -> Response:
            store = self.store
            store.calls[name] += 1
            faults = store.faults
            if faults.latency_ms > 0:
                await asyncio.sleep(faults.latency_ms / 1000)
            headers: dict[str, str] = {}
            try:
                if faults.rate_limit is not None:
                    decision = store.rate_window.admit(faults.rate_limit)
                    headers.update(decision.headers())
                    if not decision.allowed:
                        return _rate_limited(decision.retry_after_seconds, headers)
                self.authorize(request, write=name == "book")
                if faults.error_rate > 0 and store.random.random() < faults.error_rate:
                    status = store.random.choice(SERVER_ERRORS)
                    raise SandboxError(
                        status,
                        "The sandbox injected a server error (SANDBOX_ERROR_RATE).",
                        "INTERNAL_ERROR",
                    )
                response: Response = JSONResponse(await handler(request))
            except SandboxError as error:
                response = JSONResponse(error.body(), error.status, headers=dict(error.headers))
            response.headers.update(headers)
            return response

        return endpoint

    def authorize(self, request: Request, *, write: bool) -> None:
        config = self.store.config
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        revoked = token in self.store.revoked
        if revoked or (
            config.valid_tokens and token not in config.valid_tokens | config.read_only_tokens
        ):
            message = (
                "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                "and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview"
                if not token
                else "The access token provided is not valid."
            )
            raise SandboxError(401, message, "INVALID_AUTHENTICATION")
        if write and token in config.read_only_tokens:
            message = "One or more of the following scopes are required."
            raise SandboxError(
                403,
                message,
                "MISSING_SCOPES",
                details=[Detail(message, context={"requiredGranularScopes": WRITE_SCOPES})],
            )

    async def list_links(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        limit = _integer(query.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _cursor(query.get("after"))
        link_type = query.get("type")
        if link_type is not None and link_type not in LINK_TYPES:
            raise invalid(f"type must be one of {', '.join(LINK_TYPES)}.", "type", "INVALID_ENUM")
        name = query.get("name")
        organizer = query.get("organizerUserId")
        matching = [
            link
            for link in self.store.fixtures.links
            if (link_type is None or link.type == link_type)
            and (organizer is None or link.organizer_user_id == organizer)
            and (name is None or name.casefold() in link.name.casefold())
        ]
        page = matching[offset : offset + limit]
        base_url = self.store.fixtures.link_base_url
        body: dict[str, Any] = {
            "total": len(matching),
            "results": [link_metadata(link, base_url) for link in page],
        }
        if offset + limit < len(matching):
            after = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
            params = {key: value for key, value in query.items() if key != "after"}
            params["after"] = after
            link = f"{str(request.base_url).rstrip('/')}{request.url.path}?{urlencode(params)}"
            body["paging"] = {"next": {"after": after, "link": link}}
        return body

    async def booking_info(self, request: Request) -> dict[str, Any]:
        zone = _zone(request.query_params.get("timezone"))
        month_offset = _integer(request.query_params.get("monthOffset"), "monthOffset", 0, 0)
        link = self._link(request.path_params["slug"])
        store = self.store
        members = store.members(link)
        page, busy = self._page(link, zone, month_offset)
        return {
            "linkId": link.id,
            "linkType": link.type,
            "isOffline": members[0].is_offline,
            "customParams": link_settings(link, members[0]),
            "allUsersBusyTimes": busy,
            "linkAvailability": page,
            "brandingMetadata": dict(link.branding),
        }

    async def availability(self, request: Request) -> dict[str, Any]:
        zone = _zone(request.query_params.get("timezone"))
        month_offset = _integer(request.query_params.get("monthOffset"), "monthOffset", 0, 0)
        link = self._link(request.path_params["slug"])
        page, busy = self._page(link, zone, month_offset)
        return {"allUsersBusyTimes": busy, "linkAvailability": page}

    async def book(self, request: Request) -> dict[str, Any]:
        booking = read_booking(
            await request.body(), request.query_params.get("timezone"), self.store
        )
        confirmation = await book(self.store, booking)
        self.webhooks.meeting_created(self.store.now_ms())
        return confirmation

    async def webhook_counts(self, request: Request) -> Response:
        return JSONResponse(self.webhooks.counts.wire())

    async def calls(self, request: Request) -> Response:
        return JSONResponse(self.store.calls)

    async def reset(self, request: Request) -> Response:
        self.store.reset()
        return JSONResponse({"status": "reset"})

    async def faults(self, request: Request) -> Response:
        try:
            changes = await _json_object(request)
            faults = self.store.faults
            if "latencyMs" in changes:
                latency = changes["latencyMs"]
                if not _is_number(latency):
                    raise ValueError("latencyMs: expected a number of milliseconds")
                check_latency(latency, "latencyMs")
                faults.latency_ms = float(latency)
            if "errorRate" in changes:
                rate = changes["errorRate"]
                if not _is_number(rate):
                    raise ValueError("errorRate: expected a number between 0 and 1")
                check_error_rate(rate, "errorRate")
                faults.error_rate = float(rate)
            if "rateLimit" in changes:
                limit = changes["rateLimit"]
                if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
                    raise ValueError("rateLimit: expected a whole number of calls or null")
                check_rate_limit(limit, "rateLimit")
                faults.rate_limit = limit
                self.store.rate_window.clear()
        except ValueError as error:
            return _control_error(str(error))
        return JSONResponse(
            {
                "latencyMs": faults.latency_ms,
                "errorRate": faults.error_rate,
                "rateLimit": faults.rate_limit,
            }
        )

    async def clock(self, request: Request) -> Response:
        try:
            changes = await _json_object(request)
            value = changes.get("now")
            if value is None:
                self.store.frozen_now = None
            else:
                if not isinstance(value, str):
                    raise ValueError("now: expected an ISO-8601 instant with an offset, or null")
                instant = datetime.fromisoformat(value)
                if instant.utcoffset() is None:
                    raise ValueError("now: expected an ISO-8601 instant with an offset, or null")
                self.store.frozen_now = instant
        except ValueError as error:
            return _control_error(str(error))
        frozen = self.store.frozen_now
        return JSONResponse({"now": frozen.isoformat() if frozen is not None else None})

    async def tokens(self, request: Request) -> Response:
        try:
            changes = await _json_object(request)
            revoked = changes.get("revoked")
            if not isinstance(revoked, list) or not all(isinstance(t, str) for t in revoked):
                raise ValueError("revoked: expected a list of tokens")
        except ValueError as error:
            return _control_error(str(error))
        self.store.revoked = frozenset(revoked)
        return JSONResponse({"revoked": len(self.store.revoked)})

    def _link(self, slug: str) -> Link:
        link = self.store.link(slug)
        if link is None:
            raise slug_not_found(slug)
        return link

    def _page(
        self, link: Link, zone: ZoneInfo, month_offset: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        store = self.store
        now_ms = store.now_ms()
        page = month_page(link.rules, store.calendars(link, now_ms), zone, now_ms, month_offset)
        busy = [
            user_busy_times(member, store.busy_times(member, now_ms), page.start_ms, page.end_ms)
            for member in store.members(link)
        ]
        return link_availability(page), busy


def _zone(value: str | None) -> ZoneInfo:
    if value is None or value == "":
        raise invalid("timezone is required.", "timezone", "REQUIRED")
    if value not in zone_names():
        raise invalid(f"{value!r} is not a known IANA time zone.", "timezone", "INVALID_TIME_ZONE")
    return ZoneInfo(value)


def _integer(
    value: str | None, name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    if value is None:
        return default
    if _DIGITS.fullmatch(value) is None or int(value) < minimum:
        problem = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
        raise invalid(f"{name} must be an integer, {problem}.", name, "INVALID_INTEGER")
    number = int(value)
    if maximum is not None and number > maximum:
        raise invalid(
            f"{name} must be an integer, {minimum} to {maximum}.", name, "INVALID_INTEGER"
        )
    return number


def _cursor(value: str | None) -> int:
    if value is None:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(value.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        decoded = ""
    if _DIGITS.fullmatch(decoded) is None:
        raise invalid("after is not a valid paging cursor.", "after", "INVALID_CURSOR")
    return int(decoded)


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise ValueError("expected a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _control_error(message: str) -> Response:
    return JSONResponse(error_body(message, VALIDATION_ERROR), 400)


def _rate_limited(retry_after: int, headers: dict[str, str]) -> Response:
    body = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": "TEN_SECONDLY_ROLLING",
        # Not in HubSpot's quoted 429 body, but the spec's Error schema requires it.
        "category": "RATE_LIMITS",
    }
    return JSONResponse(body, 429, headers={**headers, "Retry-After": str(retry_after)})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message, category = (
            f"No route matches {request.method} {request.url.path}",
            OBJECT_NOT_FOUND,
        )
    elif exc.status_code == 405:
        message, category = f"{request.method} is not allowed here", "METHOD_NOT_ALLOWED"
    else:
        message, category = str(exc.detail), VALIDATION_ERROR
    return JSONResponse(error_body(message, category), exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(error_body("internal error", "INTERNAL_ERROR"), 500)
