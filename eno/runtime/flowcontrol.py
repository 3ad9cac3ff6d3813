"""Client-side request throttling: a QPS/burst token bucket, as client-go's `flowcontrol` does it.

Tokens are reserved in arrival order: each caller learns how long to wait at once, so concurrent callers
never race for the same token and the wait is exactly the refill time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """`qps` tokens per second refill a bucket of `burst` tokens; `qps <= 0` disables throttling."""

    def __init__(
        self,
        qps: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()

    def reserve(self) -> float:
        """Take one token now (possibly going into debt) and return how long the caller must wait."""
        if self.qps <= 0:
            return 0.0
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.qps

    async def acquire(self) -> float:
        """Wait for a token; return the time waited."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)
        return delay
