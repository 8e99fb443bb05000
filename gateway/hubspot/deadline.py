"""One deadline per client request, carried in a context variable.

``DeadlineMiddleware`` stamps the deadline when a request arrives and bounds the whole answer
by it. The upstream's share ends ``margin`` earlier: the HubSpot client reads
``current_deadline()`` so that its attempts, rate-budget waits and backoff stop in time for the
cache to answer stale data, or a resolver to report a typed error, before the backstop fires.
The backstop (``asyncio.timeout``) catches whatever else might hang, such as a wait on another
process's cache lease, and answers a typed 504 rather than a 500 or nothing.

Tasks started while handling a request (a cache refresh, a single-flight load) copy the
context, so they inherit the deadline of the request that started them. A booking's upstream call
is the exception: once sent it is bounded by its own timeout (``HubSpotClient.book``), so
that its answer is learned even when its client has stopped waiting.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DEADLINE: ContextVar[float | None] = ContextVar("gateway_deadline", default=None)


def current_deadline() -> float | None:
    """When the current request's upstream work must end, on ``time.monotonic``; None outside
    a request."""
    return _DEADLINE.get()


@contextmanager
def deadline_after(
    seconds: float, *, timer: Callable[[], float] = time.monotonic
) -> Iterator[float]:
    """Set a deadline ``seconds`` from now for the code inside; an earlier one set by a caller
    still wins."""
    outer = _DEADLINE.get()
    deadline = timer() + seconds
    if outer is not None:
        deadline = min(deadline, outer)
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


class DeadlineMiddleware:
    """Every HTTP request answers within ``seconds``."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        # Time left after the upstream gives up, to build an answer from what is at hand.
        self.margin = min(0.5, seconds * 0.1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with deadline_after(self.seconds - self.margin):
            try:
                async with asyncio.timeout(self.seconds) as backstop:
                    await self.app(scope, receive, tracked)
            except TimeoutError:
                if not backstop.expired() or started:
                    # Not ours, or too late to answer: the status line has gone already.
                    raise
                await self._timed_out(send)

    async def _timed_out(self, send: Send) -> None:
        message = f"The gateway could not answer within its {self.seconds:g} s deadline."
        # GraphQL's error shape, which REST clients can read as well: a message and a code.
        body = json.dumps(
            {
                "data": None,
                "errors": [{"message": message, "extensions": {"code": "UPSTREAM_UNAVAILABLE"}}],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 504,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
