"""Every supported API version's REST paths: the same answers, each body on its own spec."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from gateway.settings import API_VERSIONS
from tests.contract.hubspot_spec import assert_matches
from tests.rest.api import assert_refused, booking_body, graphql_starts
from tests.support.harness import Gateway

HALF_HOUR = 1_800_000
READS = (
    ("", {"limit": "4"}, "CollectionResponseWithTotalExternalLinkMetadata"),
    (
        "/book/" + quote("acme-team/ai-booked-call", safe=""),
        {"timezone": "Europe/Berlin"},
        "ExternalBookingInfo",
    ),
    (
        "/book/availability-page/mel-nelson",
        {"timezone": "Asia/Kolkata", "monthOffset": "1"},
        "ExternalLinkAvailabilityAndBusyTimes",
    ),
)


def root(version: str) -> str:
    return f"/scheduler/{version}/meetings/meeting-links"


@pytest.mark.parametrize("version", API_VERSIONS)
async def test_each_versions_reads_answer_its_spec_and_the_same_data(
    gateway: Gateway, version: str
) -> None:
    for tail, params, schema in READS:
        answer = await gateway.http.get(f"{root(version)}{tail}", params=params)
        assert answer.status_code == 200, answer.text
        assert_matches(schema, answer.json(), version)
        legacy = await gateway.http.get(f"{root('v3')}{tail}", params=params)
        body, legacy_body = answer.json(), legacy.json()
        if "paging" in body:
            # The next page is at the version the client called.
            assert body["paging"]["next"]["link"].startswith(f"{root(version)}?")
            body["paging"]["next"].pop("link")
            legacy_body["paging"]["next"].pop("link")
        else:
            # The same body, so the same tag: a 304 across versions.
            assert answer.headers["ETag"] == legacy.headers["ETag"]
        assert body == legacy_body


@pytest.mark.parametrize("version", API_VERSIONS)
async def test_each_version_books_and_refuses_on_its_spec(gateway: Gateway, version: str) -> None:
    start = (await graphql_starts(gateway, "mel-nelson", 30))[0]
    body = booking_body("mel-nelson", start, HALF_HOUR)
    booked = await gateway.http.post(f"{root(version)}/book", json=body)
    assert booked.status_code == 200, booked.text
    assert_matches("ExternalMeetingBookingResponse", booked.json(), version)
    assert start not in await graphql_starts(gateway, "mel-nelson", 30)
    again = await gateway.http.post(f"{root(version)}/book", json=body)
    assert_matches("Error", assert_refused(again, 400), version)
    calls = await gateway.calls()
    missing = await gateway.http.get(
        f"{root(version)}/book/no-such-link", params={"timezone": "UTC"}
    )
    assert_matches("Error", assert_refused(missing, 404), version)
    bad = await gateway.http.get(f"{root(version)}", params={"limit": "0"})
    assert_matches("Error", assert_refused(bad, 400, code="INVALID_INTEGER"), version)
    # The bad limit cost no upstream call; the unknown slug at most the link list's.
    assert (await gateway.calls())["book"] == calls["book"]


async def test_an_unsupported_version_is_not_served(gateway: Gateway) -> None:
    for version in ("v4", "2026-09-beta", "2025-09"):
        response = await gateway.http.get(root(version))
        assert response.status_code == 404
    assert sum((await gateway.calls()).values()) == 0
