from __future__ import annotations

from gateway.hubspot.retry import Backoff, RetryBudget
from tests.hubspot.timer import Timer


def test_backoff_is_jittered_exponential_and_capped() -> None:
    backoff = Backoff(base=0.1, cap=1.0)
    assert backoff.delay(1, lambda: 1.0) == 0.2
    assert backoff.delay(2, lambda: 1.0) == 0.4
    assert backoff.delay(5, lambda: 1.0) == 1.0
    assert backoff.delay(2, lambda: 0.5) == 0.2
    assert backoff.delay(3, lambda: 0.0) == 0.0


def test_retries_are_a_share_of_recent_calls() -> None:
    timer = Timer()
    budget = RetryBudget(0.1, window=10.0, min_retries=2, timer=timer)
    for _ in range(100):
        budget.deposit()
    granted = sum(budget.try_withdraw() for _ in range(50))
    assert granted == 12  # 2 + 10% of 100


def test_a_quiet_process_may_retry_a_little() -> None:
    timer = Timer()
    budget = RetryBudget(0.1, min_retries=2, timer=timer)
    budget.deposit()
    assert budget.try_withdraw()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()


def test_the_window_slides() -> None:
    timer = Timer()
    budget = RetryBudget(0.1, window=10.0, min_retries=0, timer=timer)
    for _ in range(10):
        budget.deposit()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    timer.advance(5.0)
    for _ in range(10):
        budget.deposit()
    assert budget.try_withdraw()  # 20 calls in the window now
    assert not budget.try_withdraw()
    timer.advance(5.0)  # the first ten calls and the first retry have left the window
    assert not budget.try_withdraw()  # 1 retry against 10 calls is the share already
    timer.advance(5.0)  # everything has left
    assert not budget.try_withdraw()  # no calls, no retries: nothing to retry
