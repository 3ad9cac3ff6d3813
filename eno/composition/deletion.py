"""What a deleting composition does next (spec controllers.md §3.6, api.md §9.10): one step per pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from eno.api.v1 import BlockedByRef, Composition, DependencyStatus, Synthesis
from eno.api.v1.constants import (
    ANNOTATION_FORCE_DELETE_WHEN_SYMPHONY_GONE,
    FINALIZER_CLEANUP,
    REASON_DEPENDENT_NOT_DELETED,
    REASON_WAITING_ON_DEPENDENTS,
)


@attrs.frozen
class ReleaseFinalizer:
    """Remove `eno.azure.io/cleanup` (a no-op when it is already gone)."""


@attrs.frozen
class SetDependencyStatus:
    status: DependencyStatus | None  # None clears it


@attrs.frozen
class ResetSynthesis:
    """Re-arm the current synthesis for the deletion: the reconciler then deletes (or orphans) resources."""

    synthesis: Synthesis


@attrs.frozen
class Wait:
    reason: str


DeletionStep = ReleaseFinalizer | SetDependencyStatus | ResetSynthesis | Wait


def symphony_owner(comp: Composition) -> str | None:
    """The name in the first ownerReference of kind Symphony, if any."""
    for ref in comp.metadata.get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("kind") == "Symphony":
            return str(ref.get("name") or "") or None
    return None


def wants_force_delete(comp: Composition) -> bool:
    """forceDeleteWhenSymphonyGone is set and there is a symphony owner to be gone."""
    return (
        comp.annotations.get(ANNOTATION_FORCE_DELETE_WHEN_SYMPHONY_GONE) == "true"
        and symphony_owner(comp) is not None
    )


def blocking_dependents(dependents: Sequence[Composition]) -> list[Composition]:
    """Dependents still holding the deletion: all but those deleting without the cleanup finalizer."""
    return [d for d in dependents if not (d.deleting and FINALIZER_CLEANUP not in d.finalizers)]


def waiting_on(blocking: Sequence[Composition]) -> DependencyStatus:
    return DependencyStatus(
        blocked=True,
        reason=REASON_WAITING_ON_DEPENDENTS,
        blocked_by=tuple(
            BlockedByRef(name=d.name, namespace=d.namespace, reason=REASON_DEPENDENT_NOT_DELETED)
            for d in sorted(blocking, key=lambda d: (d.namespace, d.name))
        ),
    )


def deletion_step(
    comp: Composition,
    dependents: Sequence[Composition],
    symphony_gone: bool,
    new_uuid: str,
    now: str,
) -> DeletionStep:
    """The next step for a deleting composition.

    `symphony_gone`: the owner symphony was looked up and is NotFound (only consulted when the force
    annotation asks for it). `new_uuid` and `now` stamp a re-armed synthesis.
    """
    if wants_force_delete(comp) and symphony_gone:
        return ReleaseFinalizer()
    blocking = blocking_dependents(dependents)
    if blocking:
        want = waiting_on(blocking)
        if comp.status.dependency_status != want:
            return SetDependencyStatus(want)
        return Wait("dependents")
    if comp.status.dependency_status is not None:
        return SetDependencyStatus(None)
    syn = comp.status.current_synthesis
    if syn is not None:
        if syn.observed_composition_generation != comp.generation:
            return ResetSynthesis(
                attrs.evolve(
                    syn,
                    observed_composition_generation=comp.generation,
                    uuid=new_uuid,
                    synthesized=now,
                    reconciled=None,
                    ready=None,
                )
            )
        if syn.reconciled is None:
            return Wait("resources")
    return ReleaseFinalizer()


def dependency_status_patch(status: DependencyStatus | None) -> dict[str, Any]:
    """A merge patch for status.dependencyStatus (null clears it)."""
    return {"status": {"dependencyStatus": None if status is None else status.to_dict()}}
