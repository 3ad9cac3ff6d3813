"""The controller loop, fed with events through its informer handler interface (no API server needed)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from eno.runtime.clock import FakeClock
from eno.runtime.controller import Controller, SourceSyncTimeout, WatchHandler
from eno.runtime.errors import Conflict
from eno.runtime.handler import EnqueueRequestForObject
from eno.runtime.predicates import GenerationChanged
from eno.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from eno.runtime.reconcile import ReconcilerFunc, Request, Result, TerminalError
from tests.eventually import eventually


def cm(name: str, namespace: str = "ns", generation: int = 1) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "generation": generation}}


class Recorder:
    """A real reconciler whose behaviour per call is scripted by the test."""

    def __init__(self, behave: Callable[[Request, int], Awaitable[Result]] | None = None) -> None:
        self.calls: list[Request] = []
        self.in_flight: set[Request] = set()
        self.overlaps: list[Request] = []  # requests reconciled by two workers at once: must stay empty
        self.max_parallel = 0
        self._behave = behave

    async def reconcile(self, request: Request) -> Result:
        # Recorded, not asserted: the controller would treat an AssertionError as a reconcile failure.
        if request in self.in_flight:
            self.overlaps.append(request)
        self.in_flight.add(request)
        self.max_parallel = max(self.max_parallel, len(self.in_flight))
        self.calls.append(request)
        try:
            if self._behave:
                return await self._behave(request, self.calls.count(request))
            return Result()
        finally:
            self.in_flight.discard(request)


class ListSource:
    """Stands in for an informer: the test calls the registered handlers itself."""

    def __init__(self, synced: bool = True) -> None:
        self.handlers: list[WatchHandler] = []
        self.synced = synced
        self.objects: list[dict[str, Any]] = []

    def add_event_handler(self, handler: WatchHandler) -> WatchHandler:
        self.handlers.append(handler)
        return handler

    async def wait_for_sync(self, timeout: float) -> bool:
        return self.synced

    def list(self) -> list[dict[str, Any]]:
        return list(self.objects)


@contextlib.asynccontextmanager
async def running(controller: Controller) -> AsyncIterator[Controller]:
    task = asyncio.create_task(controller.run())
    try:
        yield controller
    finally:
        await controller.shutdown(timeout=5)
        await asyncio.wait_for(task, 5)


def fast_backoff() -> ItemExponentialFailureRateLimiter[Request]:
    return ItemExponentialFailureRateLimiter(0.001, 0.01)


def make(reconciler: Recorder, **kwargs: Any) -> tuple[Controller, WatchHandler]:
    kwargs.setdefault("rate_limiter", fast_backoff())
    controller = Controller("test", reconciler, **kwargs)
    handler = controller.watch(ListSource(), EnqueueRequestForObject())
    return controller, handler


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def total(registry: CollectorRegistry, result: str) -> float:
    labels = {"controller": "test", "result": result}
    return registry.get_sample_value("controller_runtime_reconcile_total", labels) or 0


async def test_events_are_reconciled_and_duplicates_collapse(registry: CollectorRegistry) -> None:
    gate = asyncio.Event()

    async def wait_for_gate(request: Request, n: int) -> Result:
        await gate.wait()
        return Result()

    recorder = Recorder(wait_for_gate)
    controller, events = make(recorder, registry=registry)
    async with running(controller):
        events.on_add(cm("busy"))
        await eventually(lambda: recorder.in_flight == {Request("ns", "busy")})
        for _ in range(5):  # while "busy" is in flight: one more reconcile, not five
            events.on_update(cm("busy"), cm("busy"))
        events.on_add(cm("other"))
        events.on_delete(cm("other"))
        gate.set()
        expected = {Request("ns", "busy"): 2, Request("ns", "other"): 1}
        await eventually(lambda: Counter(recorder.calls) == expected)
        await eventually(lambda: total(registry, "success") == 3)


async def test_an_exception_requeues_with_backoff_and_logs_once_naming_the_object(
    registry: CollectorRegistry,
) -> None:
    async def fail_twice(request: Request, n: int) -> Result:
        if n <= 2:
            raise RuntimeError(f"attempt {n} failed")
        return Result()

    recorder = Recorder(fail_twice)
    controller, events = make(recorder, registry=registry)
    with capture_logs() as logs:
        async with running(controller):
            events.on_add(cm("a"))
            await eventually(lambda: len(recorder.calls) == 3)
            await eventually(lambda: total(registry, "success") == 1)
            assert controller.queue.num_requeues(Request("ns", "a")) == 0  # success forgets the backoff
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [e["error"] for e in errors] == ["attempt 1 failed", "attempt 2 failed"]
    assert all(e["namespace"] == "ns" and e["name"] == "a" and e["controller"] == "test" for e in errors)
    assert registry.get_sample_value("controller_runtime_reconcile_errors_total", {"controller": "test"}) == 2
    assert total(registry, "error") == 2


async def test_a_conflict_requeues_without_an_error_log() -> None:
    async def conflict_once(request: Request, n: int) -> Result:
        if n == 1:
            raise Conflict(409, "Conflict", "the object has been modified")
        return Result()

    recorder = Recorder(conflict_once)
    controller, events = make(recorder)
    with capture_logs() as logs:
        async with running(controller):
            events.on_add(cm("a"))
            await eventually(lambda: len(recorder.calls) == 2)
    assert [e["event"] for e in logs if e["log_level"] in ("error", "warning")] == []
    assert any(e["event"] == "reconcile_conflict" for e in logs)


async def test_a_terminal_error_is_not_retried(registry: CollectorRegistry) -> None:
    async def terminal(request: Request, n: int) -> Result:
        raise TerminalError("bad spec")

    recorder = Recorder(terminal)
    controller, events = make(recorder, registry=registry)
    with capture_logs() as logs:
        async with running(controller):
            events.on_add(cm("a"))
            await eventually(
                lambda: (
                    registry.get_sample_value(
                        "controller_runtime_terminal_reconcile_errors_total", {"controller": "test"}
                    )
                    == 1
                )
            )
            assert controller.queue.waiting() == 0 and len(controller.queue) == 0
    assert recorder.calls == [Request("ns", "a")]
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["reconciler_terminal_error"]


async def test_requeue_after_delays_and_resets_backoff(registry: CollectorRegistry) -> None:
    clock = FakeClock()

    async def later(request: Request, n: int) -> Result:
        return Result(requeue_after=30) if n == 1 else Result()

    recorder = Recorder(later)
    controller, _ = make(recorder, registry=registry, clock=clock)
    async with running(controller):
        controller.queue.add_rate_limited(Request("ns", "a"))  # some backoff history to reset
        clock.advance(1)
        await eventually(lambda: controller.queue.waiting() == 1 and len(recorder.calls) == 1)
        assert controller.queue.num_requeues(Request("ns", "a")) == 0
        clock.advance(29.5)
        assert len(controller.queue) == 0
        clock.advance(0.5)
        await eventually(lambda: len(recorder.calls) == 2)
    assert total(registry, "requeue_after") == 1


async def test_requeue_is_rate_limited(registry: CollectorRegistry) -> None:
    async def again(request: Request, n: int) -> Result:
        return Result(requeue=n < 3)

    recorder = Recorder(again)
    controller, events = make(recorder, registry=registry)
    async with running(controller):
        events.on_add(cm("a"))
        await eventually(lambda: total(registry, "success") == 1)
    assert total(registry, "requeue") == 2
    assert len(recorder.calls) == 3


async def test_workers_run_in_parallel_but_never_on_the_same_request(registry: CollectorRegistry) -> None:
    release = asyncio.Event()

    async def block(request: Request, n: int) -> Result:
        await release.wait()
        return Result()

    recorder = Recorder(block)
    controller, events = make(recorder, registry=registry, max_concurrent_reconciles=4)
    async with running(controller):
        for i in range(10):
            events.on_add(cm(f"o{i}"))
            events.on_add(cm("o0"))
        await eventually(lambda: len(recorder.in_flight) == 4)
        gauge = registry.get_sample_value("controller_runtime_active_workers", {"controller": "test"})
        assert gauge == 4
        release.set()
        await eventually(lambda: len(set(recorder.calls)) == 10)
    assert recorder.max_parallel == 4
    assert not recorder.overlaps
    labels = {"controller": "test"}
    assert registry.get_sample_value("controller_runtime_max_concurrent_reconciles", labels) == 4


async def test_predicates_filter_events() -> None:
    recorder = Recorder()
    controller = Controller("test", recorder, rate_limiter=fast_backoff())
    events = controller.watch(ListSource(), EnqueueRequestForObject(), GenerationChanged)
    async with running(controller):
        events.on_update(cm("same", generation=1), cm("same", generation=1))
        events.on_update(cm("bumped", generation=1), cm("bumped", generation=2))
        await eventually(lambda: recorder.calls == [Request("ns", "bumped")])


async def test_shutdown_lets_in_flight_reconciles_finish_and_drops_the_rest() -> None:
    release = asyncio.Event()
    finished: list[Request] = []

    async def slow(request: Request, n: int) -> Result:
        await release.wait()
        finished.append(request)
        return Result()

    recorder = Recorder(slow)
    controller, events = make(recorder)
    task = asyncio.create_task(controller.run())
    await eventually(lambda: controller.running)
    events.on_add(cm("in-flight"))
    await eventually(lambda: recorder.in_flight)
    events.on_add(cm("queued"))
    shutdown = asyncio.create_task(controller.shutdown(timeout=10))
    await asyncio.sleep(0)
    assert not shutdown.done()
    events.on_add(cm("after-shutdown"))
    release.set()
    assert await asyncio.wait_for(shutdown, 5) is True
    await asyncio.wait_for(task, 5)
    assert finished == [Request("ns", "in-flight")]


async def test_shutdown_reports_a_reconcile_that_outlives_the_deadline() -> None:
    async def stuck(request: Request, n: int) -> Result:
        await asyncio.Event().wait()
        return Result()

    recorder = Recorder(stuck)
    controller, events = make(recorder)
    task = asyncio.create_task(controller.run())
    events.on_add(cm("a"))
    await eventually(lambda: recorder.in_flight)
    assert await controller.shutdown(timeout=0.01) is False
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_run_fails_when_a_source_never_syncs() -> None:
    reconciler = ReconcilerFunc(lambda r: asyncio.sleep(0, Result()))
    controller = Controller("test", reconciler, cache_sync_timeout=0)
    controller.watch(ListSource(synced=False), EnqueueRequestForObject())
    with pytest.raises(SourceSyncTimeout):
        await controller.run()


async def test_a_stopped_controller_runs_again_from_its_caches() -> None:
    recorder = Recorder()
    controller = Controller("test", recorder, rate_limiter=fast_backoff())
    source = ListSource()
    events = controller.watch(source, EnqueueRequestForObject())
    async with running(controller):
        events.on_add(cm("a"))
        await eventually(lambda: recorder.calls == [Request("ns", "a")])
    assert not controller.running
    events.on_add(cm("missed-while-stopped"))  # dropped: nobody would reconcile it
    source.objects = [cm("a"), cm("missed-while-stopped")]
    async with running(controller):
        await eventually(lambda: len(recorder.calls) == 3)
    assert set(recorder.calls[1:]) == {Request("ns", "a"), Request("ns", "missed-while-stopped")}


# -- property: under random events and failures, every object's last event is followed by a success -----

EVENTS = st.lists(
    st.tuples(st.sampled_from(["add", "update", "delete"]), st.integers(0, 5), st.integers(0, 2)),
    min_size=1,
    max_size=40,
)
Events = list[tuple[str, int, int]]


async def storm(events: Events, workers: int, failure_rate: float, seed: int) -> None:
    rnd = random.Random(seed)
    tick = 0
    last_event: dict[Request, int] = {}
    succeeded: dict[Request, list[int]] = {}

    async def flaky(request: Request, n: int) -> Result:
        nonlocal tick
        tick += 1
        started = tick
        for _ in range(rnd.randint(0, 2)):
            await asyncio.sleep(0)
        if rnd.random() < failure_rate:
            raise RuntimeError("transient")
        succeeded.setdefault(request, []).append(started)
        return Result()

    recorder = Recorder(flaky)  # asserts no request is reconciled by two workers at once
    controller, handler = make(recorder, max_concurrent_reconciles=workers)
    with capture_logs():
        async with running(controller):
            for kind, i, turns in events:
                obj = cm(f"o{i}")
                tick += 1
                last_event[Request("ns", f"o{i}")] = tick
                if kind == "add":
                    handler.on_add(obj)
                elif kind == "update":
                    handler.on_update(obj, obj)
                else:
                    handler.on_delete(obj)
                for _ in range(turns):
                    await asyncio.sleep(0)

            def all_settled() -> bool:
                return all(any(t > at for t in succeeded.get(r, [])) for r, at in last_event.items())

            await eventually(all_settled, timeout=10, interval=0.001)
    assert not recorder.overlaps


@given(
    events=EVENTS,
    workers=st.integers(1, 6),
    failure_rate=st.sampled_from([0.0, 0.3]),
    seed=st.integers(0, 999),
)
@settings(max_examples=30, deadline=None)
def test_every_last_event_is_followed_by_a_successful_reconcile(
    events: Events, workers: int, failure_rate: float, seed: int
) -> None:
    asyncio.run(storm(events, workers, failure_rate, seed))


@pytest.mark.soak
@given(
    events=EVENTS,
    workers=st.integers(1, 16),
    failure_rate=st.sampled_from([0.0, 0.3, 0.7]),
    seed=st.integers(0, 9999),
)
@settings(max_examples=1000, deadline=None)
def test_event_storm_soak(events: Events, workers: int, failure_rate: float, seed: int) -> None:
    asyncio.run(storm(events, workers, failure_rate, seed))


class SlowSyncSource(ListSource):
    def __init__(self) -> None:
        super().__init__()
        self.waiting = False

    async def wait_for_sync(self, timeout: float) -> bool:
        self.waiting = True
        await asyncio.Event().wait()  # never syncs
        return True


async def test_shutdown_interrupts_a_controller_waiting_for_its_caches() -> None:
    controller = Controller("test", Recorder(), cache_sync_timeout=3600)
    source = SlowSyncSource()
    controller.watch(source, EnqueueRequestForObject())
    task = asyncio.create_task(controller.run())
    await eventually(lambda: source.waiting)
    assert await controller.shutdown(timeout=5)
    await asyncio.wait_for(task, 5)  # returns instead of waiting out the sync timeout


async def test_a_shutdown_before_the_start_is_honoured_and_the_next_run_works() -> None:
    recorder = Recorder()
    controller, events = make(recorder)
    task = asyncio.create_task(controller.run())
    await controller.shutdown(timeout=5)  # before the task got to run
    await asyncio.wait_for(task, 5)
    assert recorder.calls == []
    async with running(controller):
        events.on_add(cm("a"))
        await eventually(lambda: recorder.calls == [Request("ns", "a")])


async def test_a_reconciler_returning_none_succeeds_and_a_wrong_type_is_an_error(
    registry: CollectorRegistry,
) -> None:
    async def sloppy(request: Request, n: int) -> Any:
        return None if request.name == "none" else ("oops" if n == 1 else Result())

    recorder = Recorder(sloppy)
    controller, events = make(recorder, registry=registry)
    with capture_logs() as logs:
        async with running(controller):
            events.on_add(cm("none"))
            events.on_add(cm("wrong"))
            await eventually(lambda: total(registry, "success") == 2)
    assert total(registry, "error") == 1
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [(e["name"], e["error"]) for e in errors] == [("wrong", "reconcile returned str, not Result")]
