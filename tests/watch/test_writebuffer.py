"""The input-revision write buffer against a scripted client (synthesis.md §4.1): batching, optimistic
locking, retries that never overwrite newer operations or resurrect pruned keys."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from eno.api.v1.common import InputRevisions
from eno.runtime.client import Client
from eno.runtime.errors import Conflict, NotFound
from eno.runtime.reconcile import Request
from eno.watch.revisions import RemoveRevision, SetRevision, apply_ops
from eno.watch.writebuffer import InputRevisionWriteBuffer
from tests.eventually import eventually

COMP = Request("default", "comp")


class FakeClient:
    """One composition's status; `before_patch` may change it (another writer) just before a patch lands."""

    def __init__(self, revisions: list[dict[str, Any]] | None = None) -> None:
        self.obj: dict[str, Any] | None = {
            "metadata": {"name": "comp", "namespace": "default", "resourceVersion": "1"},
            "status": {"inputRevisions": revisions or []},
        }
        self.patches: list[dict[str, Any]] = []
        self.before_patch: Callable[[FakeClient], None] | None = None

    async def get(self, kind: Any, name: str, namespace: str | None = None) -> dict[str, Any]:
        if self.obj is None:
            raise NotFound(404, "NotFound", "gone")
        return copy.deepcopy(self.obj)

    async def patch(
        self, kind: Any, name: str, namespace: str | None, patch: Any, **_: Any
    ) -> dict[str, Any]:
        hook, self.before_patch = self.before_patch, None
        if hook is not None:
            hook(self)
        assert self.obj is not None
        if patch["metadata"]["resourceVersion"] != self.obj["metadata"]["resourceVersion"]:
            raise Conflict(409, "Conflict", "the object has been modified")
        self.patches.append(patch)
        self.obj["status"]["inputRevisions"] = patch["status"]["inputRevisions"]
        self.bump()
        return self.obj

    def bump(self) -> None:
        assert self.obj is not None
        meta = self.obj["metadata"]
        meta["resourceVersion"] = str(int(meta["resourceVersion"]) + 1)

    @property
    def keys(self) -> dict[str, str]:
        assert self.obj is not None
        return {r["key"]: r["resourceVersion"] for r in self.obj["status"]["inputRevisions"]}


def set_op(key: str, rv: str) -> SetRevision:
    return SetRevision(InputRevisions(key=key, resource_version=rv))


def idle(buffer: InputRevisionWriteBuffer) -> bool:
    """Everything enqueued has been flushed (or dropped)."""
    queue = buffer.queue
    return not buffer.pending(COMP) and len(queue) == 0 and not queue.processing()


@asynccontextmanager
async def buffering(fake: FakeClient) -> AsyncIterator[InputRevisionWriteBuffer]:
    buffer = InputRevisionWriteBuffer(cast(Client, fake), CollectorRegistry(), base_delay=0.01)
    task = asyncio.create_task(buffer.run())
    try:
        yield buffer
    finally:
        await buffer.shutdown(1)
        await asyncio.wait_for(task, 2)


async def test_a_burst_is_one_write() -> None:
    fake = FakeClient()
    async with buffering(fake) as buffer:
        for key in "abc":
            buffer.enqueue(COMP, key, set_op(key, "5"))
        buffer.enqueue(COMP, "a", set_op("a", "6"))  # last write wins per key
        await eventually(lambda: fake.keys == {"a": "6", "b": "5", "c": "5"})
        assert len(fake.patches) == 1
        assert buffer.metrics.flushes._value.get() == 1


async def test_nothing_to_change_sends_nothing() -> None:
    fake = FakeClient([{"key": "a", "resourceVersion": "5"}])
    async with buffering(fake) as buffer:
        buffer.enqueue(COMP, "a", set_op("a", "5"))
        buffer.enqueue(COMP, "gone", RemoveRevision())
        await eventually(lambda: idle(buffer))
    assert fake.patches == []


async def test_conflict_retries_without_resurrecting_a_pruned_key() -> None:
    fake = FakeClient([{"key": "a", "resourceVersion": "1"}, {"key": "stale", "resourceVersion": "1"}])

    def pruner(f: FakeClient) -> None:
        assert f.obj is not None
        f.obj["status"]["inputRevisions"] = [{"key": "a", "resourceVersion": "1"}]
        f.bump()

    fake.before_patch = pruner
    async with buffering(fake) as buffer:
        buffer.enqueue(COMP, "a", set_op("a", "2"))
        await eventually(lambda: fake.keys == {"a": "2"})
    assert len(fake.patches) == 1


async def test_failed_flush_keeps_newer_operations() -> None:
    fake = FakeClient()
    holder: dict[str, InputRevisionWriteBuffer] = {}

    def newer_arrives(f: FakeClient) -> None:
        holder["buffer"].enqueue(COMP, "a", set_op("a", "9"))  # arrives during the flush
        f.bump()  # and the flush conflicts

    fake.before_patch = newer_arrives
    async with buffering(fake) as buffer:
        holder["buffer"] = buffer
        buffer.enqueue(COMP, "a", set_op("a", "1"))
        buffer.enqueue(COMP, "b", set_op("b", "1"))
        await eventually(lambda: fake.keys == {"a": "9", "b": "1"})


async def test_deleted_composition_is_dropped() -> None:
    fake = FakeClient()
    fake.obj = None
    async with buffering(fake) as buffer:
        buffer.enqueue(COMP, "a", set_op("a", "1"))
        await eventually(lambda: idle(buffer))


def test_apply_ops_table() -> None:
    current = [{"key": "a", "resourceVersion": "1"}, {"key": "b", "resourceVersion": "1"}]
    assert apply_ops(current, {"a": set_op("a", "1")}) is None
    assert apply_ops(current, {"c": RemoveRevision()}) is None
    assert apply_ops(current, {"a": RemoveRevision(), "c": set_op("c", "3")}) == [
        {"key": "b", "resourceVersion": "1"},
        {"key": "c", "resourceVersion": "3"},
    ]
    assert apply_ops(current, {"b": set_op("b", "2")}) == [
        {"key": "a", "resourceVersion": "1"},
        {"key": "b", "resourceVersion": "2"},
    ]


KEYS = st.sampled_from("abcd")
OPS = st.one_of(
    st.builds(lambda k, rv: (k, set_op(k, str(rv))), KEYS, st.integers(1, 5)),
    st.builds(lambda k: (k, RemoveRevision()), KEYS),
)


@given(
    st.lists(st.tuples(KEYS, st.integers(1, 5)), unique_by=lambda t: t[0]),
    st.lists(OPS, max_size=12),
)
def test_batching_equals_applying_one_by_one(
    initial: list[tuple[str, int]], ops: list[tuple[str, Any]]
) -> None:
    """Keeping only the last operation per key and applying them at once ends where applying every one
    in turn ends: batching loses nothing."""
    current = [{"key": k, "resourceVersion": str(rv)} for k, rv in initial]

    def apply(revs: list[dict[str, Any]], batch: dict[str, Any]) -> list[dict[str, Any]]:
        changed = apply_ops(revs, batch)
        return revs if changed is None else changed

    one_by_one = current
    for key, op in ops:
        one_by_one = apply(one_by_one, {key: op})
    batched = apply(current, dict(ops))
    assert sorted(batched, key=lambda r: r["key"]) == sorted(one_by_one, key=lambda r: r["key"])
