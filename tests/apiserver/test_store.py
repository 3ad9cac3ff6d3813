"""The store's invariants: one revision counter, per-key history, ordered events, atomic subscription."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eno.apiserver.store import ADDED, DELETED, MODIFIED, CompactedError, Key, Store

NAMES = st.sampled_from(["a", "b", "c"])
OPS = st.lists(
    st.tuples(st.sampled_from(["put", "delete"]), NAMES, st.integers(min_value=0, max_value=2)),
    max_size=40,
)


def key(name: str) -> Key:
    return Key("", "configmaps", "default", name)


def obj(name: str, value: int) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": str(value)}}


async def run_ops(store: Store, ops: list[tuple[str, str, int]]) -> None:
    for op, name, value in ops:
        async with store.transaction() as txn:
            txn.put(key(name), obj(name, value) if op == "put" else None)


@settings(max_examples=60, deadline=None)
@given(OPS, st.integers(min_value=0, max_value=40))
def test_events_history_and_backlog_agree(ops: list[tuple[str, str, int]], since: int) -> None:
    async def scenario() -> None:
        store = Store()
        watcher, _ = store.subscribe("", "configmaps", None, since=None)
        await run_ops(store, ops)
        events = []
        while not watcher.queue.empty():
            event = watcher.queue.get_nowait()
            assert event is not None
            events.append(event)
        # One revision per change, in order, and nothing for writes that change nothing.
        assert [e.revision for e in events] == list(range(1, store.revision + 1))
        for event in events:
            assert event.object["metadata"]["resourceVersion"] == str(event.revision)
            assert event.type == (
                ADDED if event.prev is None else DELETED if event.type == DELETED else MODIFIED
            )
        # The history of each key replays to its current state.
        for name in ("a", "b", "c"):
            history = store.history(key(name))
            assert [h.revision for h in history] == [e.revision for e in events if e.key == key(name)]
            current = store.get(key(name))
            if history and history[-1].type != DELETED:
                assert current == history[-1].object
            else:
                assert current is None
        # A subscription from any revision gets exactly the events after it.
        later, backlog = store.subscribe("", "configmaps", None, since=since)
        assert [e.revision for e in backlog] == [e.revision for e in events if e.revision > since]
        later.close()

    asyncio.run(scenario())


async def test_writing_an_equal_object_is_a_no_op() -> None:
    store = Store()
    async with store.transaction() as txn:
        first = txn.put(key("a"), obj("a", 1))
        again = txn.put(key("a"), obj("a", 1))
    assert first.event is not None
    assert again.event is None
    assert store.revision == 1


async def test_subscribing_before_the_compaction_point_fails() -> None:
    store = Store()
    await run_ops(store, [("put", "a", 1), ("put", "a", 2), ("put", "a", 0)])
    store.compact(2)
    with pytest.raises(CompactedError):
        store.subscribe("", "configmaps", None, since=1)
    _, backlog = store.subscribe("", "configmaps", None, since=2)
    assert [e.revision for e in backlog] == [3]


async def test_window_drops_the_oldest_events() -> None:
    store = Store(window=2)
    await run_ops(store, [("put", "a", 1), ("put", "a", 2), ("put", "a", 0), ("put", "b", 1)])
    assert store.compacted == 2
    with pytest.raises(CompactedError):
        store.subscribe("", "configmaps", None, since=1)


async def test_a_failed_mutation_stores_nothing() -> None:
    store = Store()

    def boom(current: object) -> dict[str, object]:
        raise ValueError("refused")

    with pytest.raises(ValueError):
        await store.update(key("a"), boom)
    assert store.revision == 0
    assert store.get(key("a")) is None


async def test_history_per_key_can_be_bounded() -> None:
    store = Store(history_per_key=2)
    await run_ops(store, [("put", "a", 1), ("put", "a", 2), ("put", "a", 0)])
    assert [h.revision for h in store.history(key("a"))] == [2, 3]
