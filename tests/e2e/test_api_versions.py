"""HUBSPOT_API_VERSION end to end: the gateway calls HubSpot at that version's paths and
answers exactly what it answers at v3; a newer version's unknown values still list.

Between the gateway and a standalone sandbox sits a recording proxy on a loopback port
(``recording_proxy.py``), which sees every upstream request path as HubSpot would.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import API_VERSIONS, Settings
from tests.contract.hubspot_spec import assert_matches
from tests.support.bookings import booking
from tests.support.harness import NOW, Gateway, operation
from tests.support.recording_proxy import RecordingProxy, Rewrite, serving
from tests.support.served import served as serve

LINKS = operation("ListMeetingLinks")
BOOKING_INFO = operation("MeetingLinkBookingInfo")
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
ENDPOINTS = ("meeting-links", "meeting-links/book/", "availability-page/")


@asynccontextmanager
async def gateway_via(proxy: RecordingProxy, version: str) -> AsyncIterator[Gateway]:
    """A gateway calling HubSpot at ``version``, where HubSpot is the proxy."""
    environ = {
        "SANDBOX_NOW": NOW,
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-00000000-test",
        "HUBSPOT_BASE_URL": proxy.base_url,
        "HUBSPOT_API_VERSION": version,
    }
    app = create_app(Settings.from_environ(environ))
    async with (
        serve(app) as server,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://gw") as http,
        httpx.AsyncClient(base_url=proxy.base_url) as upstream,
    ):
        yield Gateway(app, http, upstream, server.runtime)


async def every_operation(gateway: Gateway) -> list[Any]:
    """Every operation of ``schema/operations``, paging, a booking and what it changes."""
    answers: list[Any] = []
    first = await gateway.data(LINKS, {"first": 4})
    answers.append(first)
    end = first["meetingLinks"]["pageInfo"]["endCursor"]
    answers.append(await gateway.data(LINKS, {"first": 4, "after": end}))
    answers.append(await gateway.data(LINKS, {"first": 50, "type": "ROUND_ROBIN_CALENDAR"}))
    for slug in ("mel-nelson", "acme-team/ai-booked-call"):
        answers.append(
            await gateway.data(BOOKING_INFO, {"slug": slug, "timeZone": "Europe/Berlin"})
        )
    month = {"slug": "mel-nelson", "timeZone": "Asia/Kolkata", "durationMinutes": 30}
    before = await gateway.data(AVAILABILITY, month)
    answers.append(before)
    start = before["meetingLink"]["availability"]["slots"][0]["start"]
    booked = await gateway.data(BOOK, booking("mel-nelson", start, 30))
    assert booked["bookMeeting"]["__typename"] == "BookingConfirmed", booked
    answers.append(booked)
    after = await gateway.data(AVAILABILITY, month)
    assert after["meetingLink"]["availability"]["slots"][0]["start"] != start
    answers.append(after)
    return answers


async def answers_at(version: str) -> tuple[list[Any], list[str]]:
    async with serving(RecordingProxy()) as proxy, gateway_via(proxy, version) as gateway:
        return await every_operation(gateway), proxy.paths()


@pytest.mark.parametrize("version", API_VERSIONS)
async def test_every_upstream_call_goes_to_the_chosen_version(version: str) -> None:
    answers, paths = await answers_at(version)
    legacy, _ = await answers_at("v3")
    assert answers == legacy
    assert paths, "nothing reached the upstream"
    assert all(path.startswith(f"/scheduler/{version}/meetings/") for path in paths), paths
    # All four endpoints were called, the booking once.
    assert all(any(endpoint in path for path in paths) for endpoint in ENDPOINTS), paths
    assert paths.count(f"/scheduler/{version}/meetings/meeting-links/book") == 1


async def test_upstream_metrics_and_logs_name_the_version(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serving(RecordingProxy()) as proxy, gateway_via(proxy, "2026-03") as gateway:
        with caplog.at_level(logging.DEBUG, logger="gateway.hubspot"):
            await gateway.data(BOOKING_INFO, {"slug": "mel-nelson", "timeZone": "UTC"})
        metrics = (await gateway.http.get("/metrics")).text
    for endpoint in ("list_links", "booking_info"):
        series = f'endpoint="{endpoint}",outcome="200",version="2026-03"'
        assert f"gateway_upstream_calls_total{{{series}}} 1.0" in metrics, metrics
        timed = f'gateway_upstream_request_duration_seconds_count{{endpoint="{endpoint}"'
        assert f'{timed},version="2026-03"}} 1.0' in metrics
    lines = [r for r in caplog.records if getattr(r, "api_version", None) == "2026-03"]
    assert sorted(getattr(r, "endpoint", "") for r in lines) == ["booking_info", "list_links"]
    assert all("(API 2026-03)" in r.getMessage() for r in lines)


# -- a newer HubSpot: an unknown link type and fields ----------------------------------------

NEWER_TYPE = "EVENT_SERIES_CALENDAR"


def newer_hubspot(method: str, path: str, body: Any) -> Any:
    """Answers as a later version might send them: the first link of a new type, with fields
    no spec lists, and its booking info saying so too."""
    body = copy.deepcopy(body)
    if path.endswith("/meeting-links"):
        for link in body["results"]:
            if link["slug"] == "mel-nelson":
                link.update(type=NEWER_TYPE, seriesId="s-1", capacity={"seats": 12})
    elif path.endswith("/book/mel-nelson"):
        body.update(linkType=NEWER_TYPE, seriesInfo={"next": 3})
    return body


REWRITE: Rewrite = newer_hubspot


async def test_an_unknown_link_type_and_fields_still_list_through_graphql_and_rest() -> None:
    proxy = RecordingProxy(rewrite=REWRITE)
    async with serving(proxy), gateway_via(proxy, "2026-09") as gateway:
        query = "{ meetingLinks(first: 3) { nodes { slug type typeName } } }"
        nodes = (await gateway.data(query))["meetingLinks"]["nodes"]
        assert nodes[0] == {"slug": "mel-nelson", "type": "OTHER", "typeName": NEWER_TYPE}
        assert nodes[1]["type"] == nodes[1]["typeName"] != "OTHER"
        listed = await gateway.data(LINKS, {"first": 5})
        assert listed["meetingLinks"]["edges"][0]["node"]["type"] == "OTHER"

        info = await gateway.data(
            '{ meetingLink(slug: "mel-nelson") { bookingInfo { linkType linkTypeName } } }'
        )
        assert info["meetingLink"]["bookingInfo"] == {
            "linkType": "OTHER",
            "linkTypeName": NEWER_TYPE,
        }

        for version in API_VERSIONS:
            rest = await gateway.http.get(f"/scheduler/{version}/meetings/meeting-links")
            assert rest.status_code == 200, rest.text
            (first, *_) = rest.json()["results"]
            # HubSpot's own value and fields, unchanged.
            assert first["type"] == NEWER_TYPE
            assert (first["seriesId"], first["capacity"]) == ("s-1", {"seats": 12})
            page = await gateway.http.get(
                f"/scheduler/{version}/meetings/meeting-links/book/mel-nelson",
                params={"timezone": "UTC"},
            )
            assert page.json()["linkType"] == NEWER_TYPE
            assert page.json()["seriesInfo"] == {"next": 3}


async def test_other_is_no_filter_and_costs_no_upstream_call() -> None:
    proxy = RecordingProxy()
    async with serving(proxy), gateway_via(proxy, "2026-09") as gateway:
        body = await gateway.execute(LINKS, {"type": "OTHER"})
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID_FILTER", error
        refused = await gateway.http.get(
            "/scheduler/2026-09/meetings/meeting-links", params={"type": "OTHER"}
        )
        assert refused.status_code == 400
        assert_matches("Error", refused.json(), "2026-09")
        assert proxy.paths() == []


async def test_rest_next_links_keep_the_version_the_client_called() -> None:
    proxy = RecordingProxy()
    async with serving(proxy), gateway_via(proxy, "v3") as gateway:
        for version in API_VERSIONS:
            path = f"/scheduler/{version}/meetings/meeting-links"
            page = await gateway.http.get(path, params={"limit": 3})
            assert page.status_code == 200
            assert_matches("CollectionResponseWithTotalExternalLinkMetadata", page.json(), version)
            following = urlsplit(page.json()["paging"]["next"]["link"])
            assert following.path == path
            assert (
                await gateway.http.get(page.json()["paging"]["next"]["link"])
            ).status_code == 200
        # Whatever path the partner app used, the upstream was called at v3.
        assert proxy.paths()
        assert all(path.startswith("/scheduler/v3/meetings/") for path in proxy.paths())
