from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.engine import from_ms, to_ms
from tests.support.sandbox_client import API, NOW, SandboxClient, assert_error, checked

# Explicit, because tests/conftest.py marks async tests too late for parametrized ones.
pytestmark = pytest.mark.anyio

NEW_YORK = ZoneInfo("America/New_York")


async def test_paging_through_every_link_with_after(sandbox: SandboxClient) -> None:
    response = await sandbox.list_links(limit=7)
    seen: list[str] = []
    while True:
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 45
        seen += [link["slug"] for link in body["results"]]
        if "paging" not in body:
            break
        assert len(body["results"]) == 7
        after = body["paging"]["next"]["after"]
        following = checked(
            await sandbox.http.get(body["paging"]["next"]["link"]),
            "CollectionResponseWithTotalExternalLinkMetadata",
        )
        response = await sandbox.list_links(limit=7, after=after)
        assert following.json()["results"] == response.json()["results"]
    assert len(seen) == len(set(seen)) == 45
    assert seen[:3] == ["mel-nelson", "mel-nelson/holiday-window", "acme-team/ai-booked-call"]


async def test_default_limit_and_link_fields(sandbox: SandboxClient) -> None:
    body = (await sandbox.list_links()).json()
    assert len(body["results"]) == 10
    first = body["results"][0]
    assert first == {
        "id": "3779484",
        "slug": "mel-nelson",
        "link": "https://meetings.hubspot.com/mel-nelson",
        "name": "Meet with Mel",
        "type": "PERSONAL_LINK",
        "organizerUserId": "1234567",
        "userIdsOfLinkMembers": ["1234567"],
        "defaultLink": True,
        "createdAt": "2024-01-08T15:00:00Z",
        "updatedAt": "2025-06-02T12:30:00Z",
    }


async def test_filters_combine_and_total_counts_every_match(sandbox: SandboxClient) -> None:
    by_type = (await sandbox.list_links(type="GROUP_CALENDAR")).json()
    assert [link["slug"] for link in by_type["results"]] == ["acme-team/group-review"]
    by_name = (await sandbox.list_links(name="DEMO CALL 1", limit=3)).json()
    # "Demo call 1" and "Demo call 10" to "Demo call 19"
    assert by_name["total"] == 11
    assert len(by_name["results"]) == 3
    assert "paging" in by_name
    by_organizer = (await sandbox.list_links(organizerUserId="2345678", limit=100)).json()
    assert by_organizer["total"] == 2 + 9
    assert all(link["organizerUserId"] == "2345678" for link in by_organizer["results"])
    assert "paging" not in by_organizer
    nothing = (await sandbox.list_links(name="no such meeting")).json()
    assert nothing == {"total": 0, "results": []}


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"limit": "0"}, "limit", "INVALID_INTEGER"),
        ({"limit": "101"}, "limit", "INVALID_INTEGER"),
        ({"limit": "ten"}, "limit", "INVALID_INTEGER"),
        ({"limit": "-5"}, "limit", "INVALID_INTEGER"),
        ({"after": "not-a-cursor!"}, "after", "INVALID_CURSOR"),
        ({"after": "bm9wZQ=="}, "after", "INVALID_CURSOR"),
        ({"type": "TEAM"}, "type", "INVALID_ENUM"),
    ],
)
async def test_bad_list_parameters_are_400(
    sandbox: SandboxClient, query: dict[str, str], field: str, code: str
) -> None:
    response = await sandbox.list_links(**query)
    assert_error(response, 400, "VALIDATION_ERROR", code=code, field=field)


async def test_a_limit_of_100_is_allowed(sandbox: SandboxClient) -> None:
    body = (await sandbox.list_links(limit=100)).json()
    assert len(body["results"]) == 45


async def test_booking_info_describes_the_link(sandbox: SandboxClient) -> None:
    response = await sandbox.booking_info("acme-team/ai-booked-call", "Europe/Berlin")
    assert response.status_code == 200
    body = response.json()
    assert body["linkId"] == "3779501"
    assert body["linkType"] == "ROUND_ROBIN_CALENDAR"
    params = body["customParams"]
    assert params["durations"] == [1_800_000]
    assert params["meetingBufferTime"] == 600_000
    assert params["startTimeIncrementMinutes"] == "FIFTEEN"
    assert params["availability"]["MONDAY"] == {"start": 540, "end": 1020}
    assert [field["name"] for field in params["formFields"]] == [
        "firstname",
        "lastname",
        "email",
        "phone",
    ]
    members = [entry["meetingsUser"]["userId"] for entry in body["allUsersBusyTimes"]]
    assert members == ["1234567", "2345678", "3456789"]
    assert body["brandingMetadata"]["companyName"] == "Acme Sandbox"
    availability = await sandbox.availability("acme-team/ai-booked-call", "Europe/Berlin")
    assert body["linkAvailability"] == availability.json()["linkAvailability"]


async def test_consent_and_select_links_expose_their_settings(sandbox: SandboxClient) -> None:
    consent = (await sandbox.booking_info("lena-fischer/consent-call")).json()["customParams"]
    assert consent["legalConsentEnabled"] is True
    assert consent["legalConsentOptions"]["processingConsentType"] == "REQUIRED_CHECKBOX"
    demo = (await sandbox.booking_info("lena-fischer/product-demo")).json()["customParams"]
    select = demo["formFields"][3]
    assert (select["name"], select["fieldType"], select["isRequired"]) == (
        "company_size",
        "select",
        True,
    )
    assert [option["value"] for option in select["options"]] == ["1-10", "11-50", "51-200", "201+"]
    guests = (await sandbox.booking_info("priya-raman")).json()["customParams"]["guestSettings"]
    assert guests == {"canAddGuests": True, "maxGuestCount": 3}


async def test_availability_is_keyed_by_duration_in_ms(sandbox: SandboxClient) -> None:
    body = (await sandbox.availability("mel-nelson")).json()
    by_duration = body["linkAvailability"]["linkAvailabilityByDuration"]
    assert sorted(by_duration) == ["1800000", "3600000", "900000"]
    for key, entry in by_duration.items():
        assert entry["meetingDurationMillis"] == int(key)
        starts = [slot["startMillisUtc"] for slot in entry["availabilities"]]
        assert starts == sorted(set(starts))
        assert all(
            s["endMillisUtc"] - s["startMillisUtc"] == int(key) for s in entry["availabilities"]
        )
    first = from_ms(by_duration["1800000"]["availabilities"][0]["startMillisUtc"], NEW_YORK)
    # Tuesday 08:00 plus an hour's notice.
    assert first.isoformat() == "2026-11-24T09:00:00-05:00"
    mel = body["allUsersBusyTimes"][0]
    assert mel["meetingsUser"]["userProfile"]["fullName"] == "Mel Nelson"
    today_busy = (
        datetime(2026, 11, 24, 13, tzinfo=NEW_YORK),
        datetime(2026, 11, 24, 14, tzinfo=NEW_YORK),
    )
    assert {"start": to_ms(today_busy[0]), "end": to_ms(today_busy[1])} in mel["busyTimes"]


async def test_month_offsets_walk_calendar_months_of_the_requested_zone(
    sandbox: SandboxClient,
) -> None:
    pages = [await sandbox.availability("mel-nelson", monthOffset=n) for n in range(3)]
    bodies = [page.json()["linkAvailability"] for page in pages]
    starts = [
        [
            slot["startMillisUtc"]
            for slot in body["linkAvailabilityByDuration"]["900000"]["availabilities"]
        ]
        for body in bodies
    ]
    # Four weeks from 24 November reach 22 December.
    assert [{from_ms(start, NEW_YORK).month for start in page} for page in starts] == [
        {11},
        {12},
        set(),
    ]
    assert [body["hasMore"] for body in bodies] == [True, False, False]
    assert max(starts[1]) < to_ms(NOW) + 4 * 7 * 86_400_000
    assert from_ms(max(starts[1]), NEW_YORK).date().isoformat() == "2026-12-21"


async def test_month_pages_follow_the_requested_zone(sandbox: SandboxClient) -> None:
    # Monday 30 November, 07:00 in New York; in Kolkata December begins at 18:30 UTC.
    await sandbox.http.put("/_sandbox/clock", json={"now": "2026-11-30T12:00:00Z"})
    new_york = await sandbox.starts("mel-nelson", 1_800_000, "America/New_York")
    kolkata = await sandbox.starts("mel-nelson", 1_800_000, "Asia/Kolkata")
    kolkata_next = await sandbox.starts("mel-nelson", 1_800_000, "Asia/Kolkata", month_offset=1)
    december_kolkata = to_ms(datetime(2026, 11, 30, 18, 30, tzinfo=UTC))
    december_new_york = to_ms(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    assert from_ms(kolkata[0]).isoformat() == "2026-11-30T14:00:00+00:00"
    # Mel is busy 13:00-14:00 in New York, 18:00-19:00 UTC.
    assert from_ms(kolkata[-1]).isoformat() == "2026-11-30T17:30:00+00:00"
    assert from_ms(kolkata_next[0]).isoformat() == "2026-11-30T19:00:00+00:00"
    assert all(start < december_kolkata <= other for start in kolkata for other in kolkata_next)
    assert new_york == kolkata + [start for start in kolkata_next if start < december_new_york]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("", "timezone", "REQUIRED"),
        ("timezone=", "timezone", "REQUIRED"),
        ("timezone=Mars%2FOlympus", "timezone", "INVALID_TIME_ZONE"),
        ("timezone=%2B05%3A00", "timezone", "INVALID_TIME_ZONE"),
        ("timezone=America%2FNew_York&monthOffset=-1", "monthOffset", "INVALID_INTEGER"),
        ("timezone=America%2FNew_York&monthOffset=1.5", "monthOffset", "INVALID_INTEGER"),
        ("timezone=America%2FNew_York&monthOffset=soon", "monthOffset", "INVALID_INTEGER"),
    ],
)
@pytest.mark.parametrize("page", ["book/", "book/availability-page/"])
async def test_bad_time_zones_and_offsets_are_400(
    http: httpx.AsyncClient, page: str, query: str, field: str, code: str
) -> None:
    response = await http.get(f"{API}/{page}mel-nelson?{query}")
    assert_error(response, 400, "VALIDATION_ERROR", code=code, field=field)


@pytest.mark.parametrize("page", ["book/", "book/availability-page/"])
async def test_unknown_slugs_are_404(http: httpx.AsyncClient, page: str) -> None:
    response = await http.get(f"{API}/{page}NONEXISTENT_SLUG_XYZ_99999?timezone=UTC")
    assert_error(response, 404, "OBJECT_NOT_FOUND", message="slug does not exist")


@pytest.mark.parametrize(
    "path",
    [
        "book/acme-team%2Fai-booked-call",
        "book/acme-team/ai-booked-call",
        "book/availability-page/acme-team%2Fai-booked-call",
        "book/availability-page/acme-team/ai-booked-call",
    ],
)
async def test_slugs_with_a_slash_route_raw_or_encoded(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(f"{API}/{path}?timezone=UTC")
    assert response.status_code == 200
    schema = (
        "ExternalLinkAvailabilityAndBusyTimes"
        if "availability-page" in path
        else "ExternalBookingInfo"
    )
    checked(response, schema)
    assert ("linkId" in response.json()) is ("availability-page" not in path)


async def test_unknown_paths_and_methods_answer_in_hubspots_shape(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/scheduler/v3/meetings/nothing"), 404, "OBJECT_NOT_FOUND")
    response = await http.delete(f"{API}")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]
    assert_error(await http.get(f"{API}/book"), 405, "METHOD_NOT_ALLOWED")
    assert_error(await http.post(f"{API}/book/mel-nelson"), 405, "METHOD_NOT_ALLOWED")


async def test_calls_count_each_operation_whatever_the_outcome(sandbox: SandboxClient) -> None:
    assert await sandbox.calls() == {
        "list_links": 0,
        "booking_info": 0,
        "availability": 0,
        "book": 0,
    }
    await sandbox.list_links()
    await sandbox.list_links(limit=0)
    await sandbox.booking_info("mel-nelson")
    await sandbox.availability("nope")
    await sandbox.availability("mel-nelson")
    await sandbox.book(b"{")
    await sandbox.http.get("/_sandbox/calls")
    assert await sandbox.calls() == {
        "list_links": 2,
        "booking_info": 1,
        "availability": 2,
        "book": 1,
    }
    reset = await sandbox.http.post("/_sandbox/reset")
    assert reset.status_code == 200
    assert await sandbox.calls() == {
        "list_links": 0,
        "booking_info": 0,
        "availability": 0,
        "book": 0,
    }


def with_config(**settings: object) -> Starlette:
    return create_sandbox_app(SandboxConfig(now=NOW, seed=3, **settings))  # type: ignore[arg-type]


async def client_for(app: Starlette) -> AsyncIterator[SandboxClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        yield SandboxClient(http)


@pytest.fixture
async def guarded() -> AsyncIterator[SandboxClient]:
    app = with_config(
        valid_tokens=frozenset({"pat-write"}), read_only_tokens=frozenset({"pat-read"})
    )
    async for client in client_for(app):
        yield client


async def test_tokens_are_checked_when_configured(guarded: SandboxClient) -> None:
    http = guarded.http
    assert_error(await http.get(API), 401, "INVALID_AUTHENTICATION")
    wrong = await http.get(API, headers={"Authorization": "Bearer pat-other"})
    assert_error(wrong, 401, "INVALID_AUTHENTICATION")
    basic = await http.get(API, headers={"Authorization": "Basic pat-write"})
    assert_error(basic, 401, "INVALID_AUTHENTICATION")
    for token in ("pat-write", "pat-read"):
        response = await http.get(API, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        checked(response, "CollectionResponseWithTotalExternalLinkMetadata")
    read_only = await http.post(
        f"{API}/book", json={}, headers={"Authorization": "Bearer pat-read"}
    )
    body = assert_error(
        read_only,
        403,
        "MISSING_SCOPES",
        message="One or more of the following scopes are required.",
    )
    assert "meetings-write" in body["errors"][0]["context"]["requiredGranularScopes"]
    writer = await http.post(f"{API}/book", json={}, headers={"Authorization": "Bearer pat-write"})
    assert_error(writer, 400, "VALIDATION_ERROR")


async def test_any_token_or_none_is_accepted_by_default(sandbox: SandboxClient) -> None:
    schema = "CollectionResponseWithTotalExternalLinkMetadata"
    bare = checked(await sandbox.http.get(API), schema)
    anything = checked(
        await sandbox.http.get(API, headers={"Authorization": "Bearer whatever"}), schema
    )
    assert bare.status_code == anything.status_code == 200
    assert "X-HubSpot-RateLimit-Max" not in bare.headers


async def test_an_error_rate_of_one_answers_every_call_with_a_5xx(sandbox: SandboxClient) -> None:
    changed = await sandbox.http.put("/_sandbox/faults", json={"errorRate": 1.0})
    assert changed.json() == {"latencyMs": 0, "errorRate": 1.0, "rateLimit": None}
    for _ in range(5):
        response = await sandbox.availability("mel-nelson")
        assert 500 <= response.status_code < 600
        assert_error(response, response.status_code, "INTERNAL_ERROR")
    assert (await sandbox.http.get("/_sandbox/calls")).status_code == 200
    await sandbox.http.put("/_sandbox/faults", json={"errorRate": 0})
    assert (await sandbox.availability("mel-nelson")).status_code == 200


async def test_error_rate_from_config_is_a_share() -> None:
    async for client in client_for(with_config(error_rate=0.5)):
        statuses = [(await client.list_links()).status_code for _ in range(60)]
        failures = sum(status >= 500 for status in statuses)
        assert 10 < failures < 50
        assert set(statuses) <= {200, 500, 502, 503, 504}


async def test_latency_delays_every_call(sandbox: SandboxClient) -> None:
    await sandbox.http.put("/_sandbox/faults", json={"latencyMs": 120})
    started = time.monotonic()
    await sandbox.list_links()
    assert time.monotonic() - started >= 0.12


async def test_rate_limit_answers_429_with_headers_and_retry_after(sandbox: SandboxClient) -> None:
    await sandbox.http.put("/_sandbox/faults", json={"rateLimit": 3})
    responses = [await sandbox.list_links() for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-HubSpot-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    for response in responses:
        assert response.headers["X-HubSpot-RateLimit-Max"] == "3"
        assert response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    limited = responses[-1]
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    body = assert_error(limited, 429, "RATE_LIMITS")
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")
    await sandbox.http.put("/_sandbox/faults", json={"rateLimit": None})
    assert (await sandbox.list_links()).status_code == 200


@pytest.mark.parametrize(
    "knobs",
    [
        {"latencyMs": -1},
        {"errorRate": 2},
        {"rateLimit": 0},
        {"rateLimit": "many"},
        {"errorRate": True},
    ],
)
async def test_bad_fault_knobs_are_refused(
    http: httpx.AsyncClient, knobs: dict[str, object]
) -> None:
    response = await http.put("/_sandbox/faults", json=knobs)
    assert_error(response, 400, "VALIDATION_ERROR")


async def test_sandbox_now_freezes_the_clock_and_the_clock_can_move() -> None:
    config = SandboxConfig.from_environ({"SANDBOX_NOW": "2026-11-24T08:00:00-05:00"})
    async for client in client_for(create_sandbox_app(config)):
        first = await client.starts("mel-nelson", 900_000)
        assert first == await client.starts("mel-nelson", 900_000)
        assert from_ms(first[0], NEW_YORK).isoformat() == "2026-11-24T09:00:00-05:00"
        moved = await client.http.put("/_sandbox/clock", json={"now": "2026-11-24T12:10:00-05:00"})
        assert moved.json() == {"now": "2026-11-24T12:10:00-05:00"}
        later = await client.starts("mel-nelson", 900_000)
        # 13:15 would follow the hour's notice, but Mel is busy 13:00-14:00.
        assert from_ms(later[0], NEW_YORK).isoformat() == "2026-11-24T14:00:00-05:00"
        bad = await client.http.put("/_sandbox/clock", json={"now": "noon"})
        assert_error(bad, 400, "VALIDATION_ERROR")
        await client.http.post("/_sandbox/reset")
        assert await client.starts("mel-nelson", 900_000) == first


async def test_a_revoked_token_is_refused_until_the_revocation_is_lifted() -> None:
    app = create_sandbox_app(SandboxConfig.from_environ({"SANDBOX_TOKENS": "pat-one,pat-two"}))
    async for client in client_for(app):
        links = "/scheduler/v3/meetings/meeting-links"
        one = {"Authorization": "Bearer pat-one"}
        assert (await client.http.get(links, headers=one)).status_code == 200
        revoked = await client.http.put("/_sandbox/tokens", json={"revoked": ["pat-one"]})
        assert revoked.json() == {"revoked": 1}
        refused = await client.http.get(links, headers=one)
        assert_error(refused, 401, "INVALID_AUTHENTICATION")
        two = {"Authorization": "Bearer pat-two"}
        assert (await client.http.get(links, headers=two)).status_code == 200
        bad = await client.http.put("/_sandbox/tokens", json={"revoked": "pat-one"})
        assert_error(bad, 400, "VALIDATION_ERROR")
        await client.http.post("/_sandbox/reset")
        assert (await client.http.get(links, headers=one)).status_code == 200


async def test_real_time_is_used_without_a_frozen_clock() -> None:
    async for client in client_for(create_sandbox_app(SandboxConfig())):
        starts = await client.starts("mel-nelson", 900_000)
        now_ms = time.time() * 1000
        assert all(start >= now_ms + 60 * 60_000 - 5_000 for start in starts)


async def test_group_overlap_shifts_across_the_eu_and_us_dst_ends(sandbox: SandboxClient) -> None:
    # From Monday 19 October 2026: Berlin leaves summer time on 25 October, New York on
    # 1 November. Mel works 09:00-17:00 in New York, Lena 08:30-16:30 in Berlin.
    await sandbox.http.put("/_sandbox/clock", json={"now": "2026-10-19T12:00:00Z"})
    october = await sandbox.starts("acme-team/group-review", 1_800_000, "UTC")
    november = await sandbox.starts("acme-team/group-review", 1_800_000, "UTC", month_offset=1)
    by_day: dict[str, list[str]] = {}
    for start in october + november:
        instant = from_ms(start)
        by_day.setdefault(instant.date().isoformat(), []).append(instant.strftime("%H:%M"))
    # Before both ends: 13:00-14:30 UTC. Between them: 13:00-15:30. After: 14:00-15:30.
    assert by_day["2026-10-21"] == ["13:00", "13:30", "14:00"]
    assert by_day["2026-10-27"] == ["13:00", "13:30", "14:00", "14:30", "15:00"]
    assert by_day["2026-11-03"] == ["14:00", "14:30", "15:00"]
    # Lena's Fridays end at 13:00 in Berlin, before Mel starts; nobody works on Sundays.
    assert not {"2026-10-23", "2026-10-25", "2026-11-01"} & set(by_day)


async def test_spring_dst_week_keeps_new_york_hours_in_new_york_time(
    sandbox: SandboxClient,
) -> None:
    # New York springs forward on Sunday 14 March 2027.
    await sandbox.http.put("/_sandbox/clock", json={"now": "2027-03-12T12:00:00Z"})
    starts = await sandbox.starts("mel-nelson", 3_600_000, "America/New_York")
    walls = {from_ms(start, NEW_YORK).strftime("%m-%d %H:%M %z") for start in starts}
    assert "03-12 16:00 -0500" in walls
    assert "03-15 09:00 -0400" in walls
    assert all("09:00" <= wall[6:11] <= "16:00" for wall in walls)
    utc_hours = {from_ms(start).hour for start in starts}
    assert {13, 14} <= utc_hours


async def test_two_apps_do_not_share_state() -> None:
    first, second = with_config(), with_config()
    async for one in client_for(first):
        await one.list_links()
        assert (await one.calls())["list_links"] == 1
    async for other in client_for(second):
        assert (await other.calls())["list_links"] == 0
