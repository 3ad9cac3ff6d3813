"""Rate limiters deciding how long a failed item waits before its retry (client-go's workqueue limiters).

`when(item)` is called once per retry and records it; `forget(item)` clears the item's history;
`num_requeues(item)` says how many retries were recorded since the last `forget`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, Protocol, TypeVar

from eno.runtime.clock import Clock, MonotonicClock

T = TypeVar("T", bound=Hashable)
T_contra = TypeVar("T_contra", bound=Hashable, contravariant=True)

# Above this exponent base * 2**exp exceeds any sensible cap (and a float), so the cap applies directly.
_MAX_EXPONENT = 1000


class RateLimiter(Protocol[T_contra]):
    def when(self, item: T_contra) -> float: ...

    def forget(self, item: T_contra) -> None: ...

    def num_requeues(self, item: T_contra) -> int: ...


class ItemExponentialFailureRateLimiter(Generic[T]):
    """base * 2**failures, capped at `cap`, per item."""

    def __init__(self, base: float, cap: float) -> None:
        if base < 0 or cap < 0:
            raise ValueError("base and cap must not be negative")
        self.base = base
        self.cap = cap
        self._failures: dict[T, int] = {}

    def when(self, item: T) -> float:
        exponent = self._failures.get(item, 0)
        self._failures[item] = exponent + 1
        return exponential_backoff(self.base, self.cap, exponent)

    def forget(self, item: T) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: T) -> int:
        return self._failures.get(item, 0)


def exponential_backoff(base: float, cap: float, exponent: int) -> float:
    if exponent > _MAX_EXPONENT:
        return cap
    return min(cap, base * 2.0**exponent)


class BucketRateLimiter(Generic[T]):
    """One token bucket for all items (golang.org/x/time/rate's Reserve): `qps` refill, `burst` capacity.

    Each `when` takes a token, going into debt when none is left; the delay is the time to repay the debt.
    """

    def __init__(self, qps: float, burst: int, clock: Clock | None = None) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("qps must be positive and burst at least 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock or MonotonicClock()
        self._tokens = float(burst)
        self._last = self._clock.now()

    def when(self, item: T) -> float:
        now = self._clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, item: T) -> None:
        pass

    def num_requeues(self, item: T) -> int:
        return 0


class MaxOfRateLimiter(Generic[T]):
    """The longest delay of several limiters; every limiter records every retry."""

    def __init__(self, limiters: Sequence[RateLimiter[T]]) -> None:
        if not limiters:
            raise ValueError("at least one limiter is required")
        self.limiters = tuple(limiters)

    def when(self, item: T) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: T) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock | None = None) -> MaxOfRateLimiter[T]:
    """controller-runtime's default: per item 5 ms doubling up to 1000 s; overall 10 qps, burst 100."""
    return MaxOfRateLimiter(
        [ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100, clock)]
    )
