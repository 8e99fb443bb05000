"""An awaitable's first step run at once, the rest as a task only when it waits."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gateway.steps import gathered, started

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="caller")


@contextmanager
def counted_tasks() -> Iterator[list[object]]:
    loop = asyncio.get_running_loop()
    made: list[object] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    try:
        yield made
    finally:
        loop.set_task_factory(None)


async def at_once(value: int) -> int:
    return value


async def after_a_wait(event: asyncio.Event, value: int) -> int:
    await event.wait()
    return value


async def test_a_coroutine_that_never_waits_is_done_without_a_task() -> None:
    with counted_tasks() as made:
        future = started(at_once(7))
        assert future.done()
        assert await future == 7
    assert made == []


async def test_a_coroutine_that_waits_goes_on_as_a_task() -> None:
    event = asyncio.Event()
    with counted_tasks() as made:
        future = started(after_a_wait(event, 8))
    assert not future.done()
    assert len(made) == 1
    event.set()
    assert await future == 8


async def test_an_error_of_the_first_step_is_the_future_s() -> None:
    async def failing() -> int:
        raise LookupError("nothing")

    future = started(failing())
    assert future.done()
    with pytest.raises(LookupError, match="nothing"):
        await future


async def test_the_steps_run_in_one_copy_of_the_caller_s_context() -> None:
    seen: list[str] = []
    event = asyncio.Event()

    async def marking() -> None:
        token = MARK.set("inside")
        seen.append(MARK.get())
        await event.wait()
        seen.append(MARK.get())
        MARK.reset(token)  # a token made in the first step resets after the wait

    future = started(marking())
    assert MARK.get() == "caller"
    event.set()
    await future
    assert seen == ["inside", "inside"]
    assert MARK.get() == "caller"


async def test_cancelling_the_rest_reaches_the_coroutine() -> None:
    ended: list[str] = []

    async def waiting() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("cleaned up")

    future = started(waiting())
    await asyncio.sleep(0)
    future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await future
    assert ended == ["cleaned up"]


async def test_gathered_done_futures_answer_without_waiting_a_turn() -> None:
    gathering = gathered([started(at_once(1)), started(at_once(2))]).__await__()
    with pytest.raises(StopIteration) as done:
        gathering.send(None)
    assert done.value.value == [1, 2]


async def test_gathered_waits_for_those_still_running_in_order() -> None:
    event = asyncio.Event()
    futures = [started(after_a_wait(event, 3)), started(at_once(4))]
    asyncio.get_running_loop().call_soon(event.set)
    assert await gathered(futures) == [3, 4]


async def test_gathered_done_futures_raise_the_first_error_and_take_every_one() -> None:
    async def failing(message: str) -> int:
        raise ValueError(message)

    futures = [started(at_once(1)), started(failing("first")), started(failing("second"))]
    with pytest.raises(ValueError, match="first"):
        await gathered(futures)
    # Each error was taken: none is reported as never retrieved.
    assert all(future._log_traceback is False for future in futures)
