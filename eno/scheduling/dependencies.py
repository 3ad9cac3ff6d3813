"""Composition dependencies as the scheduler sees them (synthesis.md §6): order, cycles, blocked status."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

from eno.api.v1 import BlockedByRef, Composition, DependencyStatus
from eno.api.v1 import constants as c


def key_of(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def comp_key(comp: Composition) -> str:
    return key_of(comp.namespace, comp.name)


def toposort(comps: Sequence[Composition]) -> tuple[list[Composition], set[str]]:
    """Compositions in dependency order (Kahn; ties by key) and the keys on or behind a cycle.

    Dependencies on compositions that do not exist are left out of the order (they block elsewhere)."""
    by_key = {comp_key(comp): comp for comp in comps}
    needs = {
        key: {k for d in comp.spec.depends_on if (k := key_of(d.namespace, d.name)) in by_key and k != ""}
        for key, comp in by_key.items()
    }
    dependents: dict[str, list[str]] = {key: [] for key in by_key}
    for key, deps in needs.items():
        for dep in deps:
            dependents[dep].append(key)
    degree = {key: len(deps) for key, deps in needs.items()}
    ready = sorted(key for key, d in degree.items() if d == 0)
    heapq.heapify(ready)
    ordered: list[Composition] = []
    while ready:
        key = heapq.heappop(ready)
        ordered.append(by_key[key])
        for dependent in dependents[key]:
            degree[dependent] -= 1
            if degree[dependent] == 0:
                heapq.heappush(ready, dependent)
    done = {comp_key(comp) for comp in ordered}
    return ordered, {key for key in by_key if key not in done}


def blocked_by(comp: Composition, by_key: dict[str, Composition]) -> list[BlockedByRef]:
    """The dependencies whose current synthesis is not Ready (missing ones included)."""
    out = []
    for dep in comp.spec.depends_on:
        other = by_key.get(key_of(dep.namespace, dep.name))
        if other is None:
            reason = c.REASON_DEPENDENCY_NOT_FOUND
        else:
            current = other.status.current_synthesis
            if current is not None and current.ready is not None:
                continue
            reason = c.REASON_DEPENDENCY_NOT_READY
        out.append(BlockedByRef(name=dep.name, namespace=dep.namespace, reason=reason))
    return out


def status_patch(status: DependencyStatus | None) -> dict[str, Any]:
    """A merge patch setting (or, with None, clearing) status.dependencyStatus as a whole."""
    if status is None:
        return {"status": {"dependencyStatus": None}}
    body = status.to_dict()
    body.setdefault("blockedBy", None)  # a merge patch would keep an older list otherwise
    return {"status": {"dependencyStatus": body}}


def same_dependency_status(a: DependencyStatus | None, b: DependencyStatus | None) -> bool:
    def norm(s: DependencyStatus | None) -> Any:
        return None if s is None else (s.blocked, s.reason, tuple(s.blocked_by))

    return bool(norm(a) == norm(b))
