"""Deletion semantics shared by the DELETE handler and the server's own controllers (GC, namespaces).

kube-apiserver turns a delete's propagation policy into finalizers on the object: Orphan adds `orphan`,
Foreground adds `foregroundDeletion`, and the garbage collector finishes the job and removes them
(registry/generic/registry/store.go, deletionFinalizersForGarbageCollection). These are pure functions from
(object, options) to the new object.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any

from eno.apiserver import errors

Obj = dict[str, Any]

ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
GC_FINALIZERS = (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)

ORPHAN = "Orphan"
BACKGROUND = "Background"
FOREGROUND = "Foreground"
POLICIES = (FOREGROUND, BACKGROUND, ORPHAN)


def _orphan_dependents(options: Mapping[str, Any]) -> bool | None:
    """The deprecated `orphanDependents` option (a bool in the body, a string in the query)."""
    value = options.get("orphanDependents")
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def validate_delete_options(options: Mapping[str, Any]) -> None:
    """ValidateDeleteOptions: 422 on DeleteOptions.meta.k8s.io for a bad policy or both policies set."""
    causes: list[dict[str, Any]] = []
    policy = options.get("propagationPolicy")
    if policy is not None and _orphan_dependents(options) is not None:
        causes.append(
            errors.invalid_value(
                "propagationPolicy", policy, "orphanDependents and deletionPropagation cannot be both set"
            )
        )
    if policy is not None and policy not in POLICIES:
        causes.append(errors.not_supported("propagationPolicy", policy, [*POLICIES, "nil"]))
    if causes:
        raise errors.invalid("meta.k8s.io", "DeleteOptions", "", causes)


def should_orphan(finalizers: Collection[str], options: Mapping[str, Any]) -> bool:
    orphan = _orphan_dependents(options)
    if orphan is not None:
        return orphan
    policy = options.get("propagationPolicy")
    if policy == ORPHAN:
        return True
    if policy in (BACKGROUND, FOREGROUND):
        return False
    # A GC finalizer already on the object overrides the default (Background for every kind served).
    for finalizer in finalizers:
        if finalizer == ORPHAN_FINALIZER:
            return True
        if finalizer == FOREGROUND_FINALIZER:
            return False
    return False


def should_delete_dependents(finalizers: Collection[str], options: Mapping[str, Any]) -> bool:
    if _orphan_dependents(options) is not None:
        return False
    policy = options.get("propagationPolicy")
    if policy == FOREGROUND:
        return True
    if policy in (BACKGROUND, ORPHAN):
        return False
    return FOREGROUND_FINALIZER in finalizers


def gc_finalizers(finalizers: list[str], options: Mapping[str, Any]) -> list[str] | None:
    """The object's finalizers after a delete with `options`; None when they do not change."""
    new = [f for f in finalizers if f not in GC_FINALIZERS]
    if should_orphan(finalizers, options):
        new.append(ORPHAN_FINALIZER)
    if should_delete_dependents(finalizers, options):
        new.append(FOREGROUND_FINALIZER)
    if set(new) == set(finalizers):
        return None
    return new


def with_gc_finalizers(obj: Obj, options: Mapping[str, Any]) -> Obj:
    """`obj` (a private copy the caller may change) with the finalizers a delete with `options` implies.

    Call it before the generic delete step, which then keeps the object (marked for deletion) when any
    finalizer is left, and removes it at once otherwise.
    """
    meta = obj.setdefault("metadata", {})
    new = gc_finalizers(list(meta.get("finalizers") or []), options)
    if new is not None:
        if new:
            meta["finalizers"] = new
        else:
            meta.pop("finalizers", None)
    return obj


def without_finalizer(obj: Obj, finalizer: str) -> Obj | None:
    """`obj` without `finalizer`; None when that completes its deletion (nothing else holds it)."""
    new = copy.deepcopy(obj)
    meta = new.setdefault("metadata", {})
    left = [f for f in meta.get("finalizers") or [] if f != finalizer]
    if left:
        meta["finalizers"] = left
    else:
        meta.pop("finalizers", None)
    if meta.get("deletionTimestamp") and not left and not _held_by_spec(new):
        return None
    return new


def _held_by_spec(obj: Obj) -> bool:
    """Namespaces also wait for spec.finalizers (the namespace controller's `kubernetes`)."""
    if obj.get("kind") != "Namespace":
        return False
    return bool((obj.get("spec") or {}).get("finalizers"))


def without_owner_references(obj: Obj, owner_uids: Collection[str]) -> Obj:
    """`obj` without the ownerReferences to `owner_uids` (the GC's orphaning and dangling-ref patch)."""
    new = copy.deepcopy(obj)
    meta = new.setdefault("metadata", {})
    refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") not in owner_uids]
    if refs:
        meta["ownerReferences"] = refs
    else:
        meta.pop("ownerReferences", None)
    return new


def unblocked_owner_references(obj: Obj) -> Obj:
    """`obj` with blockOwnerDeletion false on every ownerReference (the GC's cycle breaker)."""
    new = copy.deepcopy(obj)
    for ref in new.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("blockOwnerDeletion"):
            ref["blockOwnerDeletion"] = False
    return new
