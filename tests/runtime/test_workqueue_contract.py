"""Every clause of the work-queue contract, checked against a reference model by hypothesis.

The queue's synchronous surface (add, add_after, add_rate_limited, get_nowait, done, forget, shut_down) is
driven at random on a fake clock; after each step the queue must agree with a plain model of client-go's
semantics: FIFO order, dedup, the processing set, dirty re-add after done, earliest-delay-wins for
add_after, exponential backoff per item reset by forget, and shutdown that drops delays but drains the queue.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from eno.runtime.clock import FakeClock
from eno.runtime.ratelimiter import ItemExponentialFailureRateLimiter, exponential_backoff
from eno.runtime.workqueue import QueueEmpty, ShutDown, WorkQueue

ITEMS = st.sampled_from(["a", "b", "c", "d", "e"])
DELAYS = st.sampled_from([0.0, -1.0, 0.5, 1.0, 2.0, 3.5])
BASE, CAP = 0.5, 4.0


class QueueModel:
    """client-go's semantics written as plainly as possible."""

    def __init__(self) -> None:
        self.now = 0.0
        self.queue: list[str] = []
        self.dirty: set[str] = set()
        self.processing: set[str] = set()
        self.waiting: dict[str, tuple[float, int]] = {}
        self.seq = 0
        self.failures: dict[str, int] = {}
        self.shutting_down = False

    def add(self, item: str) -> None:
        if self.shutting_down or item in self.dirty:
            return
        self.dirty.add(item)
        if item not in self.processing:
            self.queue.append(item)

    def get(self) -> str | None:
        if not self.queue:
            return None
        item = self.queue.pop(0)
        self.processing.add(item)
        self.dirty.discard(item)
        return item

    def done(self, item: str) -> None:
        self.processing.discard(item)
        if item in self.dirty:
            self.queue.append(item)

    def add_after(self, item: str, delay: float) -> None:
        if self.shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        ready = self.now + delay
        if item in self.waiting and self.waiting[item][0] <= ready:
            return
        self.seq += 1
        self.waiting[item] = (ready, self.seq)

    def add_rate_limited(self, item: str) -> None:
        exponent = self.failures.get(item, 0)
        self.failures[item] = exponent + 1
        self.add_after(item, exponential_backoff(BASE, CAP, exponent))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = sorted((ready, seq, item) for item, (ready, seq) in self.waiting.items() if ready <= self.now)
        for _, _, item in due:
            del self.waiting[item]
            self.add(item)

    def shut_down(self) -> None:
        self.shutting_down = True
        self.waiting.clear()


class WorkQueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.queue: WorkQueue[str] = WorkQueue(
            "contract", rate_limiter=ItemExponentialFailureRateLimiter(BASE, CAP), clock=self.clock
        )
        self.model = QueueModel()

    @rule(item=ITEMS)
    def add(self, item: str) -> None:
        self.queue.add(item)
        self.model.add(item)

    @rule()
    def get(self) -> None:
        expected = self.model.get()
        if expected is None:
            with pytest.raises(ShutDown if self.model.shutting_down else QueueEmpty):
                self.queue.get_nowait()
        else:
            assert self.queue.get_nowait() == expected

    @precondition(lambda self: self.model.processing)
    @rule(data=st.data())
    def done(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(sorted(self.model.processing)))
        self.queue.done(item)
        self.model.done(item)

    @rule(item=ITEMS)
    def done_on_an_item_not_processing_is_a_no_op(self, item: str) -> None:
        if item not in self.model.processing:
            self.queue.done(item)

    @rule(item=ITEMS, delay=DELAYS)
    def add_after(self, item: str, delay: float) -> None:
        self.queue.add_after(item, delay)
        self.model.add_after(item, delay)

    @rule(item=ITEMS)
    def add_rate_limited(self, item: str) -> None:
        self.queue.add_rate_limited(item)
        self.model.add_rate_limited(item)

    @rule(item=ITEMS)
    def forget(self, item: str) -> None:
        self.queue.forget(item)
        self.model.failures.pop(item, None)

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.model.advance(seconds)

    @rule()
    def shut_down(self) -> None:
        self.queue.shut_down()
        self.model.shut_down()

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert list(self.queue._queue) == self.model.queue
        assert len(self.queue) == len(self.model.queue)
        assert self.queue.processing() == self.model.processing
        assert self.queue.waiting() == len(self.model.waiting)
        assert self.queue.shutting_down() == self.model.shutting_down
        for item in "abcde":
            assert self.queue.num_requeues(item) == self.model.failures.get(item, 0)

    @invariant()
    def no_item_is_both_queued_and_processing(self) -> None:
        queued = list(self.queue._queue)
        assert len(queued) == len(set(queued))
        assert not set(queued) & self.queue.processing()

    @invariant()
    def no_timer_outlives_shutdown(self) -> None:
        if self.model.shutting_down:
            assert self.clock.pending == 0


TestWorkQueueContract = WorkQueueMachine.TestCase
TestWorkQueueContract.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


class SoakMachine(WorkQueueMachine):
    pass


TestWorkQueueContractSoak = pytest.mark.soak(SoakMachine.TestCase)
TestWorkQueueContractSoak.settings = settings(max_examples=3000, stateful_step_count=100, deadline=None)
