"""Property: the collector's decisions, run to a fixpoint over random ownership graphs, leave no garbage.

A pure simulation: objects in a dict, the collector's actions applied with the server's delete semantics
(GC finalizers from the policy; an object with finalizers is marked, else removed), events fed back to the
graph, until no decision is left. Whatever the graph and the deletions, at the fixpoint:
- every object left has at least one existing owner, or had none to begin with, or was orphaned;
- nothing is left marked for deletion (no GC finalizer is stuck);
- an object deleted with Orphan leaves every dependent it had in place, minus the reference to it.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eno.apiserver import deletion
from eno.apiserver.gc import Action, Delete, Graph, RemoveFinalizer, RemoveOwnerRefs, UnblockOwnerRefs, decide
from eno.apiserver.store import ADDED, DELETED, MODIFIED, Event, Key

Obj = dict[str, Any]


def key(i: int) -> Key:
    return Key("", "configmaps", "ns", f"o{i}")


class World:
    def __init__(self) -> None:
        self.objects: dict[Key, Obj] = {}
        self.graph = Graph()
        self.todo: set[str] = set()
        self.revision = 0

    def _event(self, type_: str, k: Key, obj: Obj, prev: Obj | None) -> None:
        self.revision += 1
        self.todo |= self.graph.observe(Event(type_, k, obj, prev, self.revision))

    def put(self, k: Key, obj: Obj | None) -> None:
        prev = self.objects.get(k)
        if obj is None:
            if prev is not None:
                del self.objects[k]
                self._event(DELETED, k, prev, prev)
            return
        self.objects[k] = obj
        self._event(ADDED if prev is None else MODIFIED, k, obj, prev)

    def delete(self, k: Key, policy: str | None) -> None:
        obj = self.objects.get(k)
        if obj is None:
            return
        obj = deletion.with_gc_finalizers(copy.deepcopy(obj), {"propagationPolicy": policy} if policy else {})
        if obj["metadata"].get("finalizers"):
            obj["metadata"].setdefault("deletionTimestamp", "now")
            self.put(k, obj)
        else:
            self.put(k, None)

    def act(self, action: Action) -> None:
        obj = self.objects.get(action.key)
        if obj is None or obj["metadata"]["uid"] != action.uid:
            return
        if isinstance(action, Delete):
            self.delete(action.key, action.policy)
        elif isinstance(action, RemoveOwnerRefs):
            self.put(action.key, deletion.without_owner_references(obj, action.owner_uids))
        elif isinstance(action, UnblockOwnerRefs):
            self.put(action.key, deletion.unblocked_owner_references(obj))
        elif isinstance(action, RemoveFinalizer):
            self.put(action.key, deletion.without_finalizer(obj, action.finalizer))

    def run(self) -> None:
        for _ in range(10_000):
            if not self.todo:
                return
            uid = min(self.todo)
            self.todo.discard(uid)
            for action in decide(self.graph, uid):
                self.act(action)
        raise AssertionError("the collector did not settle")


# Object i may be owned by any of objects 0..i-1 (a DAG, as ownership is in practice), some blocking.
graphs = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.booleans()), max_size=2 * n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.sampled_from([None, "Background", "Foreground", "Orphan"]))
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_collector_settles_without_garbage(case: tuple[int, list[tuple[int, int, bool]], list[Any]]) -> None:
    n, edges, deletions = case
    owners: dict[int, dict[int, bool]] = {i: {} for i in range(n)}
    for a, b, block in edges:
        if a != b:
            dependent, owner = max(a, b), min(a, b)
            owners[dependent][owner] = block
    world = World()
    for i in range(n):
        refs = [
            {"uid": f"u{o}", "name": f"o{o}", "blockOwnerDeletion": b} for o, b in sorted(owners[i].items())
        ]
        world.put(key(i), {"metadata": {"name": f"o{i}", "uid": f"u{i}", "ownerReferences": refs}})
    world.run()
    orphaned: dict[int, set[int]] = {}
    for i, policy in deletions:
        if key(i) in world.objects and policy == "Orphan":
            orphaned[i] = {d for d in range(n) if i in owners[d]}
        world.delete(key(i), policy)
        world.run()

    uids = {o["metadata"]["uid"] for o in world.objects.values()}
    for k, obj in world.objects.items():
        meta = obj["metadata"]
        assert not meta.get("deletionTimestamp"), f"{k.name} stuck with {meta.get('finalizers')}"
        refs = meta.get("ownerReferences") or []
        assert all(r["uid"] in uids for r in refs), f"{k.name} keeps a dangling reference"
        was_orphaned = any(int(k.name[1:]) in deps for deps in orphaned.values())
        if owners[int(k.name[1:])] and not was_orphaned:
            assert refs, f"{k.name} lost all its owners but was not collected"
    for owner, dependents in orphaned.items():
        for d in dependents:
            left = world.objects.get(key(d))
            if left is not None:
                assert all(r["uid"] != f"u{owner}" for r in left["metadata"].get("ownerReferences") or [])
