"""Every API version's paths: the same operations, the same state, each on its own spec."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.contract.hubspot_spec import assert_matches
from tests.support.sandbox_client import SandboxClient, booking, path_slug

DATE_VERSIONS = ("2026-03", "2026-09")

pytestmark = pytest.mark.anyio


def root(version: str) -> str:
    return f"/scheduler/{version}/meetings/meeting-links"


async def read(http: httpx.AsyncClient, version: str, tail: str, schema: str) -> httpx.Response:
    response = await http.get(f"{root(version)}{tail}")
    assert response.status_code == 200, (version, tail, response.text)
    assert_matches(schema, response.json(), version)
    return response


@pytest.mark.parametrize("version", DATE_VERSIONS)
async def test_a_date_version_answers_what_v3_answers(sandbox: SandboxClient, version: str) -> None:
    http = sandbox.http
    slug = path_slug("acme-team/ai-booked-call")
    for tail, schema in (
        ("?limit=5", "CollectionResponseWithTotalExternalLinkMetadata"),
        (f"/book/{slug}?timezone=Europe/Berlin", "ExternalBookingInfo"),
        (
            f"/book/availability-page/{slug}?timezone=Asia/Kolkata&monthOffset=1",
            "ExternalLinkAvailabilityAndBusyTimes",
        ),
    ):
        dated = (await read(http, version, tail, schema)).json()
        legacy = (await read(http, "v3", tail, schema)).json()
        if "paging" in legacy:
            # The next page is at the version the client called.
            for body, at in ((dated, version), (legacy, "v3")):
                assert urlsplit(body["paging"]["next"].pop("link")).path == root(at)
        assert dated == legacy, tail
    counts = {"list_links": 2, "booking_info": 2, "availability": 2, "book": 0}
    assert await sandbox.calls() == counts


@pytest.mark.parametrize("version", DATE_VERSIONS)
async def test_a_booking_at_a_date_version_is_the_same_bookings_state(
    sandbox: SandboxClient, version: str
) -> None:
    (start, *_) = await sandbox.starts("mel-nelson", 1_800_000)
    response = await sandbox.http.post(
        f"{root(version)}/book", json=booking("mel-nelson", start, 1_800_000)
    )
    assert response.status_code == 200, response.text
    assert_matches("ExternalMeetingBookingResponse", response.json(), version)
    # v3 sees the slot taken: one sandbox, whatever path a client used.
    assert start not in await sandbox.starts("mel-nelson", 1_800_000)
    again = await sandbox.book(booking("mel-nelson", start, 1_800_000))
    assert again.status_code == 400


async def test_an_unknown_version_is_no_route(sandbox: SandboxClient) -> None:
    response = await sandbox.http.get(root("2026-09-beta"))
    assert response.status_code == 404
    assert response.json()["category"] == "OBJECT_NOT_FOUND"
    assert sum((await sandbox.calls()).values()) == 0
