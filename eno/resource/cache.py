"""The reconciler's in-memory index of loaded syntheses (spec reconciliation.md §2.2-§2.4, Eno's cache.go).

The reconstitution controller `fill`s a synthesis once (parsing every manifest, from a live read of its
slices), then `visit`s it on every slice event with the informer's status to feed the dependency tree, and
`purge`s syntheses that are neither current nor previous. `visit` and `fill` return the work items to
enqueue instead of touching a queue. No I/O, no locks: one event loop owns it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from eno.api.v1.resourceslice import ResourceSlice, ResourceState
from eno.cel.engine import Engine, Program
from eno.resource.errors import ResourceError
from eno.resource.identity import ManifestRef, Ref
from eno.resource.loading import load_synthesis
from eno.resource.overrides import CompositionMetadata
from eno.resource.resource import Resource
from eno.resource.tree import Tree, build_tree

CompositionKey = tuple[str, str]  # (namespace, name)


@attrs.frozen
class Request:
    """A reconciliation work item: a resource of a composition, resolved against its current synthesis."""

    ref: Ref
    composition: CompositionKey

    def __str__(self) -> str:
        return str(self.ref)


@attrs.frozen
class FillResult:
    errors: tuple[ResourceError, ...]  # manifests that could not be parsed (left out of the tree)
    filter_errors: int  # resource-filter evaluation failures (eno_resource_filter_eval_errors_total)


class SynthesisCache:
    def __init__(self, engine: Engine, resource_filter: Program | None = None) -> None:
        self._engine = engine
        self._filter = resource_filter
        self._trees: dict[str, Tree] = {}  # by synthesis UUID
        self._by_composition: dict[CompositionKey, set[str]] = {}

    def fill(
        self, composition: CompositionMetadata, uuid: str, slices: Sequence[ResourceSlice]
    ) -> FillResult:
        """Parse and index a synthesis. Enqueues nothing: the next `visit` does. `composition`'s deletion
        timestamp *now* decides whether its resources follow deletion order (frozen for this UUID)."""
        loaded = load_synthesis(slices, self._engine, composition, resource_filter=self._filter)
        self._trees[uuid] = build_tree(loaded.resources)
        self._by_composition.setdefault((composition.namespace, composition.name), set()).add(uuid)
        return FillResult(loaded.errors, loaded.filter_errors)

    def visit(
        self, composition: CompositionMetadata, uuid: str, slices: Sequence[ResourceSlice]
    ) -> tuple[bool, list[Request]]:
        """(whether the synthesis is loaded, the requests to enqueue) after feeding the slices' status to
        its tree. Only `metadata` and `status` of the slices are read, so informer copies with blanked
        manifests will do."""
        tree = self._trees.get(uuid)
        if tree is None:
            return False, []
        key = (composition.namespace, composition.name)
        requests: list[Request] = []
        for piece in slices:
            states = piece.status.resources
            for index in range(len(piece.spec.resources)):
                state = states[index] if index < len(states) else ResourceState()
                slot = ManifestRef(piece.namespace, piece.name, index)
                requests.extend(Request(ref, key) for ref in tree.update_state(slot, state))
        return True, requests

    def get(self, uuid: str, ref: Ref) -> tuple[Resource, bool] | None:
        """The resource and whether it is visible, or None when the synthesis or the resource is unknown."""
        tree = self._trees.get(uuid)
        return tree.get(ref) if tree is not None else None

    def resources(self, uuid: str) -> list[Resource]:
        """Every resource of a loaded synthesis (e.g. to enqueue them all)."""
        tree = self._trees.get(uuid)
        return tree.resources() if tree is not None else []

    def state(self, uuid: str, ref: Ref) -> ResourceState | None:
        """The latest slice status the tree saw for `ref` (e.g. to reuse a recorded `ready`)."""
        tree = self._trees.get(uuid)
        return tree.state(ref) if tree is not None else None

    def loaded(self, uuid: str) -> bool:
        return uuid in self._trees

    def purge(self, composition: CompositionKey, keep: Collection[str] = ()) -> None:
        """Forget the composition's syntheses except the UUIDs in `keep` (its current and previous)."""
        uuids = self._by_composition.get(composition, set())
        for uuid in [u for u in uuids if u not in keep]:
            uuids.discard(uuid)
            self._trees.pop(uuid, None)
        if not uuids:
            self._by_composition.pop(composition, None)
