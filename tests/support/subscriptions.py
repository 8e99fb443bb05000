"""What the subscription tests share: the shipped documents they run, the watched range, and
plain GraphQL over loopback beside the streams."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.harness import operation
from tests.support.loopback import Live

SUBSCRIBE = operation("AvailabilityChanged")
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
SLUG = "mel-nelson"
WATCHED = {"slug": SLUG, "timeZone": "UTC", "to": "2026-03-03T14:00:00Z", "durationMinutes": 30}
KEY = "browser-page-key-0001"


async def calls(live: Live) -> dict[str, int]:
    sandbox = httpx.ASGITransport(app=live.app.state.sandbox)
    async with httpx.AsyncClient(transport=sandbox, base_url="http://sandbox") as http:
        found: dict[str, int] = (await http.get("/_sandbox/calls")).json()
        return found


async def graphql(
    live: Live, document: str, variables: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as http:
        response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def first_start(live: Live, headers: dict[str, str] | None = None) -> str:
    data = await graphql(live, AVAILABILITY, WATCHED, headers)
    return str(data["meetingLink"]["availability"]["slots"][0]["start"])


def error_code(payload: dict[str, Any]) -> str:
    assert payload.get("data") is None, payload
    return str(payload["errors"][0]["extensions"]["code"])
