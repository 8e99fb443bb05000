from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.sandbox.engine import from_ms
from tests.support.sandbox_client import SandboxClient, assert_error, booking

# Explicit, because tests/conftest.py marks async tests too late for parametrized ones.
pytestmark = pytest.mark.anyio

HALF_HOUR = 1_800_000
SCHEDULING = "MeetingsBookingSchedulingError"
VALIDATION = "MeetingsBookingValidationError"


async def all_slugs(sandbox: SandboxClient) -> list[str]:
    slugs: list[str] = []
    params: dict[str, Any] = {"limit": 10}
    while True:
        body = (await sandbox.list_links(**params)).json()
        slugs += [link["slug"] for link in body["results"]]
        if "paging" not in body:
            return slugs
        params["after"] = body["paging"]["next"]["after"]


async def test_a_booked_slot_leaves_every_link_of_its_member(sandbox: SandboxClient) -> None:
    slugs = await all_slugs(sandbox)
    assert {"mel-nelson", "acme-team/group-review", "demo-call-01"} <= set(slugs)
    personal = await sandbox.starts("mel-nelson", HALF_HOUR)
    group = await sandbox.starts("acme-team/group-review", HALF_HOUR)
    demo = await sandbox.starts("demo-call-01", HALF_HOUR)
    shared = sorted(set(personal) & set(group) & set(demo))
    start = shared[0]

    response = await sandbox.book(booking("mel-nelson", start, HALF_HOUR))
    assert response.status_code == 200, response.text
    confirmation = response.json()
    assert confirmation["start"] == from_ms(start).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert confirmation["duration"] == HALF_HOUR
    assert confirmation["subject"] == "Alex Morgan and Mel Nelson"

    assert start not in await sandbox.starts("mel-nelson", HALF_HOUR)
    assert start not in await sandbox.starts("acme-team/group-review", HALF_HOUR)
    assert start not in await sandbox.starts("demo-call-01", HALF_HOUR)
    # A 15-minute meeting cannot start in the middle of the booked half hour either.
    assert start + 900_000 not in await sandbox.starts("mel-nelson", 900_000)
    info = (await sandbox.booking_info("mel-nelson")).json()
    assert {"start": start, "end": start + HALF_HOUR} in info["allUsersBusyTimes"][0]["busyTimes"]

    again = await sandbox.book(booking("mel-nelson", start, HALF_HOUR))
    assert_error(
        again,
        400,
        "VALIDATION_ERROR",
        sub_category=f"{SCHEDULING}.MEETING_START_TIME_NOT_VALID",
        code="MEETING_START_TIME_NOT_VALID",
        message="Start time must be contained in availability settings",
    )


async def test_ten_concurrent_bookings_of_one_slot_make_exactly_one(
    sandbox: SandboxClient,
) -> None:
    start = (await sandbox.starts("acme-team/group-review", HALF_HOUR))[0]
    attempts = [
        sandbox.book(booking("acme-team/group-review", start, HALF_HOUR, email=f"p{n}@acme.io"))
        for n in range(10)
    ]
    responses = await asyncio.gather(*attempts)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * 9


async def test_start_time_may_be_iso_or_epoch_ms(sandbox: SandboxClient) -> None:
    first, second = (await sandbox.starts("mel-nelson", HALF_HOUR))[:3:2]
    iso = from_ms(first).isoformat().replace("+00:00", "Z")
    by_iso = await sandbox.book(booking("mel-nelson", 0, HALF_HOUR, startTime=iso))
    assert by_iso.status_code == 200, by_iso.text
    offset = from_ms(second).astimezone().isoformat()
    by_offset = await sandbox.book(booking("mel-nelson", 0, HALF_HOUR, startTime=offset))
    assert by_offset.status_code == 200
    assert by_offset.json()["end"] == from_ms(second + HALF_HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_round_robin_prefers_likely_members_then_the_link_order(
    sandbox: SandboxClient,
) -> None:
    slug = "acme-team/ai-booked-call"
    before = (await sandbox.booking_info(slug, "UTC")).json()["allUsersBusyTimes"]
    # Mel (New York) and Lena (Berlin) overlap from 14:00 to 15:30 UTC; Priya (Kolkata) not.
    starts = await sandbox.starts(slug, HALF_HOUR, "UTC")
    overlap = [start for start in starts if from_ms(start).hour == 14]
    subjects: list[str] = []
    for start in overlap:
        subjects = []
        for _ in range(3):
            response = await sandbox.book(
                booking(slug, start, HALF_HOUR, likelyAvailableUserIds=["3456789", "2345678"])
            )
            if response.status_code != 200:
                break
            subjects.append(response.json()["subject"])
        if len(subjects) == 2:
            break
        await sandbox.http.post("/_sandbox/reset")
    # Priya is preferred but not free, so Lena; then the first free member in link order.
    assert subjects == ["Alex Morgan and Lena Fischer", "Alex Morgan and Mel Nelson"]
    assert start not in await sandbox.starts(slug, HALF_HOUR, "UTC")
    after = (await sandbox.booking_info(slug, "UTC")).json()["allUsersBusyTimes"]
    added = {
        entry["meetingsUser"]["userId"]: [
            b for b in entry["busyTimes"] if b not in old["busyTimes"]
        ]
        for entry, old in zip(after, before, strict=True)
    }
    booked = [{"start": start, "end": start + HALF_HOUR}]
    assert added == {"1234567": booked, "2345678": booked, "3456789": []}


async def test_a_group_booking_takes_the_slot_from_every_member(sandbox: SandboxClient) -> None:
    start = (await sandbox.starts("acme-team/group-review", HALF_HOUR))[0]
    lena = await sandbox.starts("lena-fischer/consent-call", HALF_HOUR)
    assert start in lena
    response = await sandbox.book(booking("acme-team/group-review", start, HALF_HOUR))
    assert response.json()["subject"] == "Alex Morgan, Mel Nelson and Lena Fischer"
    assert start not in await sandbox.starts("lena-fischer/consent-call", HALF_HOUR)
    assert start not in await sandbox.starts("mel-nelson", HALF_HOUR)


async def test_an_offline_organizer_books_without_a_calendar_event(
    sandbox: SandboxClient,
) -> None:
    start = (await sandbox.starts("arjun-shrestha", HALF_HOUR))[0]
    response = await sandbox.book(booking("arjun-shrestha", start, HALF_HOUR))
    body = response.json()
    assert response.status_code == 200
    assert body["isOffline"] is True
    assert body["calendarEventId"] == ""
    assert "webConferenceUrl" not in body
    assert body["location"] == "Kathmandu office"


async def test_confirmation_carries_conference_locale_and_fields(sandbox: SandboxClient) -> None:
    start = (await sandbox.starts("lena-fischer/product-demo", HALF_HOUR))[0]
    fields = [
        {"name": "company_size", "value": "11-50"},
        {"name": "agenda", "value": "Reporting"},
        {"name": "unknown", "value": "ignored"},
    ]
    response = await sandbox.book(
        booking("lena-fischer/product-demo", start, HALF_HOUR, formFields=fields)
    )
    body = response.json()
    assert body["locale"] == "de-de"
    assert body["bookingTimezone"] == "America/New_York"
    assert [field["name"] for field in body["formFields"]] == [
        "firstname",
        "lastname",
        "email",
        "company_size",
        "agenda",
    ]
    size = body["formFields"][3]
    assert size == {
        "name": "company_size",
        "label": "Company size",
        "value": "11-50",
        "isCustom": True,
        "fieldType": "select",
        "valueLabel": "11-50 employees",
    }
    assert "webConferenceUrl" not in body
    start = (await sandbox.starts("mel-nelson", HALF_HOUR))[0]
    zoom = (await sandbox.book(booking("mel-nelson", start, HALF_HOUR, locale="fr-fr"))).json()
    assert zoom["webConferenceUrl"] == f"https://zoom.us/j/{zoom['webConferenceMeetingId']}"
    assert zoom["locale"] == "fr-fr"
    assert len(zoom["calendarEventId"]) == 24


async def test_the_booking_time_zone_comes_from_body_then_query_then_organizer(
    sandbox: SandboxClient,
) -> None:
    starts = await sandbox.starts("priya-raman", HALF_HOUR)
    body_zone = await sandbox.book(
        booking("priya-raman", starts[0], HALF_HOUR, timezone="Europe/Berlin"),
        timezone="Asia/Tokyo",
    )
    assert body_zone.json()["bookingTimezone"] == "Europe/Berlin"
    request = booking("priya-raman", starts[-1], HALF_HOUR)
    del request["timezone"]
    query_zone = await sandbox.book(request, timezone="Asia/Tokyo")
    assert query_zone.json()["bookingTimezone"] == "Asia/Tokyo"
    request = booking("priya-raman", starts[-3], HALF_HOUR)
    del request["timezone"]
    assert (await sandbox.book(request)).json()["bookingTimezone"] == "Asia/Kolkata"


async def test_contact_ids_are_stable_per_email(sandbox: SandboxClient) -> None:
    starts = await sandbox.starts("mel-nelson", HALF_HOUR)
    ids = []
    for start, email in zip(starts[::4], ["a@acme.io", "A@Acme.io", "b@acme.io"], strict=False):
        ids.append(
            (await sandbox.book(booking("mel-nelson", start, HALF_HOUR, email=email))).json()
        )
    assert ids[0]["contactId"] == ids[1]["contactId"] != ids[2]["contactId"]


async def test_guests_follow_the_links_guest_settings(sandbox: SandboxClient) -> None:
    start = (await sandbox.starts("priya-raman", HALF_HOUR))[0]
    guests = ["sam@acme.io", "kim@acme.io"]
    ok = await sandbox.book(booking("priya-raman", start, HALF_HOUR, guestEmails=guests))
    assert ok.json()["guestEmails"] == guests
    start = (await sandbox.starts("priya-raman", HALF_HOUR))[0]
    for bad in (["a@acme.io", "b@acme.io", "c@acme.io", "d@acme.io"], ["not-an-email"]):
        response = await sandbox.book(booking("priya-raman", start, HALF_HOUR, guestEmails=bad))
        assert_error(
            response,
            400,
            "VALIDATION_ERROR",
            sub_category=f"{VALIDATION}.INVALID_EMAIL_GUESTS",
            code="INVALID_EMAIL_GUESTS",
            field="guestEmails",
        )
    start = (await sandbox.starts("mel-nelson", HALF_HOUR))[0]
    refused = await sandbox.book(booking("mel-nelson", start, HALF_HOUR, guestEmails=guests))
    assert_error(refused, 400, "VALIDATION_ERROR", code="INVALID_EMAIL_GUESTS")


async def test_required_consent_must_be_given(sandbox: SandboxClient) -> None:
    slug = "lena-fischer/consent-call"
    start = (await sandbox.starts(slug, HALF_HOUR))[0]
    for consents in ([], [{"communicationTypeId": "987654", "consented": False}]):
        response = await sandbox.book(
            booking(slug, start, HALF_HOUR, legalConsentResponses=consents)
        )
        assert_error(
            response,
            400,
            "VALIDATION_ERROR",
            sub_category=f"{VALIDATION}.MISSING_REQUIRED_CONSENT",
            code="MISSING_REQUIRED_CONSENT",
            field="legalConsentResponses",
        )
    given = [
        {"communicationTypeId": "987654", "consented": True},
        {"communicationTypeId": "987655", "consented": False},
    ]
    response = await sandbox.book(booking(slug, start, HALF_HOUR, legalConsentResponses=given))
    assert response.status_code == 200
    assert response.json()["legalConsentResponses"] == given


async def test_form_fields_are_checked(sandbox: SandboxClient) -> None:
    slug = "lena-fischer/product-demo"
    start = (await sandbox.starts(slug, HALF_HOUR))[0]
    for fields in ([], [{"name": "company_size", "value": "  "}]):
        response = await sandbox.book(booking(slug, start, HALF_HOUR, formFields=fields))
        assert_error(
            response,
            400,
            "VALIDATION_ERROR",
            sub_category=f"{VALIDATION}.MISSING_REQUIRED_FORM_FIELD",
            code="MISSING_REQUIRED_FORM_FIELD",
            field="company_size",
            message="required form field company_size does not have a corresponding value",
        )
    wrong = [{"name": "company_size", "value": "a thousand"}]
    response = await sandbox.book(booking(slug, start, HALF_HOUR, formFields=wrong))
    assert_error(response, 400, "VALIDATION_ERROR", code="INVALID_FORM_FIELD_VALUE")


@pytest.mark.parametrize(
    "email", ["alex@example.com", "alex@mail.example.org", "alex", "alex@acme", "a b@acme.io"]
)
async def test_invalid_and_spam_emails_are_refused(sandbox: SandboxClient, email: str) -> None:
    start = (await sandbox.starts("mel-nelson", HALF_HOUR))[0]
    response = await sandbox.book(booking("mel-nelson", start, HALF_HOUR, email=email))
    assert_error(
        response,
        400,
        "VALIDATION_ERROR",
        sub_category=f"{VALIDATION}.INVALID_EMAIL",
        code="INVALID_EMAIL",
        field="email",
    )
    assert start in await sandbox.starts("mel-nelson", HALF_HOUR)


async def test_a_duration_in_minutes_is_not_valid(sandbox: SandboxClient) -> None:
    start = (await sandbox.starts("mel-nelson", HALF_HOUR))[0]
    response = await sandbox.book(booking("mel-nelson", start, 30, email="alex@example.com"))
    assert_error(
        response,
        400,
        "VALIDATION_ERROR",
        sub_category=f"{SCHEDULING}.MEETING_DURATION_NOT_VALID",
        code="MEETING_DURATION_NOT_VALID",
        field="duration",
    )


async def test_starts_outside_the_offer_are_not_valid(sandbox: SandboxClient) -> None:
    starts = await sandbox.starts("mel-nelson", HALF_HOUR)
    past = starts[0] - 7 * 86_400_000
    misaligned = starts[0] + 5 * 60_000
    night = starts[0] - 12 * 3_600_000
    far = starts[-1] + 60 * 86_400_000
    for start in (past, misaligned, night, far, 0):
        response = await sandbox.book(
            booking("mel-nelson", start, HALF_HOUR, formFields=[], email="x@example.com")
        )
        assert_error(
            response,
            400,
            "VALIDATION_ERROR",
            sub_category=f"{SCHEDULING}.MEETING_START_TIME_NOT_VALID",
            code="MEETING_START_TIME_NOT_VALID",
        )


async def test_an_unknown_slug_is_404_before_anything_else(sandbox: SandboxClient) -> None:
    response = await sandbox.book({"slug": "NONEXISTENT_SLUG_XYZ_99999"})
    assert_error(response, 404, "OBJECT_NOT_FOUND", message="slug does not exist")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (b"{", "body", "INVALID_JSON"),
        (b"[]", "body", "INVALID_JSON"),
        (b"\xff\xfe", "body", "INVALID_JSON"),
        (b"[" * 100_000, "body", "INVALID_JSON"),
    ],
)
async def test_malformed_bodies_are_400(
    sandbox: SandboxClient, body: bytes, field: str, code: str
) -> None:
    response = await sandbox.book(body)
    assert_error(response, 400, "VALIDATION_ERROR", code=code, field=field)


REQUIRED = [
    "slug",
    "firstName",
    "lastName",
    "email",
    "startTime",
    "duration",
    "formFields",
    "legalConsentResponses",
    "likelyAvailableUserIds",
]


@pytest.mark.parametrize("field", REQUIRED)
async def test_each_required_field_is_required(sandbox: SandboxClient, field: str) -> None:
    body = booking("mel-nelson", 0, HALF_HOUR)
    del body[field]
    response = await sandbox.book(body)
    assert_error(response, 400, "VALIDATION_ERROR", code="REQUIRED", field=field)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"slug": 42}, "slug", "INVALID_TYPE"),
        ({"firstName": ""}, "firstName", "REQUIRED"),
        ({"lastName": ["Morgan"]}, "lastName", "INVALID_TYPE"),
        ({"duration": "1800000"}, "duration", "INVALID_TYPE"),
        ({"duration": 1800000.5}, "duration", "INVALID_TYPE"),
        ({"startTime": True}, "startTime", "INVALID_DATE_TIME"),
        ({"startTime": "2026-11-25T10:00:00"}, "startTime", "INVALID_DATE_TIME"),
        ({"startTime": "tomorrow"}, "startTime", "INVALID_DATE_TIME"),
        ({"startTime": -1}, "startTime", "INVALID_DATE_TIME"),
        ({"startTime": 10**20}, "startTime", "INVALID_DATE_TIME"),
        ({"formFields": {"phone": "1"}}, "formFields", "INVALID_TYPE"),
        ({"formFields": [{"name": "phone"}]}, "formFields[0].value", "REQUIRED"),
        ({"formFields": [{"name": "phone", "value": 5}]}, "formFields[0].value", "INVALID_TYPE"),
        (
            {"legalConsentResponses": [{"communicationTypeId": "1", "consented": "yes"}]},
            "legalConsentResponses[0].consented",
            "INVALID_TYPE",
        ),
        ({"likelyAvailableUserIds": [1234567]}, "likelyAvailableUserIds", "INVALID_TYPE"),
        ({"guestEmails": "a@acme.io"}, "guestEmails", "INVALID_TYPE"),
        ({"timezone": "EST5"}, "timezone", "INVALID_TIME_ZONE"),
        ({"timezone": 5}, "timezone", "INVALID_TYPE"),
        ({"locale": 5}, "locale", "INVALID_TYPE"),
    ],
)
async def test_fields_of_the_wrong_type_are_400(
    sandbox: SandboxClient, changes: dict[str, Any], field: str, code: str
) -> None:
    body = booking("mel-nelson", 0, HALF_HOUR)
    body.update(changes)
    response = await sandbox.book(body)
    assert_error(response, 400, "VALIDATION_ERROR", code=code, field=field)


async def test_an_unknown_query_time_zone_is_400(sandbox: SandboxClient) -> None:
    request = booking("mel-nelson", 0, HALF_HOUR)
    del request["timezone"]
    response = await sandbox.book(request, timezone="Nowhere/Special")
    assert_error(
        response, 400, "VALIDATION_ERROR", code="INVALID_TIME_ZONE", field="query.timezone"
    )


async def test_failed_bookings_cost_no_slot(sandbox: SandboxClient) -> None:
    start = (await sandbox.starts("priya-raman", HALF_HOUR))[0]
    await sandbox.book(booking("priya-raman", start, HALF_HOUR, email="x@example.com"))
    await sandbox.book(booking("priya-raman", start, HALF_HOUR, guestEmails=["bad"]))
    assert start in await sandbox.starts("priya-raman", HALF_HOUR)
    assert (await sandbox.calls())["book"] == 2
