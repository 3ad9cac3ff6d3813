"""Garbage collection by ownerReferences, as kube-controller-manager's garbage collector does it.

- Background: the owner goes at once; every dependent left with no existing owner is deleted after it.
- Foreground: the owner is kept (deletionTimestamp + `foregroundDeletion` finalizer) while its dependents
  are deleted; dependents whose reference sets `blockOwnerDeletion` hold it until they are gone.
- Orphan: the owner is kept (`orphan` finalizer) until its dependents' references to it are removed.

The decisions are pure functions over a `Graph` (every object's uid, owners, finalizers and deletion
state), kept current from the store's committed events. The `GarbageCollector` runs them as one asyncio task:
each batch of work runs inside a store transaction, so what it decides from cannot change before it acts.
An owner exists when an object with its uid exists and is cluster-scoped or in the dependent's namespace
(a reference across namespaces never resolves, as in kube).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs
import structlog

from eno.apiserver import controllerwrites, deletion
from eno.apiserver.context import ApiContext
from eno.apiserver.store import DELETED, Event, Key, Store, Transaction
from eno.apiserver.storeworker import StoreWorker

log = structlog.get_logger("eno.apiserver.gc")

Obj = dict[str, Any]

# How many queued objects one transaction processes before letting other writers in.
BATCH = 64


@attrs.frozen
class OwnerRef:
    uid: str
    block: bool


@attrs.frozen
class Node:
    """What the collector knows of one object."""

    key: Key
    uid: str
    owners: tuple[OwnerRef, ...]
    deleting: bool
    finalizers: frozenset[str]

    @property
    def deleting_dependents(self) -> bool:
        return self.deleting and deletion.FOREGROUND_FINALIZER in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and deletion.ORPHAN_FINALIZER in self.finalizers

    def owner_ref(self, owner_uid: str) -> OwnerRef | None:
        for ref in self.owners:
            if ref.uid == owner_uid:
                return ref
        return None


def node_of(key: Key, obj: Mapping[str, Any]) -> Node | None:
    meta = obj.get("metadata") or {}
    uid = meta.get("uid")
    if not uid:
        return None
    owners = tuple(
        OwnerRef(str(r["uid"]), bool(r.get("blockOwnerDeletion")))
        for r in meta.get("ownerReferences") or []
        if isinstance(r, dict) and r.get("uid")
    )
    return Node(
        key=key,
        uid=str(uid),
        owners=owners,
        deleting=bool(meta.get("deletionTimestamp")),
        finalizers=frozenset(meta.get("finalizers") or ()),
    )


# Actions the collector takes; each names the object by key and uid (a precondition: never act on a
# newer object of the same name).


@attrs.frozen
class Delete:
    key: Key
    uid: str
    policy: str


@attrs.frozen
class RemoveOwnerRefs:
    key: Key
    uid: str
    owner_uids: frozenset[str]


@attrs.frozen
class UnblockOwnerRefs:
    key: Key
    uid: str


@attrs.frozen
class RemoveFinalizer:
    key: Key
    uid: str
    finalizer: str


Action = Delete | RemoveOwnerRefs | UnblockOwnerRefs | RemoveFinalizer


class Graph:
    """Objects by uid and the reverse ownership index, updated from committed events."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        # owner uid -> dependent uids (the owner may not exist: that is what makes a dependent dangling).
        self._dependents: dict[str, set[str]] = {}

    def dependents(self, owner_uid: str) -> list[Node]:
        return [self.nodes[u] for u in sorted(self._dependents.get(owner_uid, ())) if u in self.nodes]

    def owner(self, dependent: Node, ref: OwnerRef) -> Node | None:
        owner = self.nodes.get(ref.uid)
        if owner is None:
            return None
        if owner.key.namespace and owner.key.namespace != dependent.key.namespace:
            return None
        return owner

    def _link(self, node: Node) -> None:
        for ref in node.owners:
            self._dependents.setdefault(ref.uid, set()).add(node.uid)

    def _unlink(self, node: Node) -> None:
        for ref in node.owners:
            deps = self._dependents.get(ref.uid)
            if deps is not None:
                deps.discard(node.uid)
                if not deps:
                    del self._dependents[ref.uid]

    def put(self, node: Node) -> Node | None:
        old = self.nodes.get(node.uid)
        if old is not None:
            self._unlink(old)
        self.nodes[node.uid] = node
        self._link(node)
        return old

    def remove(self, uid: str) -> Node | None:
        old = self.nodes.pop(uid, None)
        if old is not None:
            self._unlink(old)
        return old

    def observe(self, event: Event) -> set[str]:
        """Apply one committed event; return the uids whose state the collector should look at again."""
        node = node_of(event.key, event.object)
        if node is None:
            return set()
        if event.type == DELETED:
            gone = self.remove(node.uid) or node
            # Its dependents may now be dangling; owners deleting in the foreground may be unblocked.
            return {d.uid for d in self.dependents(gone.uid)} | {r.uid for r in gone.owners}
        old = self.put(node)
        todo: set[str] = set()
        if node.owners or node.deleting:
            todo.add(node.uid)
        if node.deleting_dependents and not (old is not None and old.deleting_dependents):
            todo.update(d.uid for d in self.dependents(node.uid))
        if old is not None:
            # An owner waiting for this dependent is unblocked when the reference goes away.
            todo.update(r.uid for r in old.owners if node.owner_ref(r.uid) != r)
        return todo

    def rebuild(self, objects: Iterable[tuple[Key, Obj]]) -> set[str]:
        """Load every object (at startup, e.g. from a persisted store); return the uids to look at."""
        self.nodes.clear()
        self._dependents.clear()
        for key, obj in objects:
            node = node_of(key, obj)
            if node is not None:
                self.put(node)
        return {n.uid for n in self.nodes.values() if n.owners or n.deleting}


def decide(graph: Graph, uid: str) -> list[Action]:
    """What the garbage collector does about one object now (attemptToDeleteItem and the orphan worker)."""
    node = graph.nodes.get(uid)
    if node is None:
        return []
    if node.deleting:
        actions: list[Action] = []
        if node.orphaning:
            actions.extend(_orphan(graph, node))
        if node.deleting_dependents:
            actions.extend(_delete_dependents(graph, node))
        return actions
    return _attempt_to_delete(graph, node)


def _orphan(graph: Graph, owner: Node) -> list[Action]:
    actions: list[Action] = [
        RemoveOwnerRefs(d.key, d.uid, frozenset({owner.uid})) for d in graph.dependents(owner.uid)
    ]
    actions.append(RemoveFinalizer(owner.key, owner.uid, deletion.ORPHAN_FINALIZER))
    return actions


def _delete_dependents(graph: Graph, owner: Node) -> list[Action]:
    """processDeletingDependentsItem: the owner goes once no dependent blocks it."""
    blocking = [d for d in graph.dependents(owner.uid) if (ref := d.owner_ref(owner.uid)) and ref.block]
    if not blocking:
        return [RemoveFinalizer(owner.key, owner.uid, deletion.FOREGROUND_FINALIZER)]
    actions: list[Action] = []
    for dependent in blocking:
        if not dependent.deleting:
            actions.extend(_attempt_to_delete(graph, dependent))
    return actions


def _attempt_to_delete(graph: Graph, node: Node) -> list[Action]:
    if not node.owners:
        return []
    solid: list[str] = []
    dangling: list[str] = []
    waiting: list[str] = []
    for ref in node.owners:
        owner = graph.owner(node, ref)
        if owner is None:
            dangling.append(ref.uid)
        elif owner.deleting_dependents:
            waiting.append(ref.uid)
        else:
            solid.append(ref.uid)
    if solid:
        if dangling or waiting:
            # Waiting owners must be let go, or they would wait for this object forever.
            return [RemoveOwnerRefs(node.key, node.uid, frozenset(dangling + waiting))]
        return []
    dependents = graph.dependents(node.uid)
    if waiting and dependents:
        actions: list[Action] = []
        if any(d.deleting_dependents for d in dependents):
            # A possible cycle of foreground deletions: stop blocking, then go in the foreground anyway.
            actions.append(UnblockOwnerRefs(node.key, node.uid))
        actions.append(Delete(node.key, node.uid, deletion.FOREGROUND))
        return actions
    if deletion.ORPHAN_FINALIZER in node.finalizers:
        policy = deletion.ORPHAN
    elif deletion.FOREGROUND_FINALIZER in node.finalizers:
        policy = deletion.FOREGROUND
    else:
        policy = deletion.BACKGROUND
    return [Delete(node.key, node.uid, policy)]


class Executor(Protocol):
    """Carries out one action inside the collector's transaction (the server's own write path)."""

    def execute(self, txn: Transaction, action: Action) -> None: ...


class GarbageCollector(StoreWorker):
    """The collector's task: fed by the store's commit hook, acting in batches under the store lock."""

    name = "garbage-collector"
    batch_size = BATCH

    def __init__(self, store: Store, executor: Executor) -> None:
        super().__init__(store)
        self.executor = executor
        self.graph = Graph()

    def start(self) -> None:
        objects = [(k, o) for k in self.store.keys() if (o := self.store.get(k)) is not None]
        self._enqueue(sorted(self.graph.rebuild(objects)))
        self._attach()

    def _observe(self, event: Event) -> None:
        todo = self.graph.observe(event)
        if todo:
            self._enqueue(sorted(todo))

    def _work(self, txn: Transaction, batch: list[str]) -> None:
        for uid in batch:
            for action in decide(self.graph, uid):
                self._execute(txn, action)

    def _failed(self, batch: list[str]) -> None:
        log.exception("gc_batch_failed", uids=batch)

    def _execute(self, txn: Transaction, action: Action) -> None:
        try:
            self.executor.execute(txn, action)
        except Exception:
            # One failed action must not stop the collector; the object is looked at again on its next
            # change, as kube's collector retries with backoff.
            log.exception("gc_action_failed", action=repr(action))


class ContextExecutor:
    """Carries actions out through the server's write path (see controllerwrites)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def execute(self, txn: Transaction, action: Action) -> None:
        ctx = self.ctx
        if isinstance(action, Delete):
            controllerwrites.delete_object(
                ctx, txn, action.key, action.uid, {"propagationPolicy": action.policy}
            )
        elif isinstance(action, RemoveOwnerRefs):
            owners = action.owner_uids
            controllerwrites.update_object(
                ctx, txn, action.key, action.uid, lambda o: deletion.without_owner_references(o, owners)
            )
        elif isinstance(action, UnblockOwnerRefs):
            controllerwrites.update_object(
                ctx, txn, action.key, action.uid, deletion.unblocked_owner_references
            )
        else:
            controllerwrites.remove_finalizer(ctx, txn, action.key, action.uid, action.finalizer)
