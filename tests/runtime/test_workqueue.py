"""The work queue's asynchronous surface: blocking get, shutdown, drain, concurrency, metrics."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from eno.runtime.clock import FakeClock
from eno.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from eno.runtime.workqueue import ShutDown, WorkQueue
from tests.eventually import eventually


async def test_get_waits_for_an_add() -> None:
    queue: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.add("a")
    assert await asyncio.wait_for(getter, 5) == "a"


async def test_shut_down_wakes_every_waiting_getter() -> None:
    queue: WorkQueue[str] = WorkQueue()
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    queue.shut_down()
    results = await asyncio.wait_for(asyncio.gather(*getters, return_exceptions=True), 5)
    assert all(isinstance(r, ShutDown) for r in results)


async def test_shut_down_still_hands_out_what_is_queued_then_stops() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for item in "abc":
        queue.add(item)
    queue.add_after("late", 60)
    queue.shut_down()
    queue.add("ignored")
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]
    with pytest.raises(ShutDown):
        await queue.get()
    assert queue.waiting() == 0


async def test_shut_down_with_drain_waits_for_in_flight_items() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add("b")
    a = await queue.get()
    b = await queue.get()
    drain = asyncio.create_task(queue.shut_down_with_drain(timeout=10))
    await asyncio.sleep(0)
    assert not drain.done()
    queue.done(a)
    await asyncio.sleep(0)
    assert not drain.done()
    queue.done(b)
    assert await asyncio.wait_for(drain, 5) is True


async def test_shut_down_with_drain_returns_at_once_when_idle_and_reports_timeout() -> None:
    queue: WorkQueue[str] = WorkQueue()
    assert await queue.shut_down_with_drain(timeout=0) is True
    busy: WorkQueue[str] = WorkQueue()
    busy.add("a")
    await busy.get()
    assert await busy.shut_down_with_drain(timeout=0.01) is False


async def test_a_cancelled_getter_does_not_swallow_a_wake_up() -> None:
    queue: WorkQueue[str] = WorkQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("a")  # wakes `first`...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 5) == "a"


async def test_add_after_on_the_real_clock_eventually_adds() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("a", 0.01)
    assert len(queue) == 0
    assert await asyncio.wait_for(queue.get(), 5) == "a"


async def test_dirty_item_re_added_after_done_is_handed_out_again() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    item = await queue.get()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0  # not handed to a second worker while processing
    queue.done(item)
    assert await queue.get() == "a"
    assert len(queue) == 0


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, {"name": "q", "controller": "q", **labels})
    assert value is not None, name
    return value


def test_metrics_use_controller_runtime_names() -> None:
    registry = CollectorRegistry()
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue("q", registry=registry, clock=clock)
    queue.add("a")
    queue.add("a")  # deduplicated: not counted
    queue.add("b")
    assert sample(registry, "workqueue_adds_total") == 2
    assert sample(registry, "workqueue_depth", priority="") == 2
    clock.advance(2)
    item = queue.get_nowait()
    assert sample(registry, "workqueue_depth", priority="") == 1
    assert sample(registry, "workqueue_queue_duration_seconds_sum") == 2
    clock.advance(3)
    assert sample(registry, "workqueue_unfinished_work_seconds") == 3
    assert sample(registry, "workqueue_longest_running_processor_seconds") == 3
    queue.done(item)
    assert sample(registry, "workqueue_work_duration_seconds_sum") == 3
    assert sample(registry, "workqueue_unfinished_work_seconds") == 0
    queue.add_rate_limited("c")
    queue.add_after("d", 1)
    assert sample(registry, "workqueue_retries_total") == 2


def test_two_queues_share_a_registry() -> None:
    registry = CollectorRegistry()
    WorkQueue[str]("one", registry=registry).add("a")
    WorkQueue[str]("two", registry=registry).add("a")
    for name in ("one", "two"):
        labels = {"name": name, "controller": name}
        assert registry.get_sample_value("workqueue_adds_total", labels) == 1


# -- concurrency ----------------------------------------------------------------------------------------

# A schedule: for each step, which items to add, how many loop turns to let pass, and whether the adds are
# rate limited. Few distinct items, so adds often hit items that are queued or being processed.
SCHEDULE = st.lists(
    st.tuples(st.lists(st.integers(0, 5), max_size=4), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=40,
)
Schedule = list[tuple[list[int], int, bool]]


async def run_workers(schedule: Schedule, workers: int, seed: int) -> None:
    rnd = random.Random(seed)
    queue: WorkQueue[int] = WorkQueue(rate_limiter=ItemExponentialFailureRateLimiter(0.0001, 0.001))
    in_flight: set[int] = set()
    tick = 0
    last_add: dict[int, int] = {}
    started: dict[int, list[int]] = {}

    async def worker() -> None:
        nonlocal tick
        while True:
            try:
                item = await queue.get()
            except ShutDown:
                return
            assert item not in in_flight, f"{item} handed to two workers at once"
            in_flight.add(item)
            tick += 1
            started.setdefault(item, []).append(tick)
            for _ in range(rnd.randint(0, 4)):
                await asyncio.sleep(0)
            in_flight.discard(item)
            queue.done(item)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    for items, turns, rate_limited in schedule:
        for item in items:
            tick += 1
            last_add[item] = tick
            if rate_limited:
                queue.add_rate_limited(item)
            else:
                queue.add(item)
        for _ in range(turns):
            await asyncio.sleep(0)

    def every_add_was_followed_by_processing() -> bool:
        for task in tasks:  # a worker's failed assertion ends the wait at once
            if task.done() and task.exception() is not None:
                raise AssertionError(f"worker failed: {task.exception()}")
        return all(any(t > added for t in started.get(item, [])) for item, added in last_add.items())

    await eventually(every_add_was_followed_by_processing, timeout=10, interval=0.001)
    assert await queue.shut_down_with_drain(timeout=10)
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert not in_flight


@given(schedule=SCHEDULE, workers=st.integers(1, 8), seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_no_item_is_handed_to_two_workers_and_every_add_is_processed(
    schedule: Schedule, workers: int, seed: int
) -> None:
    asyncio.run(run_workers(schedule, workers, seed))


@pytest.mark.soak
@given(schedule=SCHEDULE, workers=st.integers(1, 32), seed=st.integers(0, 2**16))
@settings(max_examples=2000, deadline=None)
def test_concurrency_soak(schedule: Schedule, workers: int, seed: int) -> None:
    asyncio.run(run_workers(schedule, workers, seed))


def test_depth_forgets_a_dropped_queue() -> None:
    registry = CollectorRegistry()
    queue: WorkQueue[str] = WorkQueue("q", registry=registry, clock=FakeClock())
    queue.add("a")
    queue.add("b")
    assert sample(registry, "workqueue_depth", priority="") == 2
    queue.shut_down()  # still holds its items until handed out...
    assert sample(registry, "workqueue_depth", priority="") == 2
    del queue  # ...but once dropped (a controller renews its queue) they no longer count
    assert sample(registry, "workqueue_depth", priority="") == 0
