"""REST reads: HubSpot's bodies from the gateway's cache, HTTP caching, and refused input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.hubspot_spec import assert_matches
from tests.rest.api import LINKS, assert_refused, availability_path, booking_info_path
from tests.support.harness import Gateway, running_gateway

TEAM_SLUG = "acme-team/ai-booked-call"


async def test_link_pages_keep_hubspots_contract_and_cursor(gateway: Gateway) -> None:
    first = await gateway.http.get(LINKS, params={"limit": 4})
    assert first.status_code == 200, first.text
    page = first.json()
    assert_matches("CollectionResponseWithTotalExternalLinkMetadata", page)
    assert len(page["results"]) == 4
    after = page["paging"]["next"]["after"]
    second = (await gateway.http.get(LINKS, params={"limit": 4, "after": after})).json()
    assert_matches("CollectionResponseWithTotalExternalLinkMetadata", second)
    assert second["total"] == page["total"]
    assert {r["id"] for r in page["results"]}.isdisjoint(r["id"] for r in second["results"])

    unpaged = await gateway.http.get(LINKS, params={"limit": 4, "after": ""})
    assert unpaged.json() == page

    # The next link leads back through the gateway, to the same second page.
    link = page["paging"]["next"]["link"]
    assert link.startswith(f"{LINKS}?")
    assert (await gateway.http.get(link)).json() == second

    robins = await gateway.http.get(LINKS, params={"type": "ROUND_ROBIN_CALENDAR", "limit": 100})
    assert robins.status_code == 200
    assert robins.json()["results"]
    assert {r["type"] for r in robins.json()["results"]} == {"ROUND_ROBIN_CALENDAR"}


async def test_the_next_link_never_echoes_the_requests_host() -> None:
    forged = {"Host": "attacker.example"}
    async with running_gateway() as gateway:
        page = (await gateway.http.get(LINKS, params={"limit": 4}, headers=forged)).json()
        link = page["paging"]["next"]["link"]
        assert "attacker" not in link
        assert link.startswith(f"{LINKS}?limit=4&after=")
    public = "https://meetings.example.com/gw"
    async with running_gateway({"GATEWAY_PUBLIC_URL": f"{public}/"}) as gateway:
        page = (await gateway.http.get(LINKS, params={"limit": 4}, headers=forged)).json()
        link = page["paging"]["next"]["link"]
        assert link.startswith(f"{public}{LINKS}?limit=4&after=")


async def test_booking_info_and_month_pages_are_hubspots_json(gateway: Gateway) -> None:
    """What the gateway answers is what HubSpot (the sandbox) answered, byte for byte as JSON."""
    params = {"timezone": "Europe/Berlin"}
    info = await gateway.http.get(booking_info_path(TEAM_SLUG), params=params)
    assert info.status_code == 200, info.text
    assert_matches("ExternalBookingInfo", info.json())
    upstream = await gateway.sandbox.get(booking_info_path(TEAM_SLUG), params=params)
    assert info.json() == upstream.json()

    for offset in (0, 1):
        query = {**params, "monthOffset": offset}
        page = await gateway.http.get(availability_path(TEAM_SLUG), params=query)
        assert page.status_code == 200, page.text
        assert_matches("ExternalLinkAvailabilityAndBusyTimes", page.json())
        direct = await gateway.sandbox.get(availability_path(TEAM_SLUG), params=query)
        assert page.json() == direct.json()
    # The monthOffset reaches the upstream: April's page is not March's.
    march, april = [
        (
            await gateway.http.get(
                availability_path(TEAM_SLUG), params={**params, "monthOffset": n}
            )
        ).json()["linkAvailability"]
        for n in (0, 1)
    ]
    assert march != april


async def test_reads_are_served_from_the_cache(gateway: Gateway) -> None:
    path = booking_info_path("mel-nelson")
    await gateway.http.get(path, params={"timezone": "Asia/Kolkata"})
    before = await gateway.calls()
    again = await gateway.http.get(path, params={"timezone": "Asia/Kolkata"})
    assert again.status_code == 200
    assert await gateway.calls() == before
    # Another zone is another upstream question.
    await gateway.http.get(path, params={"timezone": "America/New_York"})
    assert (await gateway.calls())["booking_info"] == before["booking_info"] + 1


@pytest.mark.parametrize(
    ("path", "params", "max_age"),
    [
        (LINKS, {}, "41"),
        (booking_info_path("priya-raman"), {"timezone": "UTC"}, "42"),
        (availability_path("priya-raman"), {"timezone": "UTC"}, "43"),
    ],
)
async def test_cache_control_etag_and_304(path: str, params: dict[str, str], max_age: str) -> None:
    ttls = {"GATEWAY_LINKS_TTL": "41", "GATEWAY_BOOKING_INFO_TTL": "42"}
    async with running_gateway({**ttls, "GATEWAY_AVAILABILITY_TTL": "43"}) as gateway:
        first = await gateway.http.get(path, params=params)
        assert first.status_code == 200, first.text
        assert first.headers["Cache-Control"] == f"private, max-age={max_age}"
        tag = first.headers["ETag"]
        assert tag.startswith('"')
        assert tag.endswith('"')
        before = await gateway.calls()
        for given in (tag, f'"other", {tag}', f"W/{tag}", "*"):
            cached = await gateway.http.get(path, params=params, headers={"If-None-Match": given})
            assert cached.status_code == 304, given
            assert cached.content == b""
            assert cached.headers["ETag"] == tag
            assert cached.headers["Cache-Control"] == f"private, max-age={max_age}"
        assert await gateway.calls() == before
        changed = await gateway.http.get(path, params=params, headers={"If-None-Match": '"x"'})
        assert changed.status_code == 200
        assert changed.content == first.content


async def test_a_booking_info_is_kept_downstream_no_longer_than_the_month_it_embeds() -> None:
    ttls = {"GATEWAY_BOOKING_INFO_TTL": "50", "GATEWAY_AVAILABILITY_TTL": "20"}
    async with running_gateway(ttls) as gateway:
        for path in (booking_info_path("priya-raman"), availability_path("priya-raman")):
            answer = await gateway.http.get(path, params={"timezone": "UTC"})
            assert answer.status_code == 200, answer.text
            assert answer.headers["Cache-Control"] == "private, max-age=20"


async def test_unknown_slugs_are_404(gateway: Gateway) -> None:
    for path in (booking_info_path("no/such-link"), availability_path("no-such-link")):
        response = await gateway.http.get(path, params={"timezone": "UTC"})
        body = assert_refused(response, 404, code="SLUG_NOT_FOUND", where="slug")
        assert body["message"] == "slug does not exist"


BAD_READS: list[tuple[str, dict[str, Any], str, str]] = [
    (booking_info_path("mel-nelson"), {}, "timezone", "REQUIRED"),
    (booking_info_path("mel-nelson"), {"timezone": ""}, "timezone", "REQUIRED"),
    (booking_info_path("mel-nelson"), {"timezone": "EST"}, "timezone", "INVALID_TIME_ZONE"),
    (booking_info_path("mel-nelson"), {"timezone": "+05:00"}, "timezone", "INVALID_TIME_ZONE"),
    (booking_info_path("mel-nelson"), {"timezone": "US/Eastern"}, "timezone", "INVALID_TIME_ZONE"),
    (
        booking_info_path("mel-nelson"),
        {"timezone": "Mars/Olympus"},
        "timezone",
        "INVALID_TIME_ZONE",
    ),
    (availability_path("mel-nelson"), {}, "timezone", "REQUIRED"),
    (availability_path("mel-nelson"), {"timezone": "Etc/GMT+5"}, "timezone", "INVALID_TIME_ZONE"),
    (
        availability_path("mel-nelson"),
        {"timezone": "UTC", "monthOffset": "-1"},
        "monthOffset",
        "INVALID_INTEGER",
    ),
    (
        availability_path("mel-nelson"),
        {"timezone": "UTC", "monthOffset": "one"},
        "monthOffset",
        "INVALID_INTEGER",
    ),
    (
        availability_path("mel-nelson"),
        {"timezone": "UTC", "monthOffset": "99999999999"},
        "monthOffset",
        "INVALID_INTEGER",
    ),
    (availability_path(""), {"timezone": "UTC"}, "slug", "REQUIRED"),
    (booking_info_path(""), {"timezone": "UTC"}, "slug", "REQUIRED"),
    (booking_info_path("x" * 2001), {"timezone": "UTC"}, "slug", "TOO_LONG"),
    (LINKS, {"limit": "0"}, "limit", "INVALID_INTEGER"),
    (LINKS, {"limit": "101"}, "limit", "INVALID_INTEGER"),
    (LINKS, {"limit": "ten"}, "limit", "INVALID_INTEGER"),
    (LINKS, {"limit": "1.5"}, "limit", "INVALID_INTEGER"),
    (LINKS, {"type": "TEAM"}, "type", "INVALID_ENUM"),
    (LINKS, {"name": "n" * 2001}, "name", "TOO_LONG"),
    (LINKS, {"after": "a" * 2001}, "after", "TOO_LONG"),
]


async def test_every_bad_read_is_a_400_and_costs_no_upstream_call(gateway: Gateway) -> None:
    before = await gateway.calls()
    for path, params, where, code in BAD_READS:
        response = await gateway.http.get(path, params=params)
        assert_refused(response, 400, code=code, where=where)
    assert await gateway.calls() == before


async def test_a_bad_cursor_is_hubspots_own_400(gateway: Gateway) -> None:
    # Cursors are HubSpot's and opaque, so only HubSpot can tell a bad one.
    response = await gateway.http.get(LINKS, params={"after": "not-a-cursor"})
    assert_refused(response, 400, code="INVALID_CURSOR")


async def test_a_rate_limited_read_is_429_with_retry_after(gateway: Gateway) -> None:
    await gateway.sandbox.put("/_sandbox/faults", json={"rateLimit": 1})
    await gateway.http.get(LINKS, params={"limit": 3})
    limited = await gateway.http.get(LINKS, params={"limit": 4})
    assert assert_refused(limited, 429)["category"] == "RATE_LIMITS"
    assert int(limited.headers["Retry-After"]) >= 1


async def test_an_unreachable_upstream_is_503(gateway: Gateway) -> None:
    await gateway.sandbox.put("/_sandbox/faults", json={"errorRate": 1})
    down = await gateway.http.get(booking_info_path("mel-nelson"), params={"timezone": "UTC"})
    assert assert_refused(down, 503)["category"] == "SERVICE_UNAVAILABLE"
