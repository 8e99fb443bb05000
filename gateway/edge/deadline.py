"""Every HTTP request answers within ``GATEWAY_REQUEST_DEADLINE`` seconds.

The upstream's share (``gateway.deadline.current_deadline``) ends ``margin`` earlier, so that
the cache can answer stale data, or a resolver a typed error, before the backstop here fires.
The backstop (``asyncio.timeout``) catches whatever else might hang, such as a wait on another
process's cache lease, and answers a typed 504 in the shape of the surface asked (GraphQL's
errors on ``/graphql``, HubSpot's error body on REST paths) rather than a 500 or nothing.

A subscription streamed over SSE (``Accept: text/event-stream``: a POST whose document is not
a query or mutation, or a GET, as a browser's ``EventSource`` sends) is no request to answer
in time: it lives until its client or the server ends it, so it has no deadline.
"""

from __future__ import annotations

import asyncio

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

    async def run(
        self, app: ASGIApp, scope: Scope, receive: Receive, answer: ResponseStatus
    ) -> None:
        """``app`` answers within the deadline, or the backstop does."""
        if _is_stream(scope):
            await app(scope, receive, answer)
            return
        with deadline_after(self.seconds - self.margin):
            try:
                async with asyncio.timeout(self.seconds) as backstop:
                    await app(scope, receive, answer)
            except TimeoutError:
                if not backstop.expired() or answer.started:
                    # Not ours, or too late to answer: the status line has gone already.
                    raise
                await refuse(scope, answer, self.timed_out)


def _is_stream(scope: Scope) -> bool:
    if "text/event-stream" not in (header_of(scope, b"accept") or ""):
        return False
    if scope["method"] == "GET":
        # A browser's EventSource: its document is in the query string.
        return bool(scope["path"] == GRAPHQL_PATH)
    found = graphql_request_of(scope)
    # A persisted query sent by its hash alone has no type yet; its document may subscribe.
    return isinstance(found, GraphQLRequest) and found.operation.type not in ("query", "mutation")
