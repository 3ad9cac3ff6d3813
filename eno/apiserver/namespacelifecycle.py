"""Namespace lifecycle as kube-apiserver and kube-controller-manager's namespace controller run it.

- Create: phase Active, and `spec.finalizers` always includes `kubernetes`.
- Update: the main endpoint never changes `spec.finalizers` or `status`; `/status` changes status only;
  `/finalize` changes `spec.finalizers` only.
- Delete: the first DELETE marks the namespace (deletionTimestamp, phase Terminating, GC finalizers from the
  propagation policy) and keeps it; a later DELETE while `spec.finalizers` is not empty is a 409 Conflict.
- The controller deletes every object in a terminating namespace (objects with finalizers stay until those
  are removed), reports progress in the namespace's conditions, and once nothing is left removes
  `kubernetes` from `spec.finalizers`: with no finalizer left anywhere the namespace is gone.
- Creating an object in a terminating namespace is refused with 403 Forbidden, cause NamespaceTerminating
  (`errors.namespace_terminating`, checked by the create handler).

The write rules are pure functions; `NamespaceController` is the asyncio task fed by the store's events.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog

from eno.apiserver import controllerwrites, deletion, errors
from eno.apiserver.context import ApiContext
from eno.apiserver.store import DELETED, Event, Key, Transaction
from eno.apiserver.storeworker import StoreWorker

log = structlog.get_logger("eno.apiserver.namespaces")

Obj = dict[str, Any]

KUBERNETES_FINALIZER = "kubernetes"
ACTIVE = "Active"
TERMINATING = "Terminating"
NAMESPACES = Key("", "namespaces", "", "")

STILL_FINALIZING = (
    "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace "
    "will automatically be purged by the system."
)


def namespace_key(name: str) -> Key:
    return Key("", "namespaces", "", name)


def is_terminating(ns: Mapping[str, Any] | None) -> bool:
    if ns is None:
        return False
    return (
        bool(ns.get("metadata", {}).get("deletionTimestamp"))
        or (ns.get("status") or {}).get("phase") == TERMINATING
    )


def spec_finalizers(ns: Mapping[str, Any]) -> list[str]:
    return list((ns.get("spec") or {}).get("finalizers") or [])


# Writes to namespaces.


def prepare_create(ns: Obj) -> Obj:
    spec = ns.setdefault("spec", {})
    finalizers = list(spec.get("finalizers") or [])
    if KUBERNETES_FINALIZER not in finalizers:
        finalizers.append(KUBERNETES_FINALIZER)
    spec["finalizers"] = finalizers
    ns["status"] = {"phase": ACTIVE}
    name = ns["metadata"]["name"]
    ns["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    return ns


def prepare_update(old: Obj, new: Obj, subresource: str) -> Obj:
    """The main endpoint keeps spec.finalizers and status; /status keeps spec; /finalize keeps all but
    spec.finalizers."""
    if subresource == "status":
        if "spec" in old:
            new["spec"] = copy.deepcopy(old["spec"])
        else:
            new.pop("spec", None)
        return new
    if subresource == "finalize":
        result = copy.deepcopy(old)
        finalizers = spec_finalizers(new)
        result.setdefault("spec", {})["finalizers"] = finalizers
        if not finalizers:
            result["spec"].pop("finalizers")
        return result
    spec = new.setdefault("spec", {})
    if "finalizers" in (old.get("spec") or {}):
        spec["finalizers"] = list(old["spec"]["finalizers"])
    else:
        spec.pop("finalizers", None)
    if "status" in old:
        new["status"] = copy.deepcopy(old["status"])
    return new


def gone_after_update(ns: Mapping[str, Any]) -> bool:
    """A terminating namespace is removed once neither spec nor metadata finalizers hold it."""
    meta = ns.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") and not spec_finalizers(ns)


def validate_finalizers(name: str, ns: Mapping[str, Any]) -> None:
    """spec.finalizers must be qualified names (a `kubernetes` finalizer has no domain, and is allowed)."""
    from eno.apiserver import names

    causes = []
    for i, finalizer in enumerate(spec_finalizers(ns)):
        for message in names.is_qualified_name(finalizer):
            causes.append(errors.invalid_value(f"spec.finalizers[{i}]", finalizer, message))
    if causes:
        raise errors.invalid("", "Namespace", name, causes)


def delete(ns: Obj, now: str, options: Mapping[str, Any]) -> Obj | None:
    """DELETE on a namespace: the namespace to store (marked Terminating), or None to remove it now.

    Raises 409 when it is already terminating and still has spec.finalizers.
    """
    meta = ns.setdefault("metadata", {})
    if meta.get("deletionTimestamp"):
        if spec_finalizers(ns):
            raise errors.conflict("", "namespaces", str(meta.get("name", "")), STILL_FINALIZING)
        return ns if meta.get("finalizers") else None
    meta["deletionTimestamp"] = now
    ns["status"] = {**(ns.get("status") or {}), "phase": TERMINATING}
    return deletion.with_gc_finalizers(ns, options)


# The controller's view of a terminating namespace's content.


def _group_resource(key: Key) -> str:
    return f"{key.resource}.{key.group}"


def conditions(content: Iterable[tuple[Key, Obj]], old: list[Obj], now: str) -> list[Obj]:
    """The namespace controller's five deletion conditions for what is still in the namespace."""
    remaining: Counter[str] = Counter()
    finalizers: Counter[str] = Counter()
    for key, obj in content:
        remaining[_group_resource(key)] += 1
        for finalizer in obj.get("metadata", {}).get("finalizers") or []:
            finalizers[finalizer] += 1
    rows = [
        (
            "NamespaceDeletionDiscoveryFailure",
            False,
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            False,
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        (
            "NamespaceDeletionContentFailure",
            False,
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
    ]
    if remaining:
        listed = ", ".join(f"{gr} has {n} resource instances" for gr, n in sorted(remaining.items()))
        rows.append(
            (
                "NamespaceContentRemaining",
                True,
                "SomeResourcesRemain",
                f"Some resources are remaining: {listed}",
            )
        )
    else:
        rows.append(
            ("NamespaceContentRemaining", False, "ContentRemoved", "All content successfully removed")
        )
    if finalizers:
        listed = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))
        rows.append(
            (
                "NamespaceFinalizersRemaining",
                True,
                "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {listed}",
            )
        )
    else:
        rows.append(
            (
                "NamespaceFinalizersRemaining",
                False,
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished",
            )
        )
    before = {c.get("type"): c for c in old}
    out = []
    for type_, status, reason, message in rows:
        condition = {
            "type": type_,
            "status": "True" if status else "False",
            "reason": reason,
            "message": message,
        }
        previous = before.get(type_)
        same = previous is not None and previous.get("status") == condition["status"]
        condition["lastTransitionTime"] = (
            previous.get("lastTransitionTime", now) if same and previous else now
        )
        out.append(condition)
    return out


def content_of(txn: Transaction, namespace: str) -> list[tuple[Key, Obj]]:
    out = []
    for key in txn.keys():
        if key.namespace == namespace and key.resource != "namespaces":
            obj = txn.get(key)
            if obj is not None:
                out.append((key, obj))
    return out


class NamespaceController(StoreWorker):
    """Empties terminating namespaces and finalizes them, fed by the store's commit hook."""

    name = "namespace-controller"

    def __init__(self, ctx: ApiContext, now: Callable[[], str]) -> None:
        super().__init__(ctx.store)
        self.ctx = ctx
        self._now = now
        self._terminating: set[str] = set()

    def start(self) -> None:
        for key in self.store.list_keys("", "namespaces"):
            if is_terminating(self.store.get(key)):
                self._terminating.add(key.name)
                self._pending[key.name] = None
        self._attach()

    def _observe(self, event: Event) -> None:
        key = event.key
        if key.group == "" and key.resource == "namespaces":
            if event.type == DELETED:
                self._terminating.discard(key.name)
                self._pending.pop(key.name, None)
                return
            if is_terminating(event.object):
                self._terminating.add(key.name)
                self._enqueue([key.name])
            return
        if key.namespace in self._terminating:
            self._enqueue([key.namespace])

    def _work(self, txn: Transaction, batch: list[str]) -> None:
        for name in batch:
            self._sync(txn, name)

    def _failed(self, batch: list[str]) -> None:
        log.exception("namespace_sync_failed", namespace=batch[0] if batch else "")

    def _sync(self, txn: Transaction, name: str) -> None:
        ns = txn.get(namespace_key(name))
        if ns is None or not is_terminating(ns):
            return
        uid = ns["metadata"].get("uid", "")
        for key, obj in content_of(txn, name):
            meta = obj.get("metadata", {})
            if not meta.get("deletionTimestamp"):
                controllerwrites.delete_object(
                    self.ctx, txn, key, meta.get("uid", ""), {"propagationPolicy": deletion.BACKGROUND}
                )
        left = content_of(txn, name)
        now = self._now()
        status_conditions = conditions(left, list((ns.get("status") or {}).get("conditions") or []), now)

        def report(current: Obj) -> Obj | None:
            current.setdefault("status", {})["conditions"] = status_conditions
            current["status"]["phase"] = TERMINATING
            if not left and KUBERNETES_FINALIZER in spec_finalizers(current):
                rest = [f for f in spec_finalizers(current) if f != KUBERNETES_FINALIZER]
                if rest:
                    current["spec"]["finalizers"] = rest
                else:
                    current["spec"].pop("finalizers", None)
            return None if gone_after_update(current) else current

        controllerwrites.update_object(self.ctx, txn, namespace_key(name), uid, report)
