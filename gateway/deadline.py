"""One deadline per client request, carried in a context variable.

The edge's ``Deadline`` step (``gateway.edge.deadline``) stamps the deadline when a
request arrives and bounds the whole answer by it. The upstream's share ends a margin earlier:
the HubSpot client reads ``current_deadline()`` so that its attempts, rate-budget waits and
backoff stop in time for the cache to answer stale data, or a resolver to report a typed error,
before the backstop fires.

The backstop (``asyncio.timeout``) catches whatever else might hang, such as a wait on another
process's cache lease, and answers a typed 504 rather than a 500 or nothing.

Tasks started while handling a request (a cache refresh, a single-flight load) copy the
context, so they inherit the deadline of the request that started them. A booking's upstream call
is the exception: once sent it is bounded by its own timeout (``HubSpotClient.book``), so
that its answer is learned even when its client has stopped waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token

_DEADLINE: ContextVar[float | None] = ContextVar("gateway_deadline", default=None)


def current_deadline() -> float | None:
    """When the current request's upstream work must end, on ``time.monotonic``; None outside
    a request."""
    return _DEADLINE.get()


def deadline_after(
    seconds: float, *, timer: Callable[[], float] = time.monotonic
) -> AbstractContextManager[float]:
    """Set a deadline ``seconds`` from now for the code inside; an earlier one set by a caller
    still wins."""
    return _Deadline(timer() + seconds)


class _Deadline:
    """``deadline_after``'s context: a class, as every request enters one."""

    __slots__ = ("_deadline", "_token")

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self._token: Token[float | None] | None = None

    def __enter__(self) -> float:
        outer = _DEADLINE.get()
        if outer is not None:
            self._deadline = min(self._deadline, outer)
        self._token = _DEADLINE.set(self._deadline)
        return self._deadline

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None
        _DEADLINE.reset(self._token)
