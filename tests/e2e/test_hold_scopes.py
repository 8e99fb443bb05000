"""What a hold covers on each kind of link, retries with a key, and refused input, in one
process (holds in process, no Redis)."""

from __future__ import annotations

from typing import Any

from tests.support.bookings import booking
from tests.support.harness import Gateway, operation

AVAILABILITY = operation("MeetingLinkAvailability")
HOLD = operation("HoldSlot")
BOOK = operation("BookMeeting")
PERSONAL = "mel-nelson"
GROUP = "acme-team/group-review"
ROUND_ROBIN = "acme-team/ai-booked-call"
LENA = "lena-fischer/product-demo"


async def starts(gateway: Gateway, slug: str) -> set[str]:
    data = await gateway.data(
        AVAILABILITY, {"slug": slug, "timeZone": "UTC", "durationMinutes": 30}
    )
    return {slot["start"] for slot in data["meetingLink"]["availability"]["slots"]}


async def hold(gateway: Gateway, slug: str, start: str, **extra: Any) -> dict[str, Any]:
    variables = {
        "input": {"slug": slug, "start": start, "durationMinutes": 30, "timeZone": "UTC", **extra}
    }
    result: dict[str, Any] = (await gateway.data(HOLD, variables))["holdSlot"]
    return result


async def test_a_group_hold_takes_every_members_time(gateway: Gateway) -> None:
    start = sorted(await starts(gateway, GROUP) & await starts(gateway, LENA))[0]
    assert (await hold(gateway, GROUP, start))["__typename"] == "SlotHeld"
    assert start not in await starts(gateway, GROUP)
    assert start not in await starts(gateway, LENA)
    # Lena's own link cannot hold it either.
    assert (await hold(gateway, LENA, start))["__typename"] == "SlotUnavailable"


async def test_a_personal_hold_takes_the_slot_from_a_round_robin_link_of_its_member(
    gateway: Gateway,
) -> None:
    start = sorted(await starts(gateway, PERSONAL) & await starts(gateway, ROUND_ROBIN))[0]
    assert (await hold(gateway, PERSONAL, start))["__typename"] == "SlotHeld"
    assert start not in await starts(gateway, PERSONAL)
    assert start not in await starts(gateway, ROUND_ROBIN)
    before = await gateway.calls()
    refused = (await gateway.data(BOOK, booking(ROUND_ROBIN, start, 30)))["bookMeeting"]
    assert refused["__typename"] == "SlotUnavailable", refused
    assert (await gateway.calls()).get("book", 0) == before.get("book", 0)


async def test_a_round_robin_hold_takes_its_link_and_leaves_free_members_other_links(
    gateway: Gateway,
) -> None:
    start = sorted(await starts(gateway, ROUND_ROBIN) & await starts(gateway, LENA))[0]
    held = await hold(gateway, ROUND_ROBIN, start)
    assert held["__typename"] == "SlotHeld", held
    assert start not in await starts(gateway, ROUND_ROBIN)
    # No calendar of the members is busy then: any of them could take it, none is held.
    assert start in await starts(gateway, LENA)
    assert (await hold(gateway, ROUND_ROBIN, start))["__typename"] == "SlotUnavailable"


async def test_a_retry_with_the_same_key_gets_the_same_hold(gateway: Gateway) -> None:
    first, second = sorted(await starts(gateway, PERSONAL))[2:4]
    held = await hold(gateway, PERSONAL, first, idempotencyKey="visitor-1")
    again = await hold(gateway, PERSONAL, first, idempotencyKey="visitor-1")
    assert held["__typename"] == again["__typename"] == "SlotHeld"
    assert again["hold"]["id"] == held["hold"]["id"]
    other = await hold(gateway, PERSONAL, second, idempotencyKey="visitor-1")
    assert other["__typename"] == "InvalidHoldInput"
    assert other["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_refused_hold_input_costs_no_upstream_call(gateway: Gateway) -> None:
    start = sorted(await starts(gateway, PERSONAL))[0]
    before = await gateway.calls()
    bad_slug = await hold(gateway, "../admin", start)
    assert bad_slug["__typename"] == "InvalidHoldInput"
    no_minutes = await gateway.data(
        HOLD,
        {"input": {"slug": PERSONAL, "start": start, "durationMinutes": 0, "timeZone": "UTC"}},
    )
    assert no_minutes["holdSlot"]["__typename"] == "InvalidHoldInput"
    assert await gateway.calls() == before
    # A duration the link does not offer: refused on its cached booking info alone.
    odd = await gateway.data(
        HOLD,
        {"input": {"slug": PERSONAL, "start": start, "durationMinutes": 45, "timeZone": "UTC"}},
    )
    assert odd["holdSlot"]["errors"][0]["code"] == "MEETING_DURATION_NOT_VALID"
    assert await gateway.calls() == before
    unknown = await hold(gateway, "no-such-link", start)
    assert unknown["__typename"] == "MeetingLinkNotFound"
