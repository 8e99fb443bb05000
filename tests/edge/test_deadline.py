from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.deadline import current_deadline, deadline_after
from gateway.edge.deadline import Deadline
from gateway.edge.status import ResponseStatus
from gateway.hubspot.paths import ALL_PATHS

REST_PATH = ALL_PATHS[0].links


class Deadlined:
    """The edge's deadline step alone around an app."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.deadline = Deadline(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.deadline.run(self.app, scope, receive, ResponseStatus(send))


def app(seconds: float) -> Starlette:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(30)
        return JSONResponse({})

    async def left(request: Request) -> Response:
        deadline = current_deadline()
        assert deadline is not None
        return JSONResponse({"left": deadline - time.monotonic()})

    return Starlette(
        # A GraphQL path and a REST path: each answers out of time in its own shape.
        routes=[Route("/graphql", slow), Route(REST_PATH, slow), Route("/left", left)],
        middleware=[Middleware(Deadlined, seconds=seconds)],
    )


async def test_a_request_out_of_time_gets_a_typed_answer() -> None:
    transport = httpx.ASGITransport(app=app(0.3))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        started = time.monotonic()
        response = await client.get("/graphql")
        took = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["data"] is None
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "0.3 s deadline" in error["message"]
    assert took < 0.3 + 1.0


async def test_a_rest_request_out_of_time_gets_hubspots_error_body() -> None:
    transport = httpx.ASGITransport(app=app(0.3))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(REST_PATH)
    assert response.status_code == 504
    body = response.json()
    assert set(body) == {"status", "message", "correlationId", "category"}
    assert body["status"] == "error"
    assert body["category"] == "UPSTREAM_UNAVAILABLE"
    assert response.headers["x-hubspot-correlation-id"] == body["correlationId"]
    assert "0.3 s deadline" in body["message"]


async def test_requests_in_flight_together_each_get_their_own_time() -> None:
    # The backstops share one timer: the second request, 0.2 s younger, is not cut when the
    # first one's time is up, and one that answers in time is untouched by either.
    transport = httpx.ASGITransport(app=app(0.4))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def timed() -> tuple[int, float]:
            started = time.monotonic()
            response = await client.get("/graphql")
            return response.status_code, time.monotonic() - started

        first = asyncio.create_task(timed())
        await asyncio.sleep(0.2)
        second = asyncio.create_task(timed())
        quick = await client.get("/left")
        (first_status, first_took), (second_status, second_took) = await first, await second
    assert quick.status_code == 200
    assert first_status == second_status == 504
    assert 0.39 <= first_took < 0.4 + 1.0
    assert 0.39 <= second_took < 0.4 + 1.0


async def test_the_deadline_counts_from_arrival_when_an_app_first_works_then_waits() -> None:
    # The backstop guards an app from its first wait, against the time the request came in.
    async def busy_then_stuck(scope: Scope, receive: Receive, send: Send) -> None:
        until = time.monotonic() + 0.3
        while time.monotonic() < until:  # work that holds the loop, before any wait
            pass
        await asyncio.sleep(30)

    transport = httpx.ASGITransport(app=Deadlined(busy_then_stuck, seconds=0.5))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        started = time.monotonic()
        response = await client.post("/graphql")
        took = time.monotonic() - started
    assert response.status_code == 504
    assert 0.49 <= took < 0.5 + 0.25  # not 0.5 s after the first wait (0.8 s)


async def test_an_app_sees_the_cancellation_the_backstop_sends_it() -> None:
    cleaned: list[str] = []

    async def stuck(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cleaned.append("cancelled")
            raise

    transport = httpx.ASGITransport(app=Deadlined(stuck, seconds=0.2))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/graphql")
    assert (response.status_code, cleaned) == (504, ["cancelled"])


async def test_a_cancellation_that_is_not_the_deadlines_is_passed_on_unanswered() -> None:
    sent: list[Message] = []
    entered = asyncio.Event()

    async def stuck(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await asyncio.sleep(30)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
    running = asyncio.create_task(
        Deadline(5.0).run(stuck, scope, receive_nothing, ResponseStatus(send))
    )
    await entered.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert sent == []


async def receive_nothing() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def test_an_app_that_never_waits_answers_as_it_would_bare() -> None:
    async def at_once(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"kept"})

    transport = httpx.ASGITransport(app=Deadlined(at_once, seconds=0.2))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/graphql")
    assert (response.status_code, response.content) == (200, b"kept")


@pytest.mark.parametrize(("seconds", "share"), [(5.0, 4.5), (1.0, 0.75)])
async def test_the_upstream_gets_the_deadline_less_a_margin(seconds: float, share: float) -> None:
    transport = httpx.ASGITransport(app=app(seconds))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        left = (await client.get("/left")).json()["left"]
    assert share * 0.8 < left <= share


def test_an_inner_deadline_never_outlives_the_outer() -> None:
    assert current_deadline() is None
    with deadline_after(1.0) as outer:
        with deadline_after(10.0) as inner:
            assert inner == outer == current_deadline()
        with deadline_after(0.1) as shorter:
            assert shorter < outer
        assert current_deadline() == outer
    assert current_deadline() is None
