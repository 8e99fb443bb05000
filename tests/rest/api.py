"""The REST surface as a HubSpot client calls it, and the checks every answer gets."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from tests.contract.hubspot_spec import assert_matches
from tests.support.harness import Gateway

LINKS = "/scheduler/v3/meetings/meeting-links"
BOOK = f"{LINKS}/book"


def booking_info_path(slug: str) -> str:
    # As HubSpot's clients send it: a "/" inside the slug percent-encoded.
    return f"{BOOK}/{quote(slug, safe='')}"


def availability_path(slug: str) -> str:
    return f"{BOOK}/availability-page/{quote(slug, safe='')}"


def booking_body(slug: str, start: str | int, duration_ms: int, **fields: Any) -> dict[str, Any]:
    """An ``ExternalMeetingBooking`` with every required field; ``fields`` override."""
    return {
        "slug": slug,
        "firstName": "Alex",
        "lastName": "Morgan",
        "email": "alex.morgan@acme-corp.io",
        "startTime": start,
        "duration": duration_ms,
        "timezone": "Asia/Kolkata",
        "formFields": [],
        "legalConsentResponses": [],
        "likelyAvailableUserIds": [],
        **fields,
    }


def assert_refused(
    response: httpx.Response, status: int, *, code: str | None = None, where: str | None = None
) -> dict[str, Any]:
    """A HubSpot-style error answer; ``code``/``where`` must be among its ``errors[]``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert_matches("Error", body)
    assert body["status"] == "error"
    assert response.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    if status == 400:
        assert body["category"] == "VALIDATION_ERROR", body
    details = {(e.get("code"), e.get("in")) for e in body.get("errors", [])}
    if code is not None or where is not None:
        assert any(
            (code is None or c == code) and (where is None or w == where) for c, w in details
        ), body
    return body


SLOTS = """query ($slug: String!, $minutes: Int) { meetingLink(slug: $slug) {
  availability(timeZone: "UTC", durationMinutes: $minutes) { slots { start } } } }"""


async def graphql_starts(gateway: Gateway, slug: str, minutes: int) -> list[str]:
    """The offered starts, read over GraphQL in UTC (so they sort as strings)."""
    data = await gateway.data(SLOTS, {"slug": slug, "minutes": minutes})
    return sorted(slot["start"] for slot in data["meetingLink"]["availability"]["slots"])
