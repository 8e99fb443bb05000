"""A thin client for the sandbox's HubSpot API whose every answer is checked against the spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from tests.contract.hubspot_spec import assert_matches

API = "/scheduler/v3/meetings/meeting-links"
# A Tuesday, 08:00 in New York, 14:00 in Berlin, 18:30 in Kolkata.
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def path_slug(slug: str) -> str:
    """A slug as clients put it in a path: every "/" percent-encoded."""
    return quote(slug, safe="")


def booking(slug: str, start_ms: int, duration_ms: int, **fields: Any) -> dict[str, Any]:
    """An ``ExternalMeetingBooking`` with every required field; ``fields`` override."""
    body: dict[str, Any] = {
        "slug": slug,
        "firstName": "Alex",
        "lastName": "Morgan",
        "email": "alex.morgan@northwind.io",
        "startTime": start_ms,
        "duration": duration_ms,
        "formFields": [],
        "legalConsentResponses": [],
        "likelyAvailableUserIds": [],
        "timezone": "America/New_York",
    }
    body.update(fields)
    return body


class SandboxClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def list_links(self, **params: Any) -> httpx.Response:
        response = await self.http.get(API, params=params)
        return checked(response, "CollectionResponseWithTotalExternalLinkMetadata")

    async def booking_info(
        self, slug: str, timezone: str | None = "America/New_York", **params: Any
    ) -> httpx.Response:
        if timezone is not None:
            params["timezone"] = timezone
        response = await self.http.get(f"{API}/book/{path_slug(slug)}", params=params)
        return checked(response, "ExternalBookingInfo")

    async def availability(
        self, slug: str, timezone: str | None = "America/New_York", **params: Any
    ) -> httpx.Response:
        if timezone is not None:
            params["timezone"] = timezone
        response = await self.http.get(
            f"{API}/book/availability-page/{path_slug(slug)}", params=params
        )
        return checked(response, "ExternalLinkAvailabilityAndBusyTimes")

    async def starts(
        self, slug: str, duration_ms: int, timezone: str = "America/New_York", month_offset: int = 0
    ) -> list[int]:
        """The offered starts of one duration on one month page."""
        response = await self.availability(slug, timezone, monthOffset=month_offset)
        assert response.status_code == 200, response.text
        by_duration = response.json()["linkAvailability"]["linkAvailabilityByDuration"]
        return [slot["startMillisUtc"] for slot in by_duration[str(duration_ms)]["availabilities"]]

    async def book(self, body: Any, **params: Any) -> httpx.Response:
        if isinstance(body, bytes):
            response = await self.http.post(f"{API}/book", content=body, params=params)
        else:
            response = await self.http.post(f"{API}/book", json=body, params=params)
        return checked(response, "ExternalMeetingBookingResponse")

    async def calls(self) -> dict[str, int]:
        response = await self.http.get("/_sandbox/calls")
        assert response.status_code == 200
        calls: dict[str, int] = response.json()
        return calls


def checked(response: httpx.Response, schema: str) -> httpx.Response:
    """Assert the body matches ``schema`` on a 200 and HubSpot's ``Error`` otherwise."""
    if response.request.method == "HEAD":
        return response
    assert_matches(schema if response.status_code == 200 else "Error", response.json())
    return response


def assert_error(
    response: httpx.Response,
    status: int,
    category: str,
    *,
    sub_category: str | None = None,
    code: str | None = None,
    field: str | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """Assert a HubSpot error answer, down to the parts that are given."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert_matches("Error", body)
    assert body["status"] == "error"
    assert body["category"] == category, body
    if sub_category is not None:
        assert body.get("subCategory") == sub_category, body
    if message is not None:
        assert body["message"] == message
    if code is not None or field is not None:
        first = body["errors"][0]
        if code is not None:
            assert first.get("code") == code, body
        if field is not None:
            assert first.get("in") == field, body
    return body
