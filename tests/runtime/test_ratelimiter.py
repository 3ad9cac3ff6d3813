"""Rate limiters: per-item exponential backoff, the overall token bucket, and their max-of combination."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eno.runtime.clock import FakeClock
from eno.runtime.ratelimiter import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


@pytest.mark.parametrize(
    ("base", "cap", "expected"),
    [
        (0.005, 1000.0, [0.005, 0.01, 0.02, 0.04, 0.08]),
        (1.0, 5.0, [1.0, 2.0, 4.0, 5.0, 5.0]),
        (0.1, 0.1, [0.1, 0.1, 0.1]),
        (0.0, 10.0, [0.0, 0.0]),
    ],
    ids=["controller-default", "capped", "base-equals-cap", "zero-base"],
)
def test_exponential_sequence(base: float, cap: float, expected: list[float]) -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(base, cap)
    assert [limiter.when("a") for _ in expected] == pytest.approx(expected)
    assert limiter.num_requeues("a") == len(expected)


def test_exponential_is_per_item_and_forget_resets() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(1.0, 100.0)
    assert [limiter.when("a"), limiter.when("a"), limiter.when("b")] == [1.0, 2.0, 1.0]
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.num_requeues("b") == 1
    assert limiter.when("a") == 1.0


def test_exponential_survives_huge_failure_counts() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    delays = [limiter.when("a") for _ in range(3000)]
    assert delays[-1] == 1000.0


@given(
    base=st.floats(min_value=0, max_value=10, allow_nan=False),
    cap=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    retries=st.integers(min_value=1, max_value=80),
)
@settings(max_examples=50)
def test_exponential_is_monotone_and_capped(base: float, cap: float, retries: int) -> None:
    limiter: ItemExponentialFailureRateLimiter[int] = ItemExponentialFailureRateLimiter(base, cap)
    delays = [limiter.when(0) for _ in range(retries)]
    assert delays == sorted(delays)
    assert all(0 <= d <= cap for d in delays)
    assert limiter.num_requeues(0) == retries


def test_bucket_allows_burst_then_spaces_by_qps() -> None:
    clock = FakeClock()
    limiter: BucketRateLimiter[str] = BucketRateLimiter(qps=10.0, burst=3, clock=clock)
    assert [limiter.when(str(i)) for i in range(5)] == pytest.approx([0, 0, 0, 0.1, 0.2])
    clock.advance(0.2)  # repays the debt exactly: the next token is free after 0.1 s more
    assert limiter.when("x") == pytest.approx(0.1)
    clock.advance(10)  # refills to the burst, not beyond
    assert [limiter.when(str(i)) for i in range(4)] == pytest.approx([0, 0, 0, 0.1])
    assert limiter.num_requeues("x") == 0


def test_max_of_takes_the_longest_delay_and_forgets_everywhere() -> None:
    clock = FakeClock()
    limiter: MaxOfRateLimiter[str] = MaxOfRateLimiter(
        [ItemExponentialFailureRateLimiter(1.0, 100.0), BucketRateLimiter(qps=1.0, burst=1, clock=clock)]
    )
    assert limiter.when("a") == 1.0  # exponential 1 s; bucket 0
    assert limiter.when("b") == 1.0  # exponential 1 s; bucket 1 s
    assert limiter.when("a") == 2.0  # exponential 2 s; bucket 2 s
    assert limiter.num_requeues("a") == 2
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0


def test_default_controller_rate_limiter_matches_controller_runtime() -> None:
    limiter: MaxOfRateLimiter[object] = default_controller_rate_limiter(FakeClock())
    assert [limiter.when("a") for _ in range(3)] == pytest.approx([0.005, 0.01, 0.02])
    # 100 tokens of burst, then 10 per second.
    delays = [limiter.when(i) for i in range(101)]
    assert delays[-1] == pytest.approx(0.4)  # 3 tokens already spent by "a": debt of 4 at 10 qps


@pytest.mark.parametrize("args", [(-1.0, 1.0), (1.0, -1.0)], ids=["negative-base", "negative-cap"])
def test_exponential_rejects_negative(args: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        ItemExponentialFailureRateLimiter(*args)
