"""Work that waits for a request's answer: at once outside one, else once it is sent."""

from __future__ import annotations

import asyncio

from gateway.answering import Answering, answer_sent


async def test_outside_a_request_nothing_waits() -> None:
    async with asyncio.timeout(1):
        await answer_sent()


async def test_work_started_while_answering_waits_for_the_answer() -> None:
    answering = Answering()
    token = answering.during()
    try:
        waiting = [asyncio.ensure_future(answer_sent()) for _ in range(3)]
    finally:
        Answering.leave(token)
    await asyncio.wait(waiting, timeout=0.05)
    assert not any(task.done() for task in waiting)
    waiting[0].cancel()  # one waiter given up on leaves the others waiting
    await asyncio.gather(waiting[0], return_exceptions=True)
    assert not any(task.done() for task in waiting[1:])
    answering.sent()
    async with asyncio.timeout(1):
        await asyncio.gather(*waiting[1:])


async def test_once_sent_a_wait_returns_at_once_and_sent_again_changes_nothing() -> None:
    answering = Answering()
    answering.sent()
    answering.sent()
    token = answering.during()
    try:
        async with asyncio.timeout(1):
            await answer_sent()
    finally:
        Answering.leave(token)
