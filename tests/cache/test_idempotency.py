from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from gateway.cache import (
    Claim,
    IdempotencyStore,
    MemoryIdempotencyStore,
    Pass,
    RedisIdempotencyStore,
    RedisStore,
)
from gateway.cache.keys import idempotency_key
from gateway.errors import (
    GatewayError,
    IdempotencyConflict,
    IdempotencyInDoubt,
    IdempotencyInProgress,
    IdempotencyUnrecorded,
    UpstreamUnavailable,
)
from tests.support.doubles import ManualTimer, eventually
from tests.support.redis_server import RedisServer

# Explicit, not left to the root conftest: a parametrized fixture needs the marker at
# collection time.
pytestmark = pytest.mark.anyio


class Booking:
    """Stands in for the upstream booking call: counts calls sent, can be slow, gated or
    failing (a failure is one that never left)."""

    def __init__(self, *, delay: float = 0.0, flight: float = 5.0) -> None:
        self.calls = 0
        self.delay = delay
        self.flight = flight  # what it tells its claim it may take
        self.failures = 0  # how many of the next calls raise
        self.gate: asyncio.Event | None = None  # holds the answer back, once sent
        self.checks: asyncio.Event | None = None  # holds it before it is sent
        self.started = 0

    async def __call__(self, claim: Claim) -> bytes:
        self.started += 1
        if self.checks is not None:
            await self.checks.wait()
        await claim.sent(self.flight)
        self.calls += 1
        number = self.calls
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise UpstreamUnavailable("HubSpot is down")
        return f'{{"booking": {number}}}'.encode()


@pytest.fixture(params=["memory", "redis"])
async def store(
    request: pytest.FixtureRequest, redis_store: RedisStore
) -> AsyncIterator[IdempotencyStore]:
    """Both implementations keep the same promises within one process."""
    made: IdempotencyStore
    if request.param == "memory":
        made = MemoryIdempotencyStore()
    else:
        made = RedisIdempotencyStore(redis_store, poll_interval=0.01)
    yield made
    await made.aclose()


@pytest.fixture
async def two_processes(
    redis_store: RedisStore, other_redis_store: RedisStore
) -> AsyncIterator[tuple[RedisIdempotencyStore, RedisIdempotencyStore]]:
    one = RedisIdempotencyStore(redis_store, poll_interval=0.01)
    two = RedisIdempotencyStore(other_redis_store, poll_interval=0.01)
    yield one, two
    await one.aclose()
    await two.aclose()


async def test_a_retry_gets_the_first_answer_without_running_again(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking()
    first = await store.run(tenant, "key-1", "fp", booking)
    again = await store.run(tenant, "key-1", "fp", booking)
    assert first == again == b'{"booking": 1}'
    assert booking.calls == 1


async def test_another_request_under_the_same_key_is_a_conflict(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking()
    await store.run(tenant, "key-1", "fp-a", booking)
    with pytest.raises(IdempotencyConflict) as caught:
        await store.run(tenant, "key-1", "fp-b", booking)
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert isinstance(caught.value, GatewayError)
    assert booking.calls == 1


async def test_keys_belong_to_one_tenant(store: IdempotencyStore, tenant: str) -> None:
    booking = Booking()
    await store.run(tenant, "key-1", "fp-a", booking)
    await store.run(f"{tenant}x", "key-1", "fp-b", booking)
    assert booking.calls == 2


async def test_concurrent_duplicates_run_once(store: IdempotencyStore, tenant: str) -> None:
    booking = Booking(delay=0.05)
    answers = await asyncio.gather(*(store.run(tenant, "key-1", "fp", booking) for _ in range(20)))
    assert set(answers) == {b'{"booking": 1}'}
    assert booking.calls == 1


async def test_a_concurrent_duplicate_with_another_request_is_a_conflict(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking(delay=0.05)
    first = asyncio.create_task(store.run(tenant, "key-1", "fp-a", booking))
    await eventually(lambda: booking.calls == 1)
    with pytest.raises(IdempotencyConflict):
        await store.run(tenant, "key-1", "fp-b", booking)
    assert await first == b'{"booking": 1}'


async def test_a_failed_action_is_not_stored_and_a_retry_runs_again(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking()
    booking.failures = 1
    with pytest.raises(UpstreamUnavailable):
        await store.run(tenant, "key-1", "fp", booking)
    assert await store.run(tenant, "key-1", "fp", booking) == b'{"booking": 2}'
    assert await store.run(tenant, "key-1", "fp", booking) == b'{"booking": 2}'
    assert booking.calls == 2


async def test_when_the_first_attempt_fails_its_waiters_try_again(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking(delay=0.05)
    booking.failures = 1
    results = await asyncio.gather(
        *(store.run(tenant, "key-1", "fp", booking) for _ in range(5)), return_exceptions=True
    )
    assert isinstance(results[0], UpstreamUnavailable)
    assert results[1:] == [b'{"booking": 2}'] * 4
    assert booking.calls == 2


async def test_a_caller_that_goes_away_does_not_cut_the_booking_short(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking()
    booking.gate = asyncio.Event()
    impatient = asyncio.create_task(store.run(tenant, "key-1", "fp", booking))
    await eventually(lambda: booking.calls == 1)
    impatient.cancel()
    booking.gate.set()
    assert await store.run(tenant, "key-1", "fp", booking) == b'{"booking": 1}'
    assert booking.calls == 1


async def test_memory_results_are_forgotten_after_their_lifetime(tenant: str) -> None:
    timer = ManualTimer()
    store = MemoryIdempotencyStore(lifetime=60, timer=timer)
    booking = Booking()
    await store.run(tenant, "key-1", "fp", booking)
    timer.advance(61)
    assert await store.run(tenant, "key-1", "fp", booking) == b'{"booking": 2}'


# -- across processes ----------------------------------------------------------------------


async def test_a_retry_in_another_process_gets_the_first_answer(
    two_processes: tuple[RedisIdempotencyStore, RedisIdempotencyStore],
    other_redis_store: RedisStore,
    raw_redis: Redis,
    tenant: str,
) -> None:
    one, two = two_processes
    booking = Booking()
    first = await one.run(tenant, "key-1", "fp", booking)
    assert await two.run(tenant, "key-1", "fp", booking) == first
    assert booking.calls == 1
    with pytest.raises(IdempotencyConflict):
        await two.run(tenant, "key-1", "fp-other", booking)
    with pytest.raises(IdempotencyConflict):
        await RedisIdempotencyStore(other_redis_store).run(tenant, "key-1", "fp-other", booking)
    ttl = await raw_redis.pttl(idempotency_key(tenant, "key-1"))
    assert 23 * 3600 * 1000 < ttl <= 24 * 3600 * 1000


async def test_concurrent_duplicates_in_two_processes_run_once(
    two_processes: tuple[RedisIdempotencyStore, RedisIdempotencyStore], tenant: str
) -> None:
    one, two = two_processes
    booking = Booking(delay=0.1)
    answers = await asyncio.gather(
        *((one if n % 2 else two).run(tenant, "key-1", "fp", booking) for n in range(20))
    )
    assert set(answers) == {b'{"booking": 1}'}
    assert booking.calls == 1


async def test_a_failure_clears_the_claim_for_every_process(
    two_processes: tuple[RedisIdempotencyStore, RedisIdempotencyStore],
    raw_redis: Redis,
    tenant: str,
) -> None:
    one, two = two_processes
    booking = Booking()
    booking.failures = 1
    with pytest.raises(UpstreamUnavailable):
        await one.run(tenant, "key-1", "fp", booking)
    assert await raw_redis.exists(idempotency_key(tenant, "key-1")) == 0
    assert await two.run(tenant, "key-1", "fp", booking) == b'{"booking": 2}'


async def test_a_duplicate_waits_a_bounded_time_for_another_process(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    one = RedisIdempotencyStore(redis_store, poll_interval=0.01)
    two = RedisIdempotencyStore(other_redis_store, poll_interval=0.01, wait=0.2)
    booking = Booking()
    booking.checks = asyncio.Event()
    slow = asyncio.create_task(one.run(tenant, "key-1", "fp", booking))
    await eventually(lambda: booking.started == 1)
    with pytest.raises(IdempotencyInProgress) as caught:
        await two.run(tenant, "key-1", "fp", booking)
    assert caught.value.code == "IDEMPOTENCY_KEY_IN_PROGRESS"
    booking.checks.set()
    assert await slow == await two.run(tenant, "key-1", "fp", booking)
    assert booking.calls == 1
    await one.aclose()
    await two.aclose()


async def test_a_crashed_claim_expires_and_a_retry_runs(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    name = idempotency_key(tenant, "key-1")
    await raw_redis.hset(name, mapping={"state": "pending", "fingerprint": "fp", "token": "x"})
    await raw_redis.pexpire(name, 200)
    store = RedisIdempotencyStore(redis_store, poll_interval=0.01)
    booking = Booking()
    assert await store.run(tenant, "key-1", "fp", booking) == b'{"booking": 1}'
    await store.aclose()


async def test_without_redis_nothing_is_sent(own_redis_server: RedisServer) -> None:
    # Its record could not be kept, so a retry on another process could not know of it.
    redis = RedisStore.from_url(own_redis_server.url, breaker_cooldown=30)
    store = RedisIdempotencyStore(redis, poll_interval=0.01)
    booking = Booking(delay=0.05)
    try:
        own_redis_server.stop()
        async with asyncio.timeout(5):
            answers = await asyncio.gather(
                *(store.run("t", "key-1", "fp", booking) for _ in range(10)),
                return_exceptions=True,
            )
        assert all(isinstance(answer, IdempotencyUnrecorded) for answer in answers), answers
        assert booking.calls == 0
    finally:
        await store.aclose()
        await redis.aclose()


async def test_a_sent_request_outlives_its_claims_lease(
    redis_store: RedisStore, other_redis_store: RedisStore, tenant: str
) -> None:
    # A pending claim expires so that a crashed check frees the key; a sent one never does.
    one = RedisIdempotencyStore(redis_store, poll_interval=0.01, lease=0.1)
    two = RedisIdempotencyStore(other_redis_store, poll_interval=0.01)
    booking = Booking()
    booking.gate = asyncio.Event()
    try:
        first = asyncio.create_task(one.run(tenant, "key-1", "fp", booking))
        await eventually(lambda: booking.calls == 1)
        second = asyncio.create_task(two.run(tenant, "key-1", "fp", booking))
        await asyncio.sleep(0.3)  # past the lease: the record must still hold the key
        assert not second.done()
        booking.gate.set()
        assert await first == await second == b'{"booking": 1}'
        assert booking.calls == 1
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_sent_request_never_recorded_is_in_doubt_and_never_sent_again(
    redis_store: RedisStore, raw_redis: Redis, tenant: str
) -> None:
    # What a process that died mid-flight leaves: "sent", its answer due long ago.
    name = idempotency_key(tenant, "key-1")
    await raw_redis.hset(
        name, mapping={"state": "sent", "fingerprint": "fp", "token": "x", "due": 1}
    )
    store = RedisIdempotencyStore(redis_store, poll_interval=0.01)
    booking = Booking()
    try:
        for _ in range(2):
            with pytest.raises(IdempotencyInDoubt) as caught:
                await store.run(tenant, "key-1", "fp", booking)
            assert caught.value.code == "IDEMPOTENCY_KEY_IN_DOUBT"
        with pytest.raises(IdempotencyConflict):
            await store.run(tenant, "key-1", "fp-other", booking)
        assert booking.calls == 0
    finally:
        await store.aclose()


async def test_a_result_redis_could_not_take_reaches_it_later(
    own_redis_server: RedisServer,
) -> None:
    holder = RedisStore.from_url(own_redis_server.url, breaker_cooldown=0.1)
    reader = RedisStore.from_url(own_redis_server.url, breaker_cooldown=0.1)
    one = RedisIdempotencyStore(holder, poll_interval=0.01)
    two = RedisIdempotencyStore(reader, poll_interval=0.01)
    booking = Booking()
    booking.gate = asyncio.Event()
    raw = Redis.from_url(own_redis_server.url)
    try:
        first = asyncio.create_task(one.run("t", "key-1", "fp", booking))
        await eventually(lambda: booking.calls == 1)
        # Redis pauses clients (as under a failover): the answer arrives meanwhile.
        await raw.client_pause(800)
        booking.gate.set()
        assert await first == b'{"booking": 1}'
        assert await one.run("t", "key-1", "fp", booking) == b'{"booking": 1}'
        # Once Redis answers again the other process reads the result, not "sent".
        async with asyncio.timeout(10):
            while True:
                try:
                    answer = await two.run("t", "key-1", "fp", booking)
                    break
                except (IdempotencyInProgress, IdempotencyUnrecorded):
                    await asyncio.sleep(0.05)  # Redis still paused
        assert answer == b'{"booking": 1}'
        assert booking.calls == 1
    finally:
        await raw.aclose()
        await one.aclose()
        await two.aclose()
        await holder.aclose()
        await reader.aclose()


async def scripts_run(server: RedisServer) -> int:
    """How many scripts the server has run (every claim, poll and record is one)."""
    client = Redis.from_url(server.url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval")
    )


async def test_a_waiter_that_loses_redis_does_not_book_twice(
    own_redis_server: RedisServer,
) -> None:
    holder = RedisStore.from_url(own_redis_server.url, breaker_cooldown=30)
    waiter = RedisStore.from_url(own_redis_server.url, breaker_cooldown=30)
    one = RedisIdempotencyStore(holder, poll_interval=0.01)
    two = RedisIdempotencyStore(waiter, poll_interval=0.01)
    booking = Booking()
    booking.gate = asyncio.Event()
    try:
        first = asyncio.create_task(one.run("t", "key-1", "fp", booking))
        await eventually(lambda: booking.calls == 1)
        scripts = await scripts_run(own_redis_server)
        second = asyncio.create_task(two.run("t", "key-1", "fp", booking))
        # It has seen the claim and polls it: its first look and one poll reached Redis.
        while await scripts_run(own_redis_server) < scripts + 2:
            assert not second.done()
            await asyncio.sleep(0.005)
        own_redis_server.stop()
        with pytest.raises(IdempotencyInProgress):
            await second
        booking.gate.set()
        assert await first == b'{"booking": 1}'
        assert booking.calls == 1
    finally:
        await one.aclose()
        await two.aclose()
        await holder.aclose()
        await waiter.aclose()


async def test_an_error_after_its_caller_stopped_waiting_is_not_left_unretrieved() -> None:
    # A booking's caller may stop waiting at its deadline; what the booking then raises (it
    # was not sent) is nobody's to see, and must not surface as an unretrieved task error.
    store = MemoryIdempotencyStore()
    gate = asyncio.Event()

    async def action(claim: Claim) -> bytes:
        await gate.wait()
        raise GatewayError("not sent")

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await store.run("t", "key-late", "fp", action)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        gate.set()
        await eventually(lambda: not store._pending)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_a_passed_answer_goes_to_its_caller_and_is_not_stored(
    store: IdempotencyStore, tenant: str
) -> None:
    booking = Booking()
    refusals = 1

    async def action(claim: Claim) -> bytes | Pass[bytes]:
        nonlocal refusals
        if refusals:
            refusals -= 1
            return Pass(b'{"refused": "nothing was sent"}')
        return await booking(claim)

    first = await store.run(tenant, "key-1", "fp", action)
    assert first == Pass(b'{"refused": "nothing was sent"}')
    assert await store.run(tenant, "key-1", "fp", action) == b'{"booking": 1}'
    assert await store.run(tenant, "key-1", "fp", action) == b'{"booking": 1}'
    assert booking.calls == 1
