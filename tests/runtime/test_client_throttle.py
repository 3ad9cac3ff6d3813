"""The client-side QPS/burst token bucket, driven by a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.runtime.flowcontrol import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_is_free_then_each_request_waits_one_interval():
    clock = Clock()
    bucket = TokenBucket(qps=10, burst=3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve() == pytest.approx(0.1)
    assert bucket.reserve() == pytest.approx(0.2)


def test_tokens_refill_with_time_up_to_burst():
    clock = Clock()
    bucket = TokenBucket(qps=2, burst=2, clock=clock)
    bucket.reserve(), bucket.reserve()
    clock.now = 100.0
    assert [bucket.reserve() for _ in range(2)] == [0, 0]
    assert bucket.reserve() == pytest.approx(0.5)


def test_zero_qps_disables_throttling():
    bucket = TokenBucket(qps=0, burst=1, clock=Clock())
    assert all(bucket.reserve() == 0 for _ in range(100))


async def test_acquire_sleeps_the_reserved_delay():
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    bucket = TokenBucket(qps=4, burst=1, clock=Clock(), sleep=sleep)
    await bucket.acquire()
    await bucket.acquire()
    assert slept == [pytest.approx(0.25)]


@given(
    qps=st.floats(0.5, 100),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 2), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_elapsed(qps, burst, gaps):
    # Invariant: requests granted by time t (arrival + wait) never exceed burst + qps * t.
    clock = Clock()
    bucket = TokenBucket(qps=qps, burst=burst, clock=clock)
    grants: list[float] = []
    for gap in gaps:
        clock.now += gap
        grants.append(clock.now + bucket.reserve())
    grants.sort()
    for i, t in enumerate(grants, start=1):
        assert i <= burst + qps * t + 1e-6
