"""An awaitable's steps: its first run now, the rest awaited later.

A coroutine that answers from memory ends in its first step, without waiting once; a task made
for it would cost a task and turns of the event loop for nothing. ``started`` runs that first
step at once and hands back a future that is already done when nothing was waited for, else a
task that runs the rest. ``Rest`` is that rest, as an awaitable.

    pages = started(read_pages())     # done already when every page is in memory
    holds = started(read_holds())
    ...
    values = await gathered([pages, holds])
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


class Rest:
    """The rest of an awaitable's steps once it has run up to its first wait (on ``waiting``):
    awaiting this waits on what it waits on and passes in what its task passes or throws, as
    awaiting it from its start would have."""

    __slots__ = ("_running", "_waiting")

    def __init__(self, running: Generator[Any, Any, Any], waiting: object) -> None:
        self._running = running
        self._waiting = waiting

    def __await__(self) -> Generator[object, object, Any]:
        running, waiting = self._running, self._waiting
        while True:
            try:
                try:
                    sent = yield waiting
                except GeneratorExit:
                    running.close()
                    raise
                except BaseException as error:  # a cancellation among them: the awaitable's
                    waiting = running.throw(error)
                else:
                    waiting = running.send(sent)
            except StopIteration as done:
                return done.value


async def _rest(rest: Rest) -> Any:
    return await rest


def started(coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """``coroutine`` run up to its first wait now, in a copy of the caller's context as a task
    would be: a future already done when it ended there, else the task that runs the rest."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    running = coroutine.__await__()
    try:
        waiting = context.run(running.send, None)
    except StopIteration as done:
        future: asyncio.Future[T] = loop.create_future()
        future.set_result(done.value)
        return future
    except asyncio.CancelledError:
        future = loop.create_future()
        future.cancel()
        return future
    except Exception as exc:
        future = loop.create_future()
        future.set_exception(exc)
        return future
    return loop.create_task(_rest(Rest(running, waiting)), context=context)


async def gathered(futures: Iterable[asyncio.Future[T]]) -> list[T]:
    """Every result, in order: at once when all are done (``asyncio.gather`` would wait a turn
    of the loop for them), else as ``asyncio.gather`` gives them."""
    waited = list(futures)
    if all(future.done() for future in waited):
        for future in waited:
            if not future.cancelled():
                future.exception()  # taken, as gather takes each
        return [future.result() for future in waited]
    return list(await asyncio.gather(*waited))
