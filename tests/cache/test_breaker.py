from __future__ import annotations

from gateway.cache.breaker import Breaker
from tests.cache.doubles import ManualTimer


def test_closed_breaker_allows_every_call() -> None:
    breaker = Breaker(2.0, timer=ManualTimer())
    assert breaker.allow()
    assert breaker.allow()
    assert breaker.state == "closed"


def test_failure_opens_it_for_the_cooldown() -> None:
    timer = ManualTimer()
    breaker = Breaker(2.0, timer=timer)
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    timer.advance(1.9)
    assert not breaker.allow()


def test_after_the_cooldown_one_probe_goes_through() -> None:
    timer = ManualTimer()
    breaker = Breaker(2.0, timer=timer)
    breaker.record_failure()
    timer.advance(2.0)
    assert breaker.allow()
    assert breaker.state == "half-open"
    assert not breaker.allow(), "a second caller must not pile onto the probe"


def test_a_successful_probe_closes_it() -> None:
    timer = ManualTimer()
    breaker = Breaker(2.0, timer=timer)
    breaker.record_failure()
    timer.advance(2.0)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_a_failed_probe_opens_it_again() -> None:
    timer = ManualTimer()
    breaker = Breaker(2.0, timer=timer)
    breaker.record_failure()
    timer.advance(2.0)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    timer.advance(2.0)
    assert breaker.allow()
