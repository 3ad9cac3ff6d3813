"""A work queue with client-go's contract (workqueue.TypedRateLimitingInterface), for one asyncio loop.

- An item is handed to at most one worker at a time: from `get` until `done` it is *processing*.
- Adding an item already waiting in the queue is a no-op (the queue holds each item once, FIFO).
- Adding an item that is processing marks it *dirty*; `done` puts it back in the queue once.
- `add_after` delays an add; of several pending delays for one item the earliest wins.
- `add_rate_limited` delays by the rate limiter's answer; `forget` resets the item's backoff and
  `num_requeues` counts retries since the last `forget`.
- After `shut_down` adds are ignored and pending delays are dropped; `get` still hands out what is queued
  and raises `ShutDown` once the queue is empty. `shut_down_with_drain` also waits until every item
  handed out has been marked `done`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry

from eno.runtime.clock import Clock, MonotonicClock, TimerHandle
from eno.runtime.metrics import QueueSeries, workqueue_metrics
from eno.runtime.ratelimiter import RateLimiter, default_controller_rate_limiter

T = TypeVar("T", bound=Hashable)


class ShutDown(Exception):
    """The queue is shut down and empty: the worker should exit."""


class QueueEmpty(Exception):
    """`get_nowait` found nothing queued."""


class WorkQueue(Generic[T]):
    """Rate-limiting, delaying, deduplicating work queue (client-go's three interfaces in one)."""

    def __init__(
        self,
        name: str = "",
        *,
        rate_limiter: RateLimiter[T] | None = None,
        registry: CollectorRegistry | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self._clock: Clock = clock or MonotonicClock()
        self._rate_limiter: RateLimiter[T] = rate_limiter or default_controller_rate_limiter(self._clock)
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._shutting_down = False
        self._getters: deque[asyncio.Future[None]] = deque()
        self._drained: list[asyncio.Future[None]] = []
        # Delayed adds: item -> (ready time, sequence); the heap may hold stale entries, skipped on pop.
        self._waiting: dict[T, tuple[float, int]] = {}
        self._heap: list[tuple[float, int, T]] = []
        self._seq = itertools.count()
        self._timer: TimerHandle | None = None
        self._timer_at: float | None = None
        # Metrics bookkeeping: when each queued item was added and each processing item was handed out.
        self._added_at: dict[T, float] = {}
        self._started_at: dict[T, float] = {}
        self._metrics: QueueSeries | None = None
        if registry is not None and name:
            self._metrics = workqueue_metrics(registry).register_queue(name, self)

    # -- the basic queue -------------------------------------------------------------------------------

    def add(self, item: T) -> None:
        if self._shutting_down or item in self._dirty:
            return
        if self._metrics:
            self._metrics.adds.inc()
        self._dirty.add(item)
        if item in self._processing:
            return
        self._push(item)

    def _push(self, item: T) -> None:
        self._queue.append(item)
        self._added_at.setdefault(item, self._clock.now())
        self._wake_getter()

    def _wake_getter(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    def get_nowait(self) -> T:
        """Hand out the oldest queued item; raise QueueEmpty (or ShutDown once shut down) if none."""
        if not self._queue:
            if self._shutting_down:
                raise ShutDown
            raise QueueEmpty
        item = self._queue.popleft()
        now = self._clock.now()
        if self._metrics:
            added = self._added_at.get(item)
            if added is not None:
                self._metrics.queue_duration.observe(max(0.0, now - added))
        self._added_at.pop(item, None)
        self._started_at[item] = now
        self._processing.add(item)
        self._dirty.discard(item)
        return item

    async def get(self) -> T:
        """Wait for an item; raise ShutDown when the queue is shut down and empty."""
        while True:
            try:
                return self.get_nowait()
            except QueueEmpty:
                pass
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except asyncio.CancelledError:
                # A wake-up meant for this getter must not be lost.
                if getter.done() and not getter.cancelled() and self._queue:
                    self._wake_getter()
                raise

    def done(self, item: T) -> None:
        """Mark an item handed out by `get` as processed; a no-op for items not processing."""
        if item not in self._processing:
            return
        self._processing.discard(item)
        started = self._started_at.pop(item, None)
        if self._metrics and started is not None:
            self._metrics.work_duration.observe(max(0.0, self._clock.now() - started))
        if item in self._dirty:
            self._push(item)
        if not self._processing:
            self._resolve_drained()

    def __len__(self) -> int:
        return len(self._queue)

    def shutting_down(self) -> bool:
        return self._shutting_down

    def processing(self) -> frozenset[T]:
        return frozenset(self._processing)

    def shut_down(self) -> None:
        """Ignore new adds, drop pending delays, and wake every waiting getter."""
        self._shutting_down = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_at = None
        self._waiting.clear()
        self._heap.clear()
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)

    async def shut_down_with_drain(self, timeout: float | None = None) -> bool:
        """Shut down, then wait until every handed-out item is done; False if `timeout` ran out first."""
        self.shut_down()
        if not self._processing:
            return True
        drained = asyncio.get_running_loop().create_future()
        self._drained.append(drained)
        try:
            await asyncio.wait_for(asyncio.shield(drained), timeout)
        except TimeoutError:
            return False
        finally:
            if drained in self._drained:
                self._drained.remove(drained)
        return True

    def _resolve_drained(self) -> None:
        for drained in self._drained:
            if not drained.done():
                drained.set_result(None)
        self._drained.clear()

    # -- delays --------------------------------------------------------------------------------------

    def add_after(self, item: T, delay: float) -> None:
        if self._shutting_down:
            return
        if self._metrics:
            self._metrics.retries.inc()
        if delay <= 0:
            self.add(item)
            return
        ready = self._clock.now() + delay
        pending = self._waiting.get(item)
        if pending is not None and pending[0] <= ready:
            return
        seq = next(self._seq)
        self._waiting[item] = (ready, seq)
        heapq.heappush(self._heap, (ready, seq, item))
        self._schedule()

    def _schedule(self) -> None:
        while self._heap and self._waiting.get(self._heap[0][2]) != self._heap[0][:2]:
            heapq.heappop(self._heap)
        if not self._heap:
            return
        first = self._heap[0][0]
        if self._timer_at is not None and self._timer_at <= first:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = first
        self._timer = self._clock.call_later(first - self._clock.now(), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        now = self._clock.now()
        while self._heap and self._heap[0][0] <= now:
            ready, seq, item = heapq.heappop(self._heap)
            if self._waiting.get(item) == (ready, seq):
                del self._waiting[item]
                self.add(item)
        self._schedule()

    def waiting(self) -> int:
        """Items with a pending delayed add."""
        return len(self._waiting)

    # -- rate limiting -------------------------------------------------------------------------------

    def add_rate_limited(self, item: T) -> None:
        self.add_after(item, self._rate_limiter.when(item))

    def forget(self, item: T) -> None:
        self._rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self._rate_limiter.num_requeues(item)

    # -- timings read by the scrape-time gauges -------------------------------------------------------

    def unfinished_work_seconds(self) -> float:
        now = self._clock.now()
        return sum(now - started for started in self._started_at.values())

    def longest_running_processor_seconds(self) -> float:
        now = self._clock.now()
        return max((now - started for started in self._started_at.values()), default=0.0)
