"""Bookings' fresh reads: shared by the bookings that began before the read did, never by one
that began after it."""

from __future__ import annotations

import asyncio

import pytest

from gateway.meetings.fresh import FreshReads


class Upstream:
    """A read that stays in flight until the test lets it answer; it notes who it served."""

    def __init__(self) -> None:
        self.reads = 0
        self.answer = asyncio.Event()
        self.reading = asyncio.Event()
        self.handed: list[list[str]] = []

    async def read(self, participants: list[str]) -> int:
        self.reads += 1
        self.handed.append(participants)
        self.reading.set()
        number = self.reads
        await self.answer.wait()
        return number


async def test_bookings_that_began_before_the_read_share_it() -> None:
    fresh: FreshReads[int, str] = FreshReads()
    upstream = Upstream()
    stamps = [fresh.stamp() for _ in range(3)]
    joined = [
        fresh.join(("tenant", "mel-nelson", 0), began, upstream.read, f"booking-{n}")
        for n, began in enumerate(stamps)
    ]
    assert [handed for _, handed in joined] == [True, True, True]
    upstream.answer.set()
    assert [await asyncio.shield(read) for read, _ in joined] == [1, 1, 1]
    assert upstream.reads == 1
    # The read knew all three, so it could go out as the oldest of them.
    assert upstream.handed == [["booking-0", "booking-1", "booking-2"]]


async def test_a_booking_never_uses_a_read_that_began_before_it() -> None:
    fresh: FreshReads[int, str] = FreshReads()
    upstream = Upstream()
    key = ("tenant", "mel-nelson", 0)
    first, _ = fresh.join(key, fresh.stamp(), upstream.read, "a")
    await upstream.reading.wait()  # the first read is under way
    late = fresh.stamp()
    second, handed = fresh.join(key, late, upstream.read, "b")
    # The read in flight may have seen the upstream before this booking began: a new one.
    assert second is not first
    assert handed
    joined, _ = fresh.join(key, late, upstream.read, "c")
    assert joined is second  # the next read began after it: shared
    other, _ = fresh.join(("tenant", "mel-nelson", 1), late, upstream.read, "d")
    assert other is not second  # another month page has a read of its own
    upstream.answer.set()
    assert await asyncio.shield(first) == 1
    assert await asyncio.shield(second) == 2
    assert await asyncio.shield(other) == 3
    assert upstream.handed == [["a"], ["b", "c"], ["d"]]
    # A booking that began before the second read started may still use it once it ended
    # (it was not handed to the read, which was already under way); one that begins now
    # reads again.
    kept, handed = fresh.join(key, late, upstream.read, "e")
    assert kept is second
    assert not handed
    assert await asyncio.shield(kept) == 2
    again, _ = fresh.join(key, fresh.stamp(), upstream.read, "f")
    assert await asyncio.shield(again) == 4


async def test_ended_reads_are_forgotten_after_a_while() -> None:
    fresh: FreshReads[int, str] = FreshReads(keep=0.0)
    upstream = Upstream()
    upstream.answer.set()
    began = fresh.stamp()
    first, _ = fresh.join("k", began, upstream.read, "a")
    assert await asyncio.shield(first) == 1
    await asyncio.sleep(0.01)  # past keep=0 on the loop's clock
    second, _ = fresh.join("k", began, upstream.read, "a")
    assert second is not first
    assert await asyncio.shield(second) == 2


async def test_a_failed_read_fails_every_booking_sharing_it() -> None:
    fresh: FreshReads[int, str] = FreshReads()

    async def broken(participants: list[str]) -> int:
        raise ConnectionError("gone")

    reads = [fresh.join("k", fresh.stamp(), broken, name)[0] for name in ("a", "b")]
    assert reads[0] is reads[1]
    for read in reads:
        with pytest.raises(ConnectionError):
            await asyncio.shield(read)
