"""The object store: one revision counter, per-key history, an event ring for watches, watcher fan-out.

Every write runs inside a transaction holding one asyncio lock; the mutation function is synchronous, so a
read-modify-write is atomic and its watch event reaches every watcher's queue (in revision order) before the
HTTP handler that caused it can answer. Handlers put their semantics (validation, generation, finalizers,
later server-side apply) into the mutation; a persistent backend sees each commit through `Backend.commit`.
"""

from __future__ import annotations

import asyncio
import builtins
import operator
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import attrs

Obj = dict[str, Any]

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

DEFAULT_WINDOW = 10_000


@attrs.frozen(order=True)
class Key:
    group: str
    resource: str
    namespace: str
    name: str


@attrs.frozen
class Event:
    """One committed change. `prev` is the object before it (None for ADDED), for selector enter/leave."""

    type: str
    key: Key
    object: Obj = attrs.field(eq=False)
    prev: Obj | None = attrs.field(eq=False)
    revision: int


@attrs.frozen
class HistoryEntry:
    revision: int
    type: str
    object: Obj = attrs.field(eq=False)


class Backend(Protocol):
    """Where committed state goes besides memory (SQLite in issue 3); the memory backend does nothing."""

    def load(self) -> tuple[int, dict[Key, Obj]]: ...

    def commit(self, revision: int, key: Key, obj: Obj | None) -> None: ...


class MemoryBackend:
    def load(self) -> tuple[int, dict[Key, Obj]]:
        return 0, {}

    def commit(self, revision: int, key: Key, obj: Obj | None) -> None:
        return None


def copy_object(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: copy_object(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_object(v) for v in value]
    return value


# Sort keys by plain attribute tuples: attrs' generated ordering is several times slower.
_namespace_name = operator.attrgetter("namespace", "name")


class CompactedError(Exception):
    """A watch asked for events older than the history window."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class Watcher:
    """A subscription to events of one resource (optionally one namespace); the queue ends with None."""

    def __init__(self, store: Store, group: str, resource: str, namespace: str | None) -> None:
        self.store = store
        self.group = group
        self.resource = resource
        self.namespace = namespace
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()

    def wants(self, event: Event) -> bool:
        key = event.key
        return (
            key.group == self.group
            and key.resource == self.resource
            and (self.namespace is None or key.namespace == self.namespace)
        )

    def close(self) -> None:
        self.store.unsubscribe(self)


# A mutation gets a private copy of the current object (None if absent) and returns the new object, or
# None to delete. Raising aborts the transaction's write with nothing stored.
Mutation = Callable[[Obj | None], Obj | None]


@attrs.frozen
class Committed:
    """The outcome of one key's write: the stored (or deleted) object, and the event, None for a no-op."""

    object: Obj | None = attrs.field(eq=False)
    event: Event | None


class Transaction:
    """Writes under the store lock. Each changed key gets its own revision, as etcd gives kube-apiserver."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, key: Key) -> Obj | None:
        return self._store.get(key)

    def list(self, group: str, resource: str, namespace: str | None = None) -> list[Obj]:
        return self._store.list(group, resource, namespace)

    def keys(self) -> builtins.list[Key]:
        return builtins.list(self._store.keys())

    def update(self, key: Key, mutate: Mutation) -> Committed:
        current = self._store._objects.get(key)
        new = mutate(copy_object(current) if current is not None else None)
        return self.put(key, new)

    def put(self, key: Key, new: Obj | None) -> Committed:
        """Store `new` (None deletes). Writing an object equal to the stored one is a no-op, as in kube."""
        store = self._store
        current = store._objects.get(key)
        if new is None:
            if current is None:
                return Committed(None, None)
            revision = store._next_revision()
            # Stored objects are never changed in place: a shallow copy is enough to restamp it.
            gone = {**current, "metadata": {**current.get("metadata", {}), "resourceVersion": str(revision)}}
            del store._objects[key]
            store._index_remove(key)
            return Committed(gone, store._record(Event(DELETED, key, gone, current, revision)))
        if current is not None and _same_ignoring_rv(current, new):
            return Committed(current, None)
        revision = store._next_revision()
        new.setdefault("metadata", {})["resourceVersion"] = str(revision)
        if current is None:
            store._index_add(key)
        store._objects[key] = new
        kind = ADDED if current is None else MODIFIED
        return Committed(new, store._record(Event(kind, key, new, current, revision)))


def _same_ignoring_rv(a: Obj, b: Obj) -> bool:
    ma, mb = a.get("metadata", {}), b.get("metadata", {})
    if {k: v for k, v in ma.items() if k != "resourceVersion"} != {
        k: v for k, v in mb.items() if k != "resourceVersion"
    }:
        return False
    return {k: v for k, v in a.items() if k != "metadata"} == {k: v for k, v in b.items() if k != "metadata"}


class Store:
    def __init__(
        self, window: int = DEFAULT_WINDOW, backend: Backend | None = None, history_per_key: int | None = None
    ) -> None:
        """`history_per_key` bounds each key's kept revisions (None keeps every one, for tests)."""
        self._history_per_key = history_per_key
        self._backend: Backend = backend or MemoryBackend()
        self.revision, self._objects = self._backend.load()
        # Keys per (group, resource), so a list never scans other resources' objects.
        self._by_resource: dict[tuple[str, str], set[Key]] = {}
        # Per resource, its keys sorted by (namespace, name); dropped when a key comes or goes.
        self._sorted: dict[tuple[str, str], list[Key]] = {}
        for key in self._objects:
            self._index_add(key)
        self._lock = asyncio.Lock()
        self._window = window
        self._events: deque[Event] = deque()
        # Every event with revision <= compacted has been dropped from the ring.
        self.compacted = self.revision
        self._history: dict[Key, list[HistoryEntry]] = {}
        self._watchers: set[Watcher] = set()
        # Called with each committed event, still under the lock (issue 3: GC, metrics).
        self.commit_hooks: list[Callable[[Event], None]] = []

    # Reads: synchronous, consistent because the event loop runs one write at a time.

    def get(self, key: Key) -> Obj | None:
        return self._objects.get(key)

    def list(self, group: str, resource: str, namespace: str | None = None) -> list[Obj]:
        return [self._objects[k] for k in self.list_keys(group, resource, namespace)]

    def list_keys(self, group: str, resource: str, namespace: str | None = None) -> builtins.list[Key]:
        """The resource's keys in (namespace, name) order; the sorted order is kept until a key comes or
        goes, so paging through a large list does not sort it again for every page."""
        resource_key = (group, resource)
        ordered = self._sorted.get(resource_key)
        if ordered is None:
            ordered = sorted(self._by_resource.get(resource_key, ()), key=_namespace_name)
            self._sorted[resource_key] = ordered
        if namespace is None:
            return list(ordered)
        return [k for k in ordered if k.namespace == namespace]

    def _index_add(self, key: Key) -> None:
        keys = self._by_resource.setdefault((key.group, key.resource), set())
        if key not in keys:
            keys.add(key)
            self._sorted.pop((key.group, key.resource), None)

    def _index_remove(self, key: Key) -> None:
        keys = self._by_resource.get((key.group, key.resource))
        if keys is not None and key in keys:
            keys.discard(key)
            self._sorted.pop((key.group, key.resource), None)
            if not keys:
                del self._by_resource[(key.group, key.resource)]

    def history(self, key: Key) -> builtins.list[HistoryEntry]:
        """Every revision this key ever had, oldest first (deletions included, with the last state)."""
        return list(self._history.get(key, ()))

    def keys(self) -> Iterable[Key]:
        return list(self._objects)

    # Writes.

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._lock:
            yield Transaction(self)

    async def update(self, key: Key, mutate: Mutation) -> Committed:
        async with self.transaction() as txn:
            return txn.update(key, mutate)

    def _next_revision(self) -> int:
        self.revision += 1
        return self.revision

    def _record(self, event: Event) -> Event:
        self._backend.commit(event.revision, event.key, None if event.type == DELETED else event.object)
        history = self._history.setdefault(event.key, [])
        history.append(HistoryEntry(event.revision, event.type, event.object))
        if self._history_per_key is not None and len(history) > self._history_per_key:
            del history[: len(history) - self._history_per_key]
        self._events.append(event)
        while len(self._events) > self._window:
            self.compacted = self._events.popleft().revision
        for hook in self.commit_hooks:
            hook(event)
        for watcher in list(self._watchers):
            if watcher.wants(event):
                watcher.queue.put_nowait(event)
        return event

    # Watches.

    def subscribe(
        self, group: str, resource: str, namespace: str | None, since: int | None
    ) -> tuple[Watcher, builtins.list[Event]]:
        """A watcher plus the backlog after revision `since` (None: no backlog), taken atomically."""
        backlog: builtins.list[Event] = []
        watcher = Watcher(self, group, resource, namespace)
        if since is not None:
            if since < self.compacted:
                raise CompactedError(since, self.compacted + 1)
            backlog = [e for e in self._events if e.revision > since and watcher.wants(e)]
        self._watchers.add(watcher)
        return watcher, backlog

    def unsubscribe(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)

    def compact(self, revision: int | None = None) -> None:
        """Drop events up to `revision` (default: all), so a watch from before it gets 410 Gone."""
        upto = self.revision if revision is None else min(revision, self.revision)
        while self._events and self._events[0].revision <= upto:
            self._events.popleft()
        self.compacted = max(self.compacted, upto)

    def close_watchers(self) -> None:
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(None)
        self._watchers.clear()

    @property
    def watcher_count(self) -> int:
        return len(self._watchers)
