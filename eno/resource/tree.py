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
from eno.resource.identity import GroupVersionKind, ManifestRef, Ref
from eno.resource.resource import Resource

ObjectKey = tuple[GroupVersionKind, str, str]  # what an API call touches: GVK (a Patch's target), ns, name


@attrs.define(eq=False)
class _Group:
    members: list[_Node] = attrs.field(factory=list)
    unreleased: int = 0  # members not yet ready (deleted, while deleting)
    previous: _Group | None = None
    following: _Group | None = None
    by_object: dict[ObjectKey, list[_Node]] = attrs.field(factory=dict)


@attrs.define(eq=False)
class _Node:
    resource: Resource
    group: _Group | None
    crd: _Node | None = None  # the CRD this custom resource waits for, until it is released
    crd_dependents: list[_Node] = attrs.field(factory=list)
    released: bool = False
    state: ResourceState | None = None
    seen: bool = False

    @property
    def object_key(self) -> ObjectKey:
        return self.resource.gvk, self.resource.ref.namespace, self.resource.ref.name

    def pending(self) -> bool:
        previous = self.group.previous if self.group else None
        return (previous is not None and previous.unreleased > 0) or self.crd is not None

    def dependents(self) -> list[_Node]:
        following = self.group.following if self.group else None
        return (following.members if following else []) + self.crd_dependents

    def backtracks(self) -> bool:
        # Hidden once a later item for the same object (e.g. a delete-Patch in the next group) is unblocked,
        # so the two never undo each other.
        following = self.group.following if self.group else None
        same = following.by_object.get(self.object_key, []) if following else []
        same = same + [d for d in self.crd_dependents if d.object_key == self.object_key]
        return any(not dependent.pending() for dependent in same)


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
        return node.resource, not node.pending() and not node.backtracks()

    def state(self, ref: Ref) -> ResourceState | None:
        node = self._by_ref.get(ref)
        return node.state if node else None

    def update_state(self, manifest_ref: ManifestRef, state: ResourceState) -> list[Ref]:
        """Record the slice status of the manifest at `manifest_ref`; return the refs to enqueue: the
        resource itself when its state changed or was first seen, and every dependent it unblocked.

        Eno enqueued a dependent on every release of a resource it waits for; we enqueue it once, when the
        last one is released (the other passes found it invisible and did nothing).
        """
        node = self._by_manifest.get(manifest_ref)
        if node is None:
            return []
        last, node.state = node.state, state
        enqueue: list[Ref] = []
        if (not node.seen and last is None) or (last is not None and not _same_state(last, state)):
            enqueue.append(node.resource.ref)
        node.seen = True
        released = state.deleted if node.resource.composition_deleted else state.ready is not None
        if released and not node.released:
            node.released = True
            unblocked: list[_Node] = []
            if node.group is not None:
                node.group.unreleased -= 1
                if node.group.unreleased == 0 and node.group.following is not None:
                    unblocked += node.group.following.members
            for dependent in node.crd_dependents:
                dependent.crd = None
                unblocked.append(dependent)
            enqueue += [d.resource.ref for d in unblocked if not d.pending()]
        return enqueue

    def describe(self) -> dict[str, dict[str, list[str]]]:
        """{ref: {dependencies, dependents}} as sorted strings, for tests and debugging; dependencies are the
        resources still waited for."""
        out = {}
        for ref, node in sorted(self._by_ref.items()):
            previous = node.group.previous if node.group else None
            waits = [m.resource.ref for m in previous.members if not m.released] if previous else []
            if node.crd is not None:
                waits.append(node.crd.resource.ref)
            out[str(ref)] = {
                "dependencies": sorted({str(r) for r in waits}),
                "dependents": sorted({str(d.resource.ref) for d in node.dependents()}),
            }
        return out


def build_tree(resources: Iterable[Resource]) -> Tree:
    """Index one synthesis. Among duplicate refs the greater manifest hash wins (the later one on a tie)."""
    winners: dict[Ref, Resource] = {}
    for resource in resources:
        existing = winners.get(resource.ref)
        if existing is None or resource.manifest_hash >= existing.manifest_hash:  # rare: duplicates
            winners[resource.ref] = resource

    groups: dict[int, _Group] = {}
    nodes: dict[Ref, _Node] = {}
    crds: dict[tuple[str, str], _Node] = {}
    for ref, resource in winners.items():
        number = _group_of(resource)
        group = groups.setdefault(number, _Group()) if number is not None else None
        node = _Node(resource, group)
        nodes[ref] = node
        if group is None:
            continue
        group.members.append(node)
        group.unreleased += 1
        group.by_object.setdefault(node.object_key, []).append(node)
        if resource.defined_group_kind is not None:
            crds[resource.defined_group_kind] = node  # the last CRD for a group/kind wins
    ordered = [groups[number] for number in sorted(groups)]
    for previous, following in itertools.pairwise(ordered):
        previous.following, following.previous = following, previous

    diagnostics: list[ResourceError] = []
    numbers = {id(group): number for number, group in groups.items()}
    for node in nodes.values():
        crd = crds.get(node.resource.group_kind)
        if node.group is None or crd is None or node.resource.composition_deleted or crd is node:
            continue
        node.crd = crd
        crd.crd_dependents.append(node)
        assert crd.group is not None
        if numbers[id(crd.group)] > numbers[id(node.group)]:
            diagnostics.append(_cycle(node, crd, numbers[id(node.group)], numbers[id(crd.group)]))
    return Tree(nodes, tuple(diagnostics))


def _cycle(cr: _Node, crd: _Node, cr_group: int, crd_group: int) -> ResourceError:
    # Eno builds the same links; we add the diagnosis: the CRD waits for the CR's readiness group (directly
    # or through the groups in between) and the CR waits for the CRD, so neither ever proceeds.
    return ResourceError(
        str(cr.resource.ref),
        'metadata.annotations["eno.azure.io/readiness-group"]',
        f"readiness group {cr_group} waits for its CRD {crd.resource.ref} in the later readiness group "
        f"{crd_group}, which waits for this one: neither can become ready",
        Severity.ERROR,
    )
