"""Bookings' fresh reads: shared by the bookings that began before the read did, never by one
that began after it."""

from __future__ import annotations

import asyncio

import pytest

from gateway.meetings.fresh import FreshReads


class Upstream:
    """A read that stays in flight until the test lets it answer."""

    def __init__(self) -> None:
        self.reads = 0
        self.answer = asyncio.Event()
        self.reading = asyncio.Event()

    async def read(self) -> int:
        self.reads += 1
        self.reading.set()
        number = self.reads
        await self.answer.wait()
        return number


async def test_bookings_that_began_before_the_read_share_it() -> None:
    fresh: FreshReads[int] = FreshReads()
    upstream = Upstream()
    stamps = [fresh.stamp() for _ in range(3)]
    joined = [fresh.join(("tenant", "mel-nelson", 0), began, upstream.read) for began in stamps]
    assert [led for _, led in joined] == [True, False, False]
    upstream.answer.set()
    assert [await asyncio.shield(read) for read, _ in joined] == [1, 1, 1]
    assert upstream.reads == 1


async def test_a_booking_never_uses_a_read_that_began_before_it() -> None:
    fresh: FreshReads[int] = FreshReads()
    upstream = Upstream()
    key = ("tenant", "mel-nelson", 0)
    first, _ = fresh.join(key, fresh.stamp(), upstream.read)
    await upstream.reading.wait()  # the first read is under way
    late = fresh.stamp()
    second, led = fresh.join(key, late, upstream.read)
    assert led  # the read in flight may have seen the upstream before this booking began
    joined, led = fresh.join(key, late, upstream.read)
    assert not led  # the next read began after it: shared
    assert joined is second
    other, led = fresh.join(("tenant", "mel-nelson", 1), late, upstream.read)
    assert led  # another month page has a read of its own
    upstream.answer.set()
    assert await asyncio.shield(first) == 1
    assert await asyncio.shield(second) == 2
    assert await asyncio.shield(other) == 3
    # A booking that began before the second read started may still use it once it ended;
    # one that begins now reads again.
    kept, led = fresh.join(key, late, upstream.read)
    assert not led
    assert await asyncio.shield(kept) == 2
    again, led = fresh.join(key, fresh.stamp(), upstream.read)
    assert led
    assert await asyncio.shield(again) == 4


async def test_ended_reads_are_forgotten_after_a_while() -> None:
    fresh: FreshReads[int] = FreshReads(keep=0.0)
    upstream = Upstream()
    upstream.answer.set()
    began = fresh.stamp()
    first, _ = fresh.join("k", began, upstream.read)
    assert await asyncio.shield(first) == 1
    await asyncio.sleep(0.01)  # past keep=0 on the loop's clock
    second, led = fresh.join("k", began, upstream.read)
    assert led
    assert await asyncio.shield(second) == 2


async def test_a_failed_read_fails_every_booking_sharing_it() -> None:
    fresh: FreshReads[int] = FreshReads()

    async def broken() -> int:
        raise ConnectionError("gone")

    reads = [fresh.join("k", fresh.stamp(), broken)[0] for _ in range(2)]
    assert reads[0] is reads[1]
    for read in reads:
        with pytest.raises(ConnectionError):
            await asyncio.shield(read)
