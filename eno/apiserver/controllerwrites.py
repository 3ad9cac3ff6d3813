"""Writes the server makes on its own behalf (garbage collector, namespace controller).

They run inside a store transaction the caller holds, go through the same delete semantics as a client's
DELETE (finalizers hold the object, GC finalizers from the propagation policy) and fire the same after-commit
hooks, so cascades (CRD removal, namespaces, GC) see them. Each names the object by key and uid: an object
recreated under the same name since the decision is left alone, as a uid precondition would do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eno.apiserver import deletion, strategy
from eno.apiserver.context import ApiContext
from eno.apiserver.store import Committed, Key, Transaction

Obj = dict[str, Any]


def _same(obj: Obj | None, uid: str) -> bool:
    return obj is not None and obj.get("metadata", {}).get("uid") == uid


def delete_object(
    ctx: ApiContext, txn: Transaction, key: Key, uid: str, options: Mapping[str, Any]
) -> Committed | None:
    """DELETE with `options` (propagationPolicy...); None when the object is gone or is another one."""
    info = ctx.registry.storage_info(key.group, key.resource)
    if info is None or not _same(txn.get(key), uid):
        return None
    req = strategy.Request(info=info, namespace=key.namespace, name=key.name)

    def mutate(old: Obj | None) -> Obj | None:
        assert old is not None
        # The same rule as a client's DELETE (namespaces have their own).
        return ctx.delete(req, old, dict(options))

    return ctx.write_in(txn, key, mutate)


def update_object(
    ctx: ApiContext, txn: Transaction, key: Key, uid: str, change: Callable[[Obj], Obj | None]
) -> Committed | None:
    """Store `change(current)` (None deletes); nothing when the object is gone or is another one."""
    if not _same(txn.get(key), uid):
        return None

    def mutate(old: Obj | None) -> Obj | None:
        assert old is not None
        return change(old)

    return ctx.write_in(txn, key, mutate)


def remove_finalizer(
    ctx: ApiContext, txn: Transaction, key: Key, uid: str, finalizer: str
) -> Committed | None:
    """Take `finalizer` off; the object goes when that was the last thing holding its deletion."""
    return update_object(ctx, txn, key, uid, lambda obj: deletion.without_finalizer(obj, finalizer))
