"""When a ResourceSlice may be deleted, and when its finalizer may go (spec controllers.md §5.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eno.api.v1 import Composition, ResourceSlice


def controller_owner(slice_: ResourceSlice) -> Mapping[str, Any] | None:
    for ref in slice_.metadata.get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller"):
            return ref
    return None


def _named(comp: Composition, name: str) -> bool:
    for syn in (comp.status.current_synthesis, comp.status.previous_synthesis):
        if syn is not None and any(ref.name == name for ref in syn.resource_slices):
            return True
    return False


def should_delete(comp: Composition | None, slice_: ResourceSlice) -> bool:
    """The slice belongs to no synthesis its composition still needs (the composition may be gone)."""
    if comp is None:
        return True
    in_flight = comp.status.in_flight_synthesis
    if in_flight is not None and in_flight.uuid == slice_.spec.synthesis_uuid:
        return False
    return not _named(comp, slice_.name)


def keep_finalizer(comp: Composition | None, slice_: ResourceSlice) -> bool:
    """A deleting slice keeps its finalizer while its composition's current synthesis still needs it
    (names it and is not reconciled yet)."""
    if comp is None:
        return False
    current = comp.status.current_synthesis
    if current is None or current.reconciled is not None:
        return False
    return any(ref.name == slice_.name for ref in current.resource_slices)
