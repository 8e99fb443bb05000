"""A loader reads each key once per request, and every asker gets the same outcome."""

from __future__ import annotations

import asyncio

import pytest

from gateway.graphql.loaders import Loader


class Reads:
    def __init__(self, *, fail: bool = False, wait: asyncio.Event | None = None) -> None:
        self.keys: list[str] = []
        self.fail = fail
        self.wait = wait

    async def __call__(self, key: str) -> str:
        self.keys.append(key)
        if self.wait is not None:
            await self.wait.wait()
        if self.fail:
            raise LookupError(f"no {key}")
        return key.upper()


async def test_each_key_is_read_once() -> None:
    reads = Reads()
    loader = Loader(reads)
    assert await loader.load("a") == "A"
    assert await loader.load("a") == "A"
    assert await loader.load("b") == "B"
    assert reads.keys == ["a", "b"]


async def test_concurrent_askers_share_one_read() -> None:
    reads = Reads(wait=asyncio.Event())
    loader = Loader(reads)
    tasks = [asyncio.create_task(loader.load(key)) for key in ("a", "a", "b")]
    await asyncio.sleep(0)
    assert reads.wait is not None
    reads.wait.set()
    assert await asyncio.gather(*tasks) == ["A", "A", "B"]
    assert reads.keys == ["a", "b"]


async def test_a_failure_is_every_askers_and_not_read_again() -> None:
    reads = Reads(fail=True)
    loader = Loader(reads)
    errors = []
    for _ in range(2):
        with pytest.raises(LookupError) as raised:
            await loader.load("a")
        errors.append(raised.value)
    assert errors[0] is errors[1]
    assert reads.keys == ["a"]


async def test_a_cancelled_read_is_read_again() -> None:
    reads = Reads(wait=asyncio.Event())
    loader = Loader(reads)
    first = asyncio.create_task(loader.load("a"))
    waiting = asyncio.create_task(loader.load("a"))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert reads.wait is not None
    reads.wait.set()
    assert await loader.load("a") == "A"
    assert reads.keys == ["a", "a"]


async def test_a_waiting_asker_cancelled_leaves_the_read_to_the_others() -> None:
    reads = Reads(wait=asyncio.Event())
    loader = Loader(reads)
    first = asyncio.create_task(loader.load("a"))
    waiting = asyncio.create_task(loader.load("a"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert reads.wait is not None
    reads.wait.set()
    assert await first == "A"
    assert await loader.load("a") == "A"
    assert reads.keys == ["a"]
