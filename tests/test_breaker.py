from __future__ import annotations

from gateway.breaker import Breaker
from tests.hubspot.timer import Timer
from tests.support.doubles import ManualTimer


def state(breaker: Breaker) -> str:
    # A property that time moves: read afresh each time, never narrowed by the type checker.
    return breaker.state


def test_opens_after_failures_in_a_row_only() -> None:
    timer = Timer()
    breaker = Breaker(3, 5.0, timer=timer)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # the streak starts again
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert state(breaker) == "open"
    assert breaker.opens == 1
    assert not breaker.allow()
    assert breaker.retry_after() == 5.0


def test_half_opens_for_one_probe_whose_outcome_decides() -> None:
    timer = Timer()
    breaker = Breaker(1, 5.0, timer=timer)
    breaker.record_failure()
    timer.advance(4.9)
    assert not breaker.allow()
    assert 0 < breaker.retry_after() <= 0.1 + 1e-9
    timer.advance(0.1)
    assert state(breaker) == "half-open"
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # nobody else while it runs
    breaker.record_failure()
    assert state(breaker) == "open"
    assert breaker.opens == 2
    timer.advance(5.0)
    assert breaker.allow()
    breaker.record_success()
    assert state(breaker) == "closed"
    assert breaker.allow()


def test_a_probe_without_verdict_lets_the_next_call_probe() -> None:
    timer = Timer()
    breaker = Breaker(1, 1.0, timer=timer)
    breaker.record_failure()
    timer.advance(1.0)
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


# One failure is enough for Redis's breaker: the dependency is optional to an answer.


def test_closed_breaker_allows_every_call() -> None:
    breaker = Breaker(1, 2.0, timer=ManualTimer())
    assert breaker.allow()
    assert breaker.allow()
    assert breaker.state == "closed"


def test_failure_opens_it_for_the_cooldown() -> None:
    timer = ManualTimer()
    breaker = Breaker(1, 2.0, timer=timer)
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    timer.advance(1.9)
    assert not breaker.allow()


def test_after_the_cooldown_one_probe_goes_through() -> None:
    timer = ManualTimer()
    breaker = Breaker(1, 2.0, timer=timer)
    breaker.record_failure()
    timer.advance(2.0)
    assert breaker.allow()
    assert breaker.state == "half-open"
    assert not breaker.allow(), "a second caller must not pile onto the probe"


def test_a_successful_probe_closes_it() -> None:
    timer = ManualTimer()
    breaker = Breaker(1, 2.0, timer=timer)
    breaker.record_failure()
    timer.advance(2.0)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_failed_probe_opens_it_again() -> None:
    timer = ManualTimer()
    breaker = Breaker(1, 2.0, timer=timer)
    breaker.record_failure()
    timer.advance(2.0)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    timer.advance(2.0)
    assert breaker.allow()
