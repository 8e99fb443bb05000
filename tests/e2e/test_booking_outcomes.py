"""A sent booking's outcome is never lost and never made twice.

The upstream is the sandbox behind a proxy on a loopback port that holds booking answers back
(``slow_upstream``): the meeting is made when the booking arrives, its answer comes after the
client's deadline, or never. The gateway runs with a one-second deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.bookings import booking
from tests.support.harness import Gateway, operation, running_gateway
from tests.support.redis_server import RedisServer
from tests.support.slow_upstream import gateway_on, slow_upstream, until

AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
LATE = 1.6  # seconds a held-back answer takes: past the deadline, within its retry's


async def book(gateway: Gateway, variables: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = (await gateway.data(BOOK, variables))["bookMeeting"]
    return result


async def settle(
    gateway: Gateway, variables: dict[str, Any], *, not_sent_too: bool = False
) -> tuple[dict[str, Any], int]:
    """Book, retrying with the same variables (its key) while the answer is in progress (and,
    with ``not_sent_too``, when it says nothing was sent), as a client told so would; the final
    answer and how many "in progress" came before it."""
    waits = resent = 0
    while True:
        result = await book(gateway, variables)
        if result["__typename"] == "BookingInProgress":
            waits += 1
            assert waits < 20, "the booking stayed in progress"
            assert result["retryAfterSeconds"] == 1
            assert "same idempotencyKey" in result["message"]
        elif not_sent_too and result["__typename"] == "UpstreamUnavailable":
            resent += 1
            assert resent < 20, f"the booking was never sent: {result}"
        else:
            return result, waits


async def slot_starts(gateway: Gateway, slug: str = "mel-nelson") -> list[str]:
    data = await gateway.data(
        AVAILABILITY, {"slug": slug, "timeZone": "UTC", "durationMinutes": 30}
    )
    return [slot["start"] for slot in data["meetingLink"]["availability"]["slots"]]


async def test_a_late_answer_reaches_the_retry_with_the_same_key() -> None:
    async with slow_upstream() as served, gateway_on(served.environ(), served) as gateway:
        start = (await slot_starts(gateway))[0]
        served.upstream.book_delay = lambda: LATE
        variables = booking("mel-nelson", start, 30, idempotencyKey="late-1")
        first = await book(gateway, variables)
        assert first["__typename"] == "BookingInProgress", first
        confirmed, _ = await settle(gateway, variables)
        assert confirmed["__typename"] == "BookingConfirmed", confirmed
        assert datetime.fromisoformat(confirmed["start"]) == datetime.fromisoformat(start)
        assert await book(gateway, variables) == confirmed
        assert (await gateway.calls())["book"] == 1
        assert served.upstream.made == 1


async def test_a_retry_during_the_flight_waits_then_says_in_progress() -> None:
    async with slow_upstream() as served, gateway_on(served.environ(), served) as gateway:
        start = (await slot_starts(gateway))[0]
        served.upstream.book_delay = lambda: 3.0  # past two deadlines
        variables = booking("mel-nelson", start, 30, idempotencyKey="late-2")
        assert (await book(gateway, variables))["__typename"] == "BookingInProgress"
        assert (await book(gateway, variables))["__typename"] == "BookingInProgress"
        assert (await gateway.calls())["book"] == 1

        async def answered() -> bool:
            return served.upstream.answered == 1

        await until(answered)
        confirmed = await book(gateway, variables)
        assert confirmed["__typename"] == "BookingConfirmed", confirmed
        assert (await gateway.calls())["book"] == 1


async def test_a_client_that_goes_away_mid_flight_cuts_nothing_short() -> None:
    async with slow_upstream() as served, gateway_on(served.environ(), served) as gateway:
        start = (await slot_starts(gateway))[0]
        served.upstream.book_delay = lambda: 0.5
        variables = booking("mel-nelson", start, 30, idempotencyKey="gone-1")
        # Over the ASGI transport the request runs in this task: cancelling it is the client
        # hanging up.
        request = asyncio.create_task(book(gateway, variables))

        async def sent() -> bool:
            return served.upstream.made == 1

        await until(sent)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

        async def answered() -> bool:
            return served.upstream.answered == 1

        await until(answered)
        confirmed = await book(gateway, variables)
        assert confirmed["__typename"] == "BookingConfirmed", confirmed
        assert (await gateway.calls())["book"] == 1


async def test_an_answer_that_never_comes_is_unknown_and_never_sent_again() -> None:
    async with slow_upstream() as served:
        environ = served.environ(GATEWAY_UPSTREAM_READ_TIMEOUT="1.5")
        async with gateway_on(environ, served) as gateway:
            start = (await slot_starts(gateway))[0]
            served.upstream.hang = True
            variables = booking("mel-nelson", start, 30, idempotencyKey="lost-1")
            first = await book(gateway, variables)
            assert first["__typename"] == "BookingInProgress", first
            unknown, _ = await settle(gateway, variables)
            assert unknown["__typename"] == "BookingOutcomeUnknown", unknown
            assert "not sent again" in unknown["message"]
            assert "availability" in unknown["message"]
            for _ in range(3):
                assert await book(gateway, variables) == unknown
            assert (await gateway.calls())["book"] == 1
            # A new key is a new booking: the sandbox made the first one, so it is refused.
            # Its fresh read of the month may outlast the deadline on a loaded machine: the
            # retry with the same key then takes the flight's answer.
            fresh = booking("mel-nelson", start, 30, idempotencyKey="lost-2")
            refused, _ = await settle(gateway, fresh)
            assert refused["__typename"] == "SlotUnavailable", refused
            assert (await gateway.calls())["book"] == 1
            assert served.upstream.made == 1


async def test_a_late_answer_without_a_key_still_drops_the_slot_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with slow_upstream() as served, gateway_on(served.environ(), served) as gateway:
        start = (await slot_starts(gateway))[0]  # now cached (30 s)
        served.upstream.book_delay = lambda: LATE
        with caplog.at_level(logging.WARNING, logger="gateway.meetings"):
            first = await book(gateway, booking("mel-nelson", start, 30))
            assert first["__typename"] == "BookingOutcomeUnknown", first
            assert "idempotency key" in first["message"]

            async def slot_gone() -> bool:
                return start not in await slot_starts(gateway)

            await until(slot_gone)
        assert (await gateway.calls())["book"] == 1
        late = [r for r in caplog.records if "after its request's deadline" in r.getMessage()]
        assert len(late) == 1, caplog.records
        assert "BookingConfirmed" in late[0].getMessage()


async def test_a_retry_on_another_replica_during_the_flight_sends_nothing(
    redis_server: RedisServer,
) -> None:
    async with slow_upstream() as served:
        environ = served.environ(REDIS_URL=redis_server.url)
        async with gateway_on(environ, served) as one, gateway_on(environ, served) as two:
            start = (await slot_starts(one))[0]
            served.upstream.book_delay = lambda: 2.5
            variables = booking("mel-nelson", start, 30, idempotencyKey="replicas-1")
            first = await book(one, variables)
            assert first["__typename"] == "BookingInProgress", first
            assert served.upstream.answered == 0  # still in flight
            confirmed, _ = await settle(two, variables)
            assert confirmed["__typename"] == "BookingConfirmed", confirmed
            assert await book(one, variables) == confirmed
            assert (await one.calls())["book"] == 1
            assert served.upstream.made == 1


async def test_without_redis_a_keyed_booking_is_not_sent(
    own_redis_server: RedisServer,
) -> None:
    async with slow_upstream() as served:
        environ = served.environ(REDIS_URL=own_redis_server.url)
        async with gateway_on(environ, served) as one, gateway_on(environ, served) as two:
            starts = await slot_starts(one)
            own_redis_server.stop()
            variables = booking("mel-nelson", starts[0], 30, idempotencyKey="no-redis-1")
            for replica in (one, two, one):
                refused = await book(replica, variables)
                assert refused["__typename"] == "UpstreamUnavailable", refused
                assert "was not sent" in refused["message"]
            assert (await one.calls())["book"] == 0
            # Without a key no record is needed: the booking goes through.
            plain = await book(two, booking("mel-nelson", starts[0], 30))
            assert plain["__typename"] == "BookingConfirmed", plain
            assert (await one.calls())["book"] == 1


async def test_redis_lost_during_the_flight_never_books_twice(
    own_redis_server: RedisServer,
) -> None:
    async with slow_upstream() as served:
        environ = served.environ(REDIS_URL=own_redis_server.url)
        async with gateway_on(environ, served) as one, gateway_on(environ, served) as two:
            start = (await slot_starts(one))[0]
            served.upstream.book_delay = lambda: LATE
            variables = booking("mel-nelson", start, 30, idempotencyKey="redis-lost-1")
            assert (await book(one, variables))["__typename"] == "BookingInProgress"
            own_redis_server.stop()  # the record says "sent"; nobody can read it now
            refused = await book(two, variables)
            assert refused["__typename"] == "UpstreamUnavailable", refused
            assert "was not sent" in refused["message"]
            confirmed, _ = await settle(one, variables)  # the replica that sent it knows
            assert confirmed["__typename"] == "BookingConfirmed", confirmed
            assert (await one.calls())["book"] == 1


def spaced(starts: list[str], gap: timedelta) -> list[str]:
    chosen: list[str] = []
    for start in starts:
        if not chosen or datetime.fromisoformat(start) - datetime.fromisoformat(chosen[-1]) >= gap:
            chosen.append(start)
    return chosen


async def test_every_client_whose_meeting_was_made_learns_it() -> None:
    clients = 20
    async with slow_upstream() as served:
        environ = served.environ(GATEWAY_UPSTREAM_RATE_LIMIT="1000")
        async with gateway_on(environ, served) as gateway:
            starts = spaced(await slot_starts(gateway), timedelta(hours=3))[:clients]
            assert len(starts) == clients
            draw = random.Random(7)
            # Around the deadline: some answers come in time, some after it. On a loaded
            # machine a booking's own checks (its fresh read of the month, on this one event
            # loop) may outlast the deadline too: it is then not sent, and its client says so
            # ("UpstreamUnavailable"), and is retried as such a client would.
            served.upstream.book_delay = lambda: draw.uniform(0.0, 2.0)
            results = await asyncio.gather(
                *(
                    settle(
                        gateway,
                        booking("mel-nelson", start, 30, idempotencyKey=f"many-{n}"),
                        not_sent_too=True,
                    )
                    for n, start in enumerate(starts)
                )
            )
            kinds = [result["__typename"] for result, _ in results]
            late = sum(1 for _, waits in results if waits)
            print(f"[{clients} bookings, answers 0-2 s, deadline 1 s] {late} answered late")
            assert late >= 1  # the point of the test: some answers came after the deadline
            assert kinds == ["BookingConfirmed"] * clients
            assert served.upstream.made == clients
            assert (await gateway.calls())["book"] == clients


async def test_under_plain_cpu_load_every_made_meeting_is_learned() -> None:
    # No held-back answers: 60 concurrent bookings on one event loop with a tight deadline,
    # so that some requests run out of time only because the process is busy (they end at
    # the deadline's backstop, a 504); retries with their keys learn every meeting made.
    clients = 60
    slugs = ("mel-nelson", "priya-raman", "olivia-hart")
    async with running_gateway({"GATEWAY_UPSTREAM_RATE_LIMIT": "1000"}) as calm:
        starts = {slug: spaced(await slot_starts(calm, slug), timedelta(hours=3)) for slug in slugs}
    environ = {"GATEWAY_REQUEST_DEADLINE": "0.4", "GATEWAY_UPSTREAM_RATE_LIMIT": "1000"}
    async with running_gateway(environ) as gateway:
        plan = [(slug, start) for slug in slugs for start in starts[slug][: clients // 3]]
        assert len(plan) == clients

        async def client(n: int) -> tuple[str, int]:
            slug, start = plan[n]
            request = {
                "query": BOOK,
                "variables": booking(slug, start, 30, idempotencyKey=f"load-{n}"),
            }
            tries = 0
            while True:  # as a client told "in progress", "not sent" or 504 would
                response = await gateway.http.post("/graphql", json=request)
                wait = None
                if response.status_code == 504:
                    kind = "timed out"
                else:
                    assert response.status_code == 200, response.text
                    answer = response.json()["data"]["bookMeeting"]
                    kind, wait = answer["__typename"], answer.get("retryAfterSeconds")
                if kind not in ("BookingInProgress", "UpstreamUnavailable", "timed out"):
                    return kind, tries
                reasons[kind] += 1
                tries += 1
                assert tries < 100, response.text
                if wait:
                    # As a client told to come back later does (an open breaker says when).
                    await asyncio.sleep(min(wait, 1.0))

        reasons: Counter[str] = Counter()
        results = await asyncio.gather(*(client(n) for n in range(clients)))
        retried = sum(1 for _, tries in results if tries)
        print(
            f"[{clients} bookings, deadline 0.4 s, no added latency] {retried} clients retried; "
            f"answers before the last: {dict(reasons)}"
        )
        assert [kind for kind, _ in results] == ["BookingConfirmed"] * clients
        assert (await gateway.calls())["book"] == clients
