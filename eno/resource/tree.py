"""The dependency tree of one loaded synthesis: which resources may be reconciled now (spec §2.4, §2.5).

A resource's *group* is its readiness group, or, once the composition was deleting when the synthesis was
loaded, its deletion group (resources without one are ungrouped: never blocked, blocking nothing). Every
grouped resource waits for every resource of the nearest lower non-empty group (ready while applying,
deleted while deleting); a custom resource also waits for the CRD in the same synthesis that defines its
group/kind (not while deleting). Ordering is transitive only through state changes.

The tree holds the latest slice status of each resource; `update_state` feeds it and returns the refs to
enqueue. It does no I/O: the cache that owns it calls it from informer events.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import attrs

from eno.api.v1.resourceslice import ResourceState
from eno.resource.errors import ResourceError, Severity
from eno.resource.identity import ManifestRef, Ref
from eno.resource.resource import Resource


@attrs.define(eq=False)
class _Node:
    resource: Resource
    group: int | None
    pending: set[Ref] = attrs.field(factory=set)  # refs this node still waits for
    dependents: dict[Ref, _Node] = attrs.field(factory=dict)  # nodes that wait for this one
    state: ResourceState | None = None
    seen: bool = False

    def backtracks(self) -> bool:
        # Hidden once a later item for the same object (e.g. a delete-Patch in the next group) is unblocked,
        # so the two never undo each other.
        own = self.resource
        return any(
            not dep.pending
            and dep.resource.gvk == own.gvk
            and dep.resource.ref.namespace == own.ref.namespace
            and dep.resource.ref.name == own.ref.name
            for dep in self.dependents.values()
        )


def _same_state(a: ResourceState, b: ResourceState) -> bool:
    # Eno's ResourceState.Equal: reconciliationError is not compared.
    return a.reconciled == b.reconciled and a.deleted == b.deleted and a.ready == b.ready


def _group_of(resource: Resource) -> int | None:
    if not resource.composition_deleted:
        return resource.readiness_group
    return resource.deletion_group


class Tree:
    """Build with `build_tree`."""

    def __init__(self, nodes: dict[Ref, _Node], diagnostics: tuple[ResourceError, ...]) -> None:
        self._by_ref = nodes
        self._by_manifest = {node.resource.manifest_ref: node for node in nodes.values()}
        self.diagnostics = diagnostics  # ordering problems found while building (e.g. a CRD/CR cycle)

    def __len__(self) -> int:
        return len(self._by_ref)

    def resources(self) -> list[Resource]:
        return [node.resource for node in self._by_ref.values()]

    def get(self, ref: Ref) -> tuple[Resource, bool] | None:
        """The resource and whether it is visible (may be reconciled now), or None when absent."""
        node = self._by_ref.get(ref)
        if node is None:
            return None
        return node.resource, not node.pending and not node.backtracks()

    def state(self, ref: Ref) -> ResourceState | None:
        node = self._by_ref.get(ref)
        return node.state if node else None

    def update_state(self, manifest_ref: ManifestRef, state: ResourceState) -> list[Ref]:
        """Record the slice status of the manifest at `manifest_ref`; return the refs to enqueue (in order,
        possibly repeated): the resource itself when its state changed or was first seen, and every
        dependent it released."""
        node = self._by_manifest.get(manifest_ref)
        if node is None:
            return []
        last, node.state = node.state, state
        enqueue: list[Ref] = []
        if (not node.seen and last is None) or (last is not None and not _same_state(last, state)):
            enqueue.append(node.resource.ref)
        node.seen = True
        if node.resource.composition_deleted:
            released = state.deleted and (last is None or not last.deleted)
        else:
            released = state.ready is not None and (last is None or last.ready is None)
        if released:
            for dependent in node.dependents.values():
                dependent.pending.discard(node.resource.ref)
                enqueue.append(dependent.resource.ref)
        return enqueue

    def describe(self) -> dict[str, dict[str, list[str]]]:
        """{ref: {dependencies, dependents}} as sorted strings, for tests and debugging."""
        return {
            str(ref): {
                "dependencies": sorted(str(r) for r in node.pending),
                "dependents": sorted(str(r) for r in node.dependents),
            }
            for ref, node in sorted(self._by_ref.items())
        }


def build_tree(resources: Iterable[Resource]) -> Tree:
    """Index one synthesis. Among duplicate refs the greater manifest hash wins (the later one on a tie)."""
    nodes: dict[Ref, _Node] = {}
    for resource in resources:
        existing = nodes.get(resource.ref)
        if existing is None or resource.manifest_hash >= existing.resource.manifest_hash:  # rare: duplicates
            nodes[resource.ref] = _Node(resource, _group_of(resource))

    groups: dict[int, list[_Node]] = {}
    crds: dict[tuple[str, str], _Node] = {}
    for node in nodes.values():
        if node.group is None:
            continue
        groups.setdefault(node.group, []).append(node)
        if node.resource.defined_group_kind is not None:
            crds[node.resource.defined_group_kind] = node  # the last CRD for a group/kind wins
    ordered = sorted(groups)
    for previous, following in itertools.pairwise(ordered):
        for blocker in groups[previous]:
            for waiter in groups[following]:
                _link(blocker, waiter)

    diagnostics: list[ResourceError] = []
    for node in nodes.values():
        crd = crds.get(node.resource.group_kind)
        if node.group is None or crd is None or node.resource.composition_deleted or crd is node:
            continue
        _link(crd, node)
        if crd.group is not None and crd.group > node.group:
            diagnostics.append(_cycle(node, crd))
    return Tree(nodes, tuple(diagnostics))


def _link(blocker: _Node, waiter: _Node) -> None:
    waiter.pending.add(blocker.resource.ref)
    blocker.dependents[waiter.resource.ref] = waiter


def _cycle(cr: _Node, crd: _Node) -> ResourceError:
    # Eno builds the same links; we add the diagnosis: the CRD waits for the CR's readiness group (directly
    # or through the groups in between) and the CR waits for the CRD, so neither ever proceeds.
    return ResourceError(
        str(cr.resource.ref),
        'metadata.annotations["eno.azure.io/readiness-group"]',
        f"readiness group {cr.group} waits for its CRD {crd.resource.ref} in the later readiness group "
        f"{crd.group}, which waits for this one: neither can become ready",
        Severity.ERROR,
    )
