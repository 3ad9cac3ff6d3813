"""The informer's indexed object store: frozen objects by `namespace/name`, plus named indexes.

Pure and synchronous (the informer is its only writer, on the event loop); every read returns the frozen
objects themselves, so reads are cheap and no caller can change what the next caller sees.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from eno.runtime.frozen import FrozenDict
from eno.runtime.labels import Selector, parse

IndexFunc = Callable[[Mapping[str, Any]], Iterable[str]]

NAMESPACE_INDEX = "namespace"
OWNER_UID_INDEX = "ownerUid"
CONTROLLER_UID_INDEX = "controllerUid"


def object_key(obj: Mapping[str, Any]) -> str:
    """`namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc)."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    name = str(meta.get("name", ""))
    return f"{namespace}/{name}" if namespace else name


def key_for(name: str, namespace: str | None = None) -> str:
    return f"{namespace}/{name}" if namespace else name


def resource_version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


def index_by_namespace(obj: Mapping[str, Any]) -> list[str]:
    namespace = (obj.get("metadata") or {}).get("namespace")
    return [namespace] if namespace else []


def index_by_owner_uid(obj: Mapping[str, Any]) -> list[str]:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    return [str(ref["uid"]) for ref in refs if ref.get("uid")]


def index_by_controller_uid(obj: Mapping[str, Any]) -> list[str]:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    return [str(ref["uid"]) for ref in refs if ref.get("controller") and ref.get("uid")]


@attrs.frozen
class Delta:
    """What changed in one `replace`: the events a relist must emit."""

    added: list[FrozenDict] = attrs.field(factory=list)
    updated: list[tuple[FrozenDict, FrozenDict]] = attrs.field(factory=list)
    deleted: list[FrozenDict] = attrs.field(factory=list)


class Store:
    def __init__(self, indexers: Mapping[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, FrozenDict] = {}
        self._indexers: dict[str, IndexFunc] = {}
        # index name -> value -> keys (a dict used as an insertion-ordered set)
        self._indices: dict[str, dict[str, dict[str, None]]] = {}
        # index name -> key -> the values that key is filed under (to unfile it on change)
        self._filed: dict[str, dict[str, tuple[str, ...]]] = {}
        self.add_indexer(NAMESPACE_INDEX, index_by_namespace)
        for name, fn in (indexers or {}).items():
            self.add_indexer(name, fn)

    # -- indexes ---------------------------------------------------------------------------------------

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Register an index; existing objects are filed at once. Re-registering a name is an error."""
        if name in self._indexers:
            raise ValueError(f"index {name!r} already registered")
        self._indexers[name] = fn
        self._indices[name] = {}
        self._filed[name] = {}
        for key, obj in self._items.items():
            self._file(name, key, obj)

    @property
    def indexers(self) -> frozenset[str]:
        return frozenset(self._indexers)

    def _file(self, index: str, key: str, obj: FrozenDict) -> None:
        values = tuple(dict.fromkeys(self._indexers[index](obj)))
        if values:
            self._filed[index][key] = values
            buckets = self._indices[index]
            for value in values:
                buckets.setdefault(value, {})[key] = None

    def _unfile(self, index: str, key: str) -> None:
        values = self._filed[index].pop(key, ())
        buckets = self._indices[index]
        for value in values:
            bucket = buckets.get(value)
            if bucket is not None:
                bucket.pop(key, None)
                if not bucket:
                    del buckets[value]

    # -- writes (the informer's) -----------------------------------------------------------------------

    def upsert(self, obj: FrozenDict) -> FrozenDict | None:
        """Store `obj`; return what it replaced."""
        key = object_key(obj)
        old = self._items.get(key)
        self._items[key] = obj
        for index in self._indexers:
            if old is not None:
                self._unfile(index, key)
            self._file(index, key, obj)
        return old

    def remove(self, key: str) -> FrozenDict | None:
        old = self._items.pop(key, None)
        if old is not None:
            for index in self._indexers:
                self._unfile(index, key)
        return old

    def replace(self, objs: Iterable[FrozenDict]) -> Delta:
        """Make the store hold exactly `objs` (a relist); return the adds, real updates and deletes."""
        delta = Delta()
        latest = {object_key(obj): obj for obj in objs}
        for key in [k for k in self._items if k not in latest]:
            gone = self.remove(key)
            if gone is not None:
                delta.deleted.append(gone)
        for obj in latest.values():
            old = self.upsert(obj)
            if old is None:
                delta.added.append(obj)
            elif resource_version(old) != resource_version(obj):
                delta.updated.append((old, obj))
        return delta

    # -- reads -----------------------------------------------------------------------------------------

    def get(self, name: str, namespace: str | None = None) -> FrozenDict | None:
        return self._items.get(key_for(name, namespace))

    def get_by_key(self, key: str) -> FrozenDict | None:
        return self._items.get(key)

    def list(
        self, namespace: str | None = None, label_selector: str | Selector | None = None
    ) -> list[FrozenDict]:
        if namespace:
            keys = self._indices[NAMESPACE_INDEX].get(namespace, {})
            objs = [self._items[k] for k in keys]
        else:
            objs = list(self._items.values())
        selector = parse(label_selector) if isinstance(label_selector, str | None) else label_selector
        if selector.empty:
            return objs
        return [o for o in objs if selector.matches((o.get("metadata") or {}).get("labels"))]

    def by_index(self, index: str, value: str) -> builtins.list[FrozenDict]:
        if index not in self._indices:
            raise KeyError(f"no index named {index!r}")
        return [self._items[k] for k in self._indices[index].get(value, {})]

    def index_values(self, index: str) -> builtins.list[str]:
        return list(self._indices[index])

    def keys(self) -> builtins.list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
