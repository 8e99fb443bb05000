"""Watched ranges over the embedded sandbox: one read per change whatever the streams, bounded
streams, clean ends, limits, and hold expiry seen in process."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.errors import InputError, ShuttingDown, SlowConsumer, TooManyStreams
from gateway.meetings.changes import Reason
from gateway.meetings.watches import Stream, Watches
from tests.support.bookings import booking
from tests.support.harness import Gateway, operation, running_gateway

BOOK = operation("BookMeeting")
HOLD = operation("HoldSlot")
SLUG = "mel-nelson"
FROM = datetime.fromisoformat("2026-03-02T14:00:00+00:00")
TO = datetime.fromisoformat("2026-03-03T14:00:00+00:00")


async def open_stream(gateway: Gateway, slug: str = SLUG, *, end: datetime = TO) -> Stream:
    watches = gateway.runtime.watches
    return await watches.open(
        gateway.runtime.service, slug, start=FROM, end=end, duration_minutes=30
    )


def watches_of(gateway: Gateway) -> Watches:
    return gateway.runtime.watches


async def test_notes_of_one_burst_cost_one_read_for_every_stream(gateway: Gateway) -> None:
    streams = [await open_stream(gateway) for _ in range(3)]
    watches = watches_of(gateway)
    (watch,) = watches.watched()
    assert watches.stats.reads == 1
    for _ in range(5):
        await gateway.runtime.cache.announce(gateway.runtime.service.tenant, Reason.HELD.note)
    await watch.caught_up()
    assert watches.stats.reads == 2  # the burst's notes shared one read
    assert all(stream.failed is False for stream in streams)
    start = "2026-03-02T15:00:00+00:00"
    booked = (await gateway.data(BOOK, booking(SLUG, start, 30)))["bookMeeting"]
    assert booked["__typename"] == "BookingConfirmed"
    await watch.caught_up()
    for stream in streams:
        change = await stream.next()
        assert change is not None
        assert change.reason is Reason.BOOKED
        assert [slot.start_ms for slot in change.removed] == [1772463600000, 1772464500000]
    assert watches.stats.reads == 3
    assert watches.stats.changes == 3
    for stream in streams:
        watches.close(stream)
    assert (watches.open_streams, watches.watched_ranges) == (0, 0)


async def test_a_stream_past_its_bound_fails_and_is_counted() -> None:
    async with running_gateway({"GATEWAY_STREAM_QUEUE": "1"}) as gateway:
        stream = await open_stream(gateway)
        (watch,) = watches_of(gateway).watched()
        for start in ("2026-03-02T15:00:00+00:00", "2026-03-02T16:00:00+00:00"):
            await gateway.data(BOOK, booking(SLUG, start, 30))
            await watch.caught_up()
        with pytest.raises(SlowConsumer):
            await stream.next()
        assert watches_of(gateway).stats.dropped == 1


async def test_an_end_sends_what_is_queued_then_ends(gateway: Gateway) -> None:
    stream = await open_stream(gateway)
    (watch,) = watches_of(gateway).watched()
    await gateway.data(BOOK, booking(SLUG, "2026-03-02T15:00:00+00:00", 30))
    await watch.caught_up()
    watches_of(gateway).end()
    first = await stream.next()
    assert first is not None
    assert first.reason is Reason.BOOKED
    assert await stream.next() is None
    with pytest.raises(ShuttingDown):
        await open_stream(gateway)


async def test_bad_ranges_are_refused_before_any_read(gateway: Gateway) -> None:
    before = await gateway.calls()
    cases = [
        (FROM, "INVALID_RANGE"),
        (datetime.fromisoformat("2026-04-03T14:00Z"), "RANGE_TOO_LONG"),
    ]
    for end, code in cases:
        with pytest.raises(InputError) as refused:
            await open_stream(gateway, end=end)
        assert refused.value.code == code
    with pytest.raises(InputError) as bad_slug:
        await open_stream(gateway, "a/../b")
    assert bad_slug.value.code == "INVALID_SLUG"
    assert await gateway.calls() == before
    with pytest.raises(InputError) as unknown:
        await open_stream(gateway, "nobody-at-all")
    assert unknown.value.code == "MEETING_LINK_NOT_FOUND"
    assert (watches_of(gateway).open_streams, watches_of(gateway).watched_ranges) == (0, 0)


async def test_the_process_serves_at_most_its_streams() -> None:
    async with running_gateway({"GATEWAY_MAX_STREAMS": "2"}) as gateway:
        await open_stream(gateway)
        await open_stream(gateway, end=datetime.fromisoformat("2026-03-04T14:00:00+00:00"))
        with pytest.raises(TooManyStreams):
            await open_stream(gateway)
        assert watches_of(gateway).open_streams == 2


async def test_a_hold_that_runs_out_in_process_is_pushed_as_expired() -> None:
    async with running_gateway({"GATEWAY_HOLD_TTL": "0.2"}) as gateway:
        stream = await open_stream(gateway)
        start = "2026-03-02T15:00:00+00:00"
        hold = {"input": {"slug": SLUG, "start": start, "durationMinutes": 30, "timeZone": "UTC"}}
        held = (await gateway.data(HOLD, hold))["holdSlot"]
        assert held["__typename"] == "SlotHeld", held
        seen = await stream.next()
        assert seen is not None
        assert seen.reason is Reason.HELD
        back = await stream.next()  # the sweeper wakes when the hold runs out
        assert back is not None
        assert back.reason is Reason.EXPIRED
        assert back.added == seen.removed
        assert gateway.runtime.holds.stats.expired == 1
