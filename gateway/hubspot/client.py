"""HubSpotClient: typed calls to the four Meetings v3 endpoints over one shared httpx client.

The ``httpx.AsyncClient`` is made once by the app's lifespan (base URL, bearer token, timeouts,
or an ASGI transport onto the embedded sandbox) and injected here; this module only speaks the
protocol: paths, parameters, payload parsing and the mapping of HubSpot's errors onto the
``GatewayError`` tree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import quote

import httpx

from gateway.errors import (
    UpstreamAuthError,
    UpstreamContractError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from gateway.hubspot.models import (
    AvailabilityPage,
    BookingInfo,
    BookingRequest,
    BookingResponse,
    LinksPage,
    LinkType,
)
from gateway.settings import Settings

T = TypeVar("T")

LINKS_PATH = "/scheduler/v3/meetings/meeting-links"
BOOKING_INFO_PATH = "/scheduler/v3/meetings/meeting-links/book/{slug}"
AVAILABILITY_PATH = "/scheduler/v3/meetings/meeting-links/book/availability-page/{slug}"
BOOK_PATH = "/scheduler/v3/meetings/meeting-links/book"


def build_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one long-lived upstream client: real HubSpot, or ``transport`` (the sandbox)."""
    headers = {"Accept": "application/json", "User-Agent": "meetings-gateway"}
    if settings.hubspot_access_token:
        headers["Authorization"] = f"Bearer {settings.hubspot_access_token}"
    return httpx.AsyncClient(
        base_url=settings.hubspot_base_url if transport is None else "http://sandbox.invalid",
        headers=headers,
        transport=transport,
        timeout=httpx.Timeout(
            settings.upstream_read_timeout, connect=settings.upstream_connect_timeout
        ),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )


def slug_path(template: str, slug: str) -> str:
    # Team slugs hold "/", which must travel as %2F inside one path segment.
    return template.format(slug=quote(slug, safe=""))


class HubSpotClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def list_links(
        self,
        *,
        limit: int,
        after: str | None = None,
        name: str | None = None,
        organizer_user_id: str | None = None,
        link_type: LinkType | None = None,
    ) -> LinksPage:
        params = {
            "limit": str(limit),
            "after": after,
            "name": name,
            "organizerUserId": organizer_user_id,
            "type": link_type.value if link_type else None,
        }
        return await self._get(LINKS_PATH, params, LinksPage.parse)

    async def booking_info(self, slug: str, timezone: str) -> BookingInfo:
        path = slug_path(BOOKING_INFO_PATH, slug)
        return await self._get(path, {"timezone": timezone}, BookingInfo.parse)

    async def availability_page(
        self, slug: str, timezone: str, month_offset: int
    ) -> AvailabilityPage:
        path = slug_path(AVAILABILITY_PATH, slug)
        params = {"timezone": timezone, "monthOffset": str(month_offset)}
        return await self._get(path, params, AvailabilityPage.parse)

    async def book(self, request: BookingRequest) -> BookingResponse:
        try:
            response = await self._http.post(
                BOOK_PATH, params={"timezone": request.timezone}, json=request.to_wire()
            )
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc
        return _parse(response, BookingResponse.parse)

    async def _get(
        self, path: str, params: Mapping[str, str | None], parse: Callable[[object], T]
    ) -> T:
        query = {key: value for key, value in params.items() if value is not None}
        try:
            response = await self._http.get(path, params=query)
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc
        return _parse(response, parse)


def _transport_error(exc: httpx.HTTPError) -> UpstreamUnavailable:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
    return UpstreamUnavailable(f"HubSpot {kind}: {type(exc).__name__}")


def _parse(response: httpx.Response, parse: Callable[[object], T]) -> T:
    if response.status_code != 200:
        raise upstream_error(response)
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UpstreamContractError("upstream answered 200 with a body that is not JSON") from exc
    return parse(payload)


def upstream_error(response: httpx.Response) -> UpstreamError:
    """Map a non-200 HubSpot answer onto the error tree, keeping HubSpot's own words."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors")
    if not isinstance(errors, list):
        errors = []
    codes = tuple(
        str(item["code"]) for item in errors if isinstance(item, dict) and item.get("code")
    )
    status = response.status_code
    kind = _ERROR_BY_STATUS.get(status, UpstreamUnavailable if status >= 500 else UpstreamError)
    return kind(
        str(body.get("message") or f"HubSpot answered {status}"),
        status=status,
        category=_opt_str(body.get("category") or body.get("errorType")),
        sub_category=_opt_str(body.get("subCategory")),
        correlation_id=_opt_str(body.get("correlationId")),
        retry_after=retry_after(response),
        codes=codes,
    )


_ERROR_BY_STATUS: dict[int, type[UpstreamError]] = {
    400: UpstreamValidationError,
    401: UpstreamAuthError,
    403: UpstreamForbidden,
    404: UpstreamNotFound,
    429: UpstreamRateLimited,
}


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: ``Retry-After``, else HubSpot's rate-limit interval when it is spent."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            return None
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if interval and response.headers.get("X-HubSpot-RateLimit-Remaining") == "0":
        try:
            return int(interval) / 1000
        except ValueError:
            return None
    return None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
