from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.engine import to_ms
from gateway.sandbox.fixtures import DEFAULT_PATH, FixtureError, load_fixtures

SHIPPED: dict[str, Any] = json.loads(DEFAULT_PATH.read_text())


def test_the_shipped_portal_has_what_other_suites_rely_on() -> None:
    fixtures = load_fixtures()
    zones = {member.time_zone for member in fixtures.members.values()}
    assert {"America/New_York", "Europe/Berlin", "Asia/Kolkata"} <= zones
    assert {link.type for link in fixtures.links} == {
        "PERSONAL_LINK",
        "GROUP_CALENDAR",
        "ROUND_ROBIN_CALENDAR",
    }
    assert len(fixtures.links) >= 40
    links = fixtures.by_slug
    assert links["mel-nelson"].durations_minutes == (15, 30, 60)
    assert [field.name for field in links["mel-nelson"].form_fields] == [
        "firstname",
        "lastname",
        "email",
    ]
    assert links["acme-team/ai-booked-call"].type == "ROUND_ROBIN_CALENDAR"
    assert links["acme-team/group-review"].member_user_ids == ("1234567", "2345678")
    select = [f for f in links["lena-fischer/product-demo"].form_fields if f.field_type == "select"]
    assert [(f.is_required, len(f.options)) for f in select] == [(True, 4)]
    guests = links["priya-raman"]
    assert (guests.can_add_guests, guests.max_guest_count) == (True, 3)
    consent = links["lena-fischer/consent-call"].legal_consent
    assert consent is not None
    assert consent["processingConsentType"] == "REQUIRED_CHECKBOX"
    assert any(box["required"] for box in consent["communicationConsentCheckboxes"])
    assert {link.start_increment for link in fixtures.links} >= {"FIFTEEN", "MEETING_DURATION"}
    assert any(link.buffer_minutes for link in fixtures.links)
    assert fixtures.members["4567890"].is_offline


def test_generated_links_follow_the_documented_pattern() -> None:
    fixtures = load_fixtures()
    generated = [link for link in fixtures.links if link.slug.startswith("demo-call-")]
    assert len(generated) == 36
    assert (generated[0].slug, generated[0].id) == ("demo-call-01", "5000001")
    assert generated[1].name == "Demo call 2"
    assert [link.organizer_user_id for link in generated[:5]] == [
        "1234567",
        "2345678",
        "3456789",
        "5678901",
        "1234567",
    ]
    assert generated[2].created_at_ms - generated[0].created_at_ms == 2 * 86_400_000


def test_relative_busy_times_are_anchored_at_today_in_the_members_zone() -> None:
    member = load_fixtures().members["3456789"]
    # 20:00 UTC on 24 November is already 25 November in Kolkata.
    now = to_ms(datetime.fromisoformat("2026-11-24T20:00:00+00:00"))
    busy = member.busy_times(now)
    kolkata = ZoneInfo("Asia/Kolkata")
    day_after = (
        to_ms(datetime(2026, 11, 26, 11, 0, tzinfo=kolkata)),
        to_ms(datetime(2026, 11, 26, 12, 30, tzinfo=kolkata)),
    )
    assert day_after in busy
    absolute = (
        to_ms(datetime.fromisoformat("2026-12-01T10:00:00+05:30")),
        to_ms(datetime.fromisoformat("2026-12-01T11:00:00+05:30")),
    )
    assert absolute in busy


def mutate(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = copy.deepcopy(SHIPPED)
    change(document)
    return document


BROKEN: list[tuple[Callable[[dict[str, Any]], object], str]] = [
    (
        lambda d: d["links"][3].update(durationsMinutes=[]),
        "links[3].durationsMinutes: expected a non-empty list of positive integers",
    ),
    (
        lambda d: d["links"][0].update(durationsMinutes=[30, -15]),
        "links[0].durationsMinutes: expected a non-empty list of positive integers",
    ),
    (
        lambda d: d["members"][1].update(timeZone="Mars/Olympus_Mons"),
        "members[1].timeZone: unknown IANA time zone 'Mars/Olympus_Mons'",
    ),
    (
        lambda d: d["members"][0]["workingHours"].update(MONDAY=["9am", "17:00"]),
        'members[0].workingHours.MONDAY[0]: expected a local time "HH:MM"',
    ),
    (
        lambda d: d["members"][0]["workingHours"].update(MONDAY=["17:00", "09:00"]),
        "members[0].workingHours.MONDAY: expected the end after the start",
    ),
    (
        lambda d: d["members"][0]["busy"].append({"start": "2026-01-01T10:00:00", "end": "x"}),
        "members[0].busy[4].start: expected an ISO-8601 instant with an offset",
    ),
    (
        lambda d: d["links"][2].update(organizerUserId="999"),
        "links[2].organizerUserId: no member has userId '999'",
    ),
    (
        lambda d: d["links"][1].update(slug="mel-nelson"),
        "links[1].slug: duplicate slug 'mel-nelson'",
    ),
    (
        lambda d: d["links"][4]["formFields"][0].update(options=[]),
        "links[4].formFields[0].options: a select field needs a non-empty list of options",
    ),
    (
        lambda d: d["links"][0].update(startIncrement="SEVEN"),
        "links[0].startIncrement: expected one of FIVE, TEN, FIFTEEN",
    ),
    (
        lambda d: d["links"][0].update(type="PERSONAL_LINK", memberUserIds=["1234567", "2345678"]),
        "links[0].memberUserIds: a PERSONAL_LINK has only its organizer",
    ),
    (
        lambda d: d["generated"]["template"].update(weeksToAdvertise=0),
        "generated.template (link 1).weeksToAdvertise: expected an integer between 1 and 104",
    ),
    (lambda d: d.pop("members"), "members: expected a non-empty list"),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_a_broken_file_fails_at_app_creation_naming_file_and_fault(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    path = tmp_path / "portal.json"
    path.write_text(json.dumps(mutate(change)))
    with pytest.raises(FixtureError) as caught:
        create_sandbox_app(SandboxConfig(fixtures_path=path))
    assert str(caught.value).startswith(f"{path}: {message}")


def test_unreadable_and_invalid_json_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(FixtureError, match=r"missing\.json: cannot be read"):
        load_fixtures(missing)
    garbled = tmp_path / "garbled.json"
    garbled.write_text('{"members": [')
    with pytest.raises(FixtureError, match=r"garbled\.json: not valid JSON"):
        load_fixtures(garbled)


def test_a_custom_file_replaces_the_portal(tmp_path: Path) -> None:
    document = mutate(lambda d: d.pop("generated"))
    document["links"] = document["links"][:1]
    path = tmp_path / "small.json"
    path.write_text(json.dumps(document))
    fixtures = load_fixtures(path)
    assert [link.slug for link in fixtures.links] == ["mel-nelson"]
