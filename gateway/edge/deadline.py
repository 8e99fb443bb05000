"""Every HTTP request answers within ``GATEWAY_REQUEST_DEADLINE`` seconds.

The upstream's share (``gateway.deadline.current_deadline``) ends ``margin`` earlier, so that
the cache can answer stale data, or a resolver a typed error, before the backstop here fires.
The backstop (an ``asyncio.Timeout``) catches whatever else might hang, such as a wait on
another process's cache lease, and answers a typed 504 in the shape of the surface asked
(GraphQL's errors on ``/graphql``, HubSpot's error body on REST paths) rather than a 500 or
nothing.

A request that answers without waiting once (as every answer the response cache holds does)
has nothing a backstop could end: the app's first step runs bare, and the backstop guards the
rest, from its first wait, against the time the request came in. The backstops share one timer
(``_Watch``): every request gets the same time, so they expire in the order they came, and the
loop's timer waits for the oldest one still in flight. A request pays a dictionary's insert and
delete, not a timer of the event loop's of its own.

A subscription streamed over SSE (``Accept: text/event-stream``: a POST whose document is not
a query or mutation, or a GET, as a browser's ``EventSource`` sends) is no request to answer
in time: it lives until its client or the server ends it, so it has no deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from starlette.types import ASGIApp, Receive, Scope

from gateway.deadline import deadline_after
from gateway.edge.body import graphql_request_of, header_of
from gateway.edge.refusal import GRAPHQL_PATH, Refusal, refuse
from gateway.edge.request import GraphQLRequest
from gateway.edge.status import ResponseStatus

TIMED_OUT = "UPSTREAM_UNAVAILABLE"


class Deadline:
    """Asked by the edge inside access control and the body's read, so that a browser can read
    the 504 (it passes the edge's CORS) and the request's own time is what it bounds."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        # Time left after the upstream gives up, to build an answer from what is at hand (a
        # stale read, ``BookingInProgress``): a quarter of a short deadline, so that a loaded
        # process still answers in type before the backstop's 504.
        self.margin = min(0.5, seconds * 0.25)
        message = f"The gateway could not answer within its {seconds:g} s deadline."
        self.timed_out = Refusal(504, TIMED_OUT, message, executed=True)
        self._watch = _Watch()

    async def run(
        self, app: ASGIApp, scope: Scope, receive: Receive, answer: ResponseStatus
    ) -> None:
        """``app`` answers within the deadline, or the backstop does."""
        if _is_stream(scope):
            await app(scope, receive, answer)
            return
        with deadline_after(self.seconds - self.margin) as upstream_due:
            running = app(scope, receive, answer).__await__()
            try:
                # Its first step, up to its first wait: most answers (any the response cache
                # holds) end there, and one that never waits needs no backstop.
                waiting = running.send(None)
            except StopIteration:
                return
            # The backstop's time: the loop's clock is the monotonic one (asyncio's is
            # ``time.monotonic``; uvloop's, libuv's monotonic milliseconds).
            due = upstream_due + self.margin
            backstop = asyncio.Timeout(None)
            try:
                async with backstop:
                    self._watch.add(backstop, due)
                    try:
                        await _Rest(running, waiting)
                    finally:
                        self._watch.discard(backstop)
            except TimeoutError:
                if not backstop.expired() or answer.started:
                    # Not ours, or too late to answer: the status line has gone already.
                    raise
                await refuse(scope, answer, self.timed_out)


class _Rest:
    """The rest of an awaitable's steps once it has run up to its first wait (on ``waiting``):
    awaiting this waits on what it waits on and passes in what its task passes or throws, as
    awaiting it from its start would have."""

    __slots__ = ("_running", "_waiting")

    def __init__(self, running: Generator[Any, Any, None], waiting: object) -> None:
        self._running = running
        self._waiting = waiting

    def __await__(self) -> Generator[object, object, None]:
        running, waiting = self._running, self._waiting
        while True:
            try:
                try:
                    sent = yield waiting
                except GeneratorExit:
                    running.close()
                    raise
                except BaseException as error:  # a cancellation among them: the app's to see
                    waiting = running.throw(error)
                else:
                    waiting = running.send(sent)
            except StopIteration:
                return


class _Watch:
    """The backstops in flight, oldest first, with the loop time each expires at, and the one
    timer that expires them: it fires when the oldest is due, expires every backstop due by
    then (asyncio's own expiry: the task is cancelled, its ``async with`` raises
    ``TimeoutError``) and waits for the next oldest."""

    def __init__(self) -> None:
        self._due: dict[asyncio.Timeout, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def add(self, backstop: asyncio.Timeout, due: float) -> None:
        """``due``: the loop's time the request's deadline ends at."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new loop (an app served again, as tests do): the old one's requests are gone.
            self._due.clear()
            self._loop, self._timer = loop, None
        self._due[backstop] = due
        if self._timer is None:
            self._timer = loop.call_at(due, self._expire)

    def discard(self, backstop: asyncio.Timeout) -> None:
        self._due.pop(backstop, None)

    def _expire(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        for backstop, due in list(self._due.items()):
            if due > now:
                self._timer = self._loop.call_at(due, self._expire)
                return
            del self._due[backstop]
            backstop.reschedule(now)


def _is_stream(scope: Scope) -> bool:
    if "text/event-stream" not in (header_of(scope, b"accept") or ""):
        return False
    if scope["method"] == "GET":
        # A browser's EventSource: its document is in the query string.
        return bool(scope["path"] == GRAPHQL_PATH)
    found = graphql_request_of(scope)
    # A persisted query sent by its hash alone has no type yet; its document may subscribe.
    return isinstance(found, GraphQLRequest) and found.operation.type not in ("query", "mutation")
