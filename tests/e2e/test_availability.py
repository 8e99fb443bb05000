"""Availability over GraphQL: ranges across month pages, time zones, DST and empty reasons."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.harness import Gateway, operation

AVAILABILITY = operation("MeetingLinkAvailability")


async def slots(gateway: Gateway, slug: str = "mel-nelson", **variables: object) -> Any:
    data = await gateway.data(AVAILABILITY, {"slug": slug, **variables})
    return data["meetingLink"]["availability"]


async def test_same_instants_in_every_zone(gateway: Gateway) -> None:
    window: dict[str, Any] = {
        "from": "2026-03-03T00:00:00Z",
        "to": "2026-03-05T00:00:00Z",
        "durationMinutes": 30,
    }
    new_york = await slots(gateway, timeZone="America/New_York", **window)
    kolkata = await slots(gateway, timeZone="Asia/Kolkata", **window)
    ny = [datetime.fromisoformat(s["start"]) for s in new_york["slots"]]
    ko = [datetime.fromisoformat(s["start"]) for s in kolkata["slots"]]
    assert ny
    assert ny == ko
    assert {d.utcoffset() for d in ny} == {timedelta(hours=-5)}
    assert {d.utcoffset() for d in ko} == {timedelta(hours=5, minutes=30)}


async def test_slots_follow_new_york_daylight_saving(gateway: Gateway) -> None:
    week = await slots(
        gateway,
        timeZone="America/New_York",
        **{"from": "2026-03-06T00:00:00-05:00", "to": "2026-03-10T00:00:00-04:00"},
        durationMinutes=60,
    )
    starts = [datetime.fromisoformat(s["start"]) for s in week["slots"]]
    before = [d for d in starts if d.day == 6]
    after = [d for d in starts if d.day == 9]
    assert before
    assert after
    assert {d.utcoffset() for d in before} == {timedelta(hours=-5)}
    assert {d.utcoffset() for d in after} == {timedelta(hours=-4)}
    # Working hours are local wall time (09:00-17:00) on both sides of the change.
    assert all(d.hour >= 9 and (d + timedelta(hours=1)).hour <= 17 for d in before + after)


async def test_a_range_across_months_is_merged_sorted_and_trimmed(gateway: Gateway) -> None:
    # Lena's demo link advertises six weeks, so this range needs the March and April pages.
    start, end = "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z"
    result = await slots(
        gateway, "lena-fischer/product-demo", timeZone="UTC", **{"from": start, "to": end}
    )
    instants = [(s["start"], s["durationMinutes"]) for s in result["slots"]]
    assert instants == sorted(instants, key=lambda i: (datetime.fromisoformat(i[0]), i[1]))
    assert len(set(instants)) == len(instants)
    months = {datetime.fromisoformat(s).month for s, _ in instants}
    assert months == {3, 4}
    assert all(start <= s < end for s, _ in instants)
    assert result["durationsMinutes"] == [30, 60]


async def test_first_caps_and_says_there_is_more(gateway: Gateway) -> None:
    result = await slots(gateway, timeZone="UTC", first=3)
    assert len(result["slots"]) == 3
    assert result["hasMore"] is True


async def test_empty_ranges_say_why(gateway: Gateway) -> None:
    not_offered = await slots(gateway, timeZone="UTC", durationMinutes=45)
    assert not_offered["slots"] == []
    assert not_offered["emptyReason"] == "DURATION_NOT_OFFERED"
    beyond = await slots(
        gateway, timeZone="UTC", **{"from": "2026-06-01T00:00:00Z", "to": "2026-06-08T00:00:00Z"}
    )
    assert beyond["emptyReason"] == "BEYOND_BOOKING_WINDOW"
    weekend = await slots(
        gateway, timeZone="UTC", **{"from": "2026-03-07T00:00:00Z", "to": "2026-03-08T00:00:00Z"}
    )
    assert weekend["slots"] == []
    assert weekend["emptyReason"] in {"NO_WORKING_HOURS", "FULLY_BOOKED"}


ONLY_AVAILABILITY = """
query($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime, $durationMinutes: Int) {
  meetingLink(slug: $slug) {
    availability(timeZone: $timeZone, from: $from, to: $to, durationMinutes: $durationMinutes) {
      slots { start }
    }
  }
}
"""


async def test_bad_arguments_cost_no_upstream_call(gateway: Gateway) -> None:
    await gateway.data(ONLY_AVAILABILITY, {"slug": "mel-nelson", "timeZone": "UTC"})
    before = await gateway.calls()
    for variables in (
        {"timeZone": "EST"},
        {"timeZone": "+05:00"},
        {"timeZone": "UTC", "from": "2026-03-03T09:00:00"},
        {"timeZone": "UTC", "from": "2026-03-05T00:00:00Z", "to": "2026-03-04T00:00:00Z"},
        {"timeZone": "UTC", "from": "2026-03-03T00:00:00Z", "to": "2027-03-03T00:00:00Z"},
        {"timeZone": "UTC", "durationMinutes": -5},
    ):
        body = await gateway.execute(ONLY_AVAILABILITY, {"slug": "mel-nelson", **variables})
        assert body.get("errors"), variables
        assert body["errors"][0]["extensions"]["code"] in {
            "BAD_USER_INPUT",
            "INVALID_RANGE",
            "RANGE_TOO_LONG",
            "OUT_OF_RANGE",
        }, body
    assert await gateway.calls() == before


async def test_next_available_slot_is_the_first_slot(gateway: Gateway) -> None:
    data = await gateway.data(
        AVAILABILITY, {"slug": "mel-nelson", "timeZone": "Europe/Berlin", "durationMinutes": 30}
    )
    link = data["meetingLink"]
    assert link["nextAvailableSlot"] == link["availability"]["slots"][0]
    assert link["nextAvailableSlot"]["start"].endswith("+01:00")
