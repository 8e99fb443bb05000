"""Parsing HubSpot's payloads: the spec's shapes parse, and any drift names its JSON path."""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

import httpx
import pytest

from gateway.errors import UpstreamContractError
from gateway.hubspot.models import (
    AvailabilityPage,
    BookingInfo,
    BookingResponse,
    LinkAvailability,
    LinksPage,
    LinkType,
)
from gateway.hubspot.wire import WireObject
from gateway.sandbox import SandboxConfig, create_sandbox_app
from tests.support.sandbox_client import NOW, SandboxClient

LINKS: dict[str, Any] = {
    "total": 3,
    "results": [
        {
            "id": "3779484",
            "slug": "menelson",
            "link": "https://meetings.hubspot.com/menelson",
            "name": "Sales Pro Demo",
            "type": "PERSONAL_LINK",
            "organizerUserId": "1234567",
            "userIdsOfLinkMembers": ["1234567"],
            "defaultLink": True,
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-02-01T00:00:00Z",
        }
    ],
    "paging": {"next": {"after": "MQ%3D%3D", "link": "https://api.hubapi.com/x?after=MQ%3D%3D"}},
}

AVAILABILITY: dict[str, Any] = {
    "linkAvailability": {
        "hasMore": True,
        "linkAvailabilityByDuration": {
            "1800000": {
                "meetingDurationMillis": 1800000,
                "availabilities": [
                    {"startMillisUtc": 1787159700000, "endMillisUtc": 1787161500000}
                ],
            }
        },
    },
    "allUsersBusyTimes": [
        {
            "isOffline": False,
            "meetingsUser": {
                "id": "912",
                "userId": "1234567",
                "isSalesStarter": False,
                "calendarProvider": "GOOGLE",
                "userProfile": {"email": "rep@acme.com", "fullName": "Mel Nelson"},
            },
            "busyTimes": [{"start": 1787166000000, "end": 1787169600000}],
        }
    ],
}


def test_links_page_parses_the_spec_example() -> None:
    page = LinksPage.parse(LINKS)
    assert page.total == 3
    assert page.next_after == "MQ%3D%3D"
    link = page.results[0]
    assert link.type is LinkType.PERSONAL_LINK
    assert link.member_user_ids == ("1234567",)
    assert link.created_at.isoformat() == "2024-01-01T00:00:00+00:00"
    assert page.wire is LINKS


def test_availability_is_keyed_by_duration_in_ms() -> None:
    page = AvailabilityPage.parse(AVAILABILITY)
    assert page.availability is not None
    assert page.availability.has_more
    (slot,) = page.availability.by_duration[1_800_000]
    assert slot.end_ms - slot.start_ms == 1_800_000
    assert page.busy_times[0].user.email == "rep@acme.com"
    assert page.busy_times[0].user.first_name is None


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["results"][0].pop("slug"), "$.results[0].slug is missing"),
        (lambda d: d["results"][0].pop("type"), "$.results[0].type is missing"),
        (lambda d: d["results"][0].update(type=7), "$.results[0].type should be a string"),
        (lambda d: d.update(total="3"), "$.total should be an integer"),
        (lambda d: d["results"][0].update(userIdsOfLinkMembers=[1]), "userIdsOfLinkMembers[0]"),
        (lambda d: d["results"][0].update(createdAt="soon"), "$.results[0].createdAt"),
    ],
)
def test_drift_names_the_path(mutate: Any, path: str) -> None:
    data = copy.deepcopy(LINKS)
    mutate(data)
    with pytest.raises(UpstreamContractError, match=path.replace("[", r"\[").replace("$", r"\$")):
        LinksPage.parse(data)


def test_booking_response_accepts_epoch_ms_instants() -> None:
    response = BookingResponse.parse(
        {
            "bookingTimezone": "America/New_York",
            "calendarEventId": "",
            "contactId": "51",
            "duration": 1800000,
            "start": 1787159700000,
            "end": "2026-08-19T14:45:00Z",
            "subject": "Alex Morgan and Mel Nelson",
            "isOffline": True,
            "formFields": [],
            "guestEmails": [],
            "legalConsentResponses": [],
        }
    )
    assert response.is_offline
    assert response.start.tzinfo is not None
    assert response.end.isoformat() == "2026-08-19T14:45:00+00:00"


def test_a_newer_versions_link_type_and_fields_are_carried_through_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Unique per run: the "logged once" memory is the process's.
    newer = f"EVENT_{uuid.uuid4().hex[:8].upper()}"
    data = copy.deepcopy(LINKS)
    data["results"][0].update(type=newer, paymentLinkId="pl-1", bookingRules={"x": 1})
    data["results"].append({**data["results"][0], "slug": "second", "id": "2"})
    data["futureTopLevel"] = True
    with caplog.at_level(logging.WARNING, logger="gateway.hubspot"):
        first = LinksPage.parse(data)
        LinksPage.parse(data)
    assert [link.type for link in first.results] == [LinkType.OTHER, LinkType.OTHER]
    assert [link.type_name for link in first.results] == [newer, newer]
    # The payload is kept whole, so the REST surface answers HubSpot's own value and fields.
    assert first.wire["results"][0]["type"] == newer
    assert first.wire["results"][0]["bookingRules"] == {"x": 1}
    assert first.wire["futureTopLevel"] is True
    lines = [r.getMessage() for r in caplog.records if newer in r.getMessage()]
    assert len(lines) == 1, lines
    assert "$.results[0].type" in lines[0]


def test_a_known_link_type_keeps_its_name() -> None:
    link = LinksPage.parse(LINKS).results[0]
    assert (link.type, link.type_name) == (LinkType.PERSONAL_LINK, "PERSONAL_LINK")


async def sandbox_booking_info() -> dict[str, Any]:
    """A booking info as the sandbox sends it (its first month's page embedded)."""
    transport = httpx.ASGITransport(app=create_sandbox_app(SandboxConfig(now=NOW, seed=7)))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        found: dict[str, Any] = (await SandboxClient(client).booking_info("mel-nelson")).json()
    return found


async def test_a_booking_infos_embedded_month_is_typed_only_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = await sandbox_booking_info()
    typed: list[LinkAvailability] = []
    parse = LinkAvailability.parse.__func__  # type: ignore[attr-defined]

    def counted(cls: type[LinkAvailability], obj: WireObject) -> LinkAvailability:
        typed.append(found := parse(cls, obj))
        return found  # type: ignore[no-any-return]

    monkeypatch.setattr(LinkAvailability, "parse", classmethod(counted))
    info = BookingInfo.parse(payload)
    assert typed == []
    page = info.availability
    assert typed == [page]
    assert info.availability is page  # typed once, then kept
    assert page == LinkAvailability.parse(WireObject(payload["linkAvailability"]))
    assert sum(len(spans) for spans in page.by_duration.values()) > 100


async def test_drift_in_a_booking_infos_embedded_month_is_named_when_read() -> None:
    payload = await sandbox_booking_info()
    payload["linkAvailability"]["linkAvailabilityByDuration"] = []
    info = BookingInfo.parse(payload)  # the rest of it is sound
    with pytest.raises(UpstreamContractError, match=r"\$\.linkAvailability"):
        assert info.availability is None
    payload["linkAvailability"] = "not an object"
    with pytest.raises(UpstreamContractError, match=r"\$\.linkAvailability"):
        BookingInfo.parse(payload)
