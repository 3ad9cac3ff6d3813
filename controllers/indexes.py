"""The field indexes Eno's controllers read through (spec controllers.md §1.5), registered once per cache.

Keys follow Go's `path.Join`: empty segments dropped, so a cluster-scoped or namespace-less dependency
yields just its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eno.api.v1 import Composition
from eno.runtime.cache import Cache
from eno.runtime.gvk import GVK, KubeObject
from eno.runtime.store import IndexFunc

BY_SYNTHESIZER = ".spec.synthesizer"
BY_SYMPHONY = ".compositionsBySymphony"
BY_DEPENDENCY = ".spec.dependsOn"


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def compositions_by_synthesizer(obj: Mapping[str, Any]) -> list[str]:
    synth = _spec(obj).get("synthesizer")
    name = synth.get("name") if isinstance(synth, Mapping) else None
    return [name] if isinstance(name, str) else [""]


def compositions_by_symphony(obj: Mapping[str, Any]) -> list[str]:
    """The name of the controller owner (any kind), none without one."""
    meta = obj.get("metadata")
    for ref in (meta.get("ownerReferences") if isinstance(meta, Mapping) else None) or ():
        if isinstance(ref, Mapping) and ref.get("controller") and ref.get("name"):
            return [str(ref["name"])]
    return []


def compositions_by_dependency(obj: Mapping[str, Any]) -> list[str]:
    out = []
    for dep in _spec(obj).get("dependsOn") or ():
        if isinstance(dep, Mapping):
            key = join(str(dep.get("namespace") or ""), str(dep.get("name") or ""))
            if key:
                out.append(key)
    return out


def ensure_index(cache: Cache, kind: GVK | type[KubeObject], name: str, fn: IndexFunc) -> None:
    """Register `name` unless another controller on this cache already did."""
    informer = cache.informer_for(kind)
    if name not in informer.store.indexers:
        informer.add_indexer(name, fn)


def add_composition_indexes(cache: Cache) -> None:
    ensure_index(cache, Composition, BY_SYNTHESIZER, compositions_by_synthesizer)
    ensure_index(cache, Composition, BY_SYMPHONY, compositions_by_symphony)
    ensure_index(cache, Composition, BY_DEPENDENCY, compositions_by_dependency)
