"""earliestSlot: the minimum of each link's nextAvailableSlot, skipping held slots, bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.harness import Gateway, operation

EARLIEST = operation("EarliestSlot")
HOLD = operation("HoldSlot")
# Organizers in New York, Berlin, Kolkata, Kathmandu and Lord Howe (see the sandbox fixtures).
SLUGS = ["mel-nelson", "lena-fischer/product-demo", "priya-raman", "arjun-shrestha", "olivia-hart"]
NEXT_SLOT = """
query Next($slug: String!, $after: DateTime) {
  meetingLink(slug: $slug) {
    slug
    nextAvailableSlot(timeZone: "Asia/Tokyo", durationMinutes: 30, after: $after) { start end }
  }
}
"""


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def minimum_of_next_slots(gateway: Gateway, after: str | None = None) -> tuple[str, str]:
    found: list[tuple[datetime, str, str]] = []
    for slug in SLUGS:
        link = (await gateway.data(NEXT_SLOT, {"slug": slug, "after": after}))["meetingLink"]
        if link["nextAvailableSlot"]:
            start = link["nextAvailableSlot"]["start"]
            found.append((instant(start), slug, start))
    _, slug, start = min(found)
    return slug, start


async def earliest(gateway: Gateway, slugs: list[str], **extra: Any) -> Any:
    variables = {"slugs": slugs, "timeZone": "Asia/Tokyo", "durationMinutes": 30, **extra}
    return (await gateway.data(EARLIEST, variables))["earliestSlot"]


async def test_the_earliest_slot_is_the_minimum_of_each_links_next_slot(gateway: Gateway) -> None:
    slug, start = await minimum_of_next_slots(gateway)
    found = await earliest(gateway, SLUGS)
    assert found["meetingLink"]["slug"] == slug
    assert found["slot"]["start"] == start
    assert found["slot"]["start"].endswith("+09:00")
    later = "2026-03-20T00:00:00Z"
    slug, start = await minimum_of_next_slots(gateway, later)
    found = await earliest(gateway, SLUGS, after=later)
    assert (found["meetingLink"]["slug"], found["slot"]["start"]) == (slug, start)


async def test_the_earliest_slot_skips_a_held_slot(gateway: Gateway) -> None:
    slug, start = await minimum_of_next_slots(gateway)
    held = await gateway.data(
        HOLD,
        {"input": {"slug": slug, "start": start, "durationMinutes": 30, "timeZone": "UTC"}},
    )
    assert held["holdSlot"]["__typename"] == "SlotHeld", held
    found = await earliest(gateway, SLUGS)
    assert (found["meetingLink"]["slug"], found["slot"]["start"]) != (slug, start)
    # Still the minimum of each link's next slot, which skips the held one too.
    assert (found["meetingLink"]["slug"], found["slot"]["start"]) == (
        await minimum_of_next_slots(gateway)
    )


async def test_unknown_links_are_skipped_and_none_found_is_null(gateway: Gateway) -> None:
    assert await earliest(gateway, ["no-such-link", "../etc"]) is None
    assert await earliest(gateway, []) is None


async def test_more_than_ten_slugs_are_refused_before_any_read(gateway: Gateway) -> None:
    before = await gateway.calls()
    body = await gateway.execute(
        EARLIEST, {"slugs": [f"link-{i}" for i in range(11)], "timeZone": "UTC"}
    )
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["LIST_TOO_LARGE"]
    assert await gateway.calls() == before
