from __future__ import annotations

from gateway.hubspot.breaker import UpstreamBreaker
from tests.hubspot.timer import Timer


def state(breaker: UpstreamBreaker) -> str:
    # A property that time moves: read afresh each time, never narrowed by the type checker.
    return breaker.state


def test_opens_after_failures_in_a_row_only() -> None:
    timer = Timer()
    breaker = UpstreamBreaker(3, 5.0, timer=timer)
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
    breaker = UpstreamBreaker(1, 5.0, timer=timer)
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
    breaker = UpstreamBreaker(1, 1.0, timer=timer)
    breaker.record_failure()
    timer.advance(1.0)
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()
