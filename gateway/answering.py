"""Whether the request being answered has begun to send its answer, for work that can wait.

A cache load's writes (Redis's copy, then L1's with its size walk) are not part of the answer
that needed the value, yet as tasks of the same event loop they would run between the answer's
own steps, each a few hundred microseconds of the one core a process has. The edge marks each
HTTP request with its status capture (``gateway.edge.status.ResponseStatus``, an ``Answering``),
which says when the answer's first bytes go out (``sent``); work that belongs after the answer
awaits ``answer_sent()`` first. Outside a request, and once its answer
has begun, that returns at once.

Tasks started while handling a request copy its context, so a single-flight load's writes wait
for the answer of the request that started the load (the others that share it are answered
from the flight meanwhile).
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar, Token

_CURRENT: ContextVar[Answering | None] = ContextVar("gateway_answering", default=None)


class Answering:
    """One request's answer, not yet sent."""

    __slots__ = ("_done", "_event")

    def __init__(self) -> None:
        self._done = False
        self._event: asyncio.Event | None = None  # made for the first waiter only

    def during(self) -> Token[Answering | None]:
        """Mark the code from here (and the tasks it starts) as answering this request; hand
        the token back to ``leave``."""
        return _CURRENT.set(self)

    @staticmethod
    def leave(token: Token[Answering | None]) -> None:
        _CURRENT.reset(token)

    def sent(self) -> None:
        """The answer has begun to go out (or will never): the work waiting for it starts."""
        if not self._done:
            self._done = True
            if self._event is not None:
                self._event.set()

    async def wait(self) -> None:
        if self._done:
            return
        if self._event is None:
            self._event = asyncio.Event()
        await self._event.wait()


async def answer_sent() -> None:
    """Return once the current request's answer has begun to go out (at once outside one)."""
    answering = _CURRENT.get()
    if answering is not None:
        await answering.wait()
