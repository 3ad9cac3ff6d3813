"""Roll the per-resource state in a synthesis's slices up into the composition (spec controllers.md §4.2)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1.constants import LABEL_SYMPHONY_DELETING, STATUS_RECONCILING
from eno.api.v1.predicates import should_orphan_resources
from eno.api.v1.times import parse_time


@attrs.frozen
class Snapshot:
    reconciled: bool = True
    ready: bool = True
    ready_time: str | None = None
    error: str = ""


@attrs.frozen
class MissingSlice:
    """A slice the current synthesis names is not in the cache (and the composition is not deleting)."""

    name: str


def _later(a: str | None, b: str) -> str:
    if a is None:
        return b
    try:
        return b if parse_time(b) > parse_time(a) else a
    except ValueError:
        return a


def snapshot(comp: Composition, slices: Mapping[str, ResourceSlice | None]) -> Snapshot | MissingSlice | None:
    """The aggregate state of the current synthesis (None without one). `slices`: name -> slice or None."""
    syn = comp.status.current_synthesis
    if syn is None:
        return None
    reconciled, ready, ready_time, error = True, True, None, ""
    # Eno checks exactly "orphan" here (§10.7); ours reads it in any case, as should_orphan_resources does.
    orphan = should_orphan_resources(comp)
    symphony_deleting = comp.labels.get(LABEL_SYMPHONY_DELETING) == "true"
    for ref in syn.resource_slices:
        slice_ = slices.get(ref.name)
        if slice_ is None:
            if comp.deleting:
                continue
            return MissingSlice(ref.name)
        if symphony_deleting:
            continue  # resources are orphaned: nothing to wait for
        if not slice_.status.resources and slice_.spec.resources:
            reconciled = ready = False
            break
        for state in slice_.status.resources:
            if not state.reconciled or (comp.deleting and not state.deleted and not orphan):
                reconciled = False
            if state.ready is None:
                ready = False
            else:
                ready_time = _later(ready_time, state.ready)
            if state.reconciliation_error and (error == "" or state.reconciliation_error > error):
                error = state.reconciliation_error
    return Snapshot(reconciled, ready, ready_time, error)


def transition(comp: Composition, snap: Snapshot, now: str) -> Composition | None:
    """The composition with its rolled-up status, or None when nothing tracked changed.

    `reconciled` is re-stamped with `now` on every transition; a synthesis without slices becomes ready
    at its previous `reconciled` time on the pass after it became reconciled. The simplified error is
    only ours while the status is Reconciling.
    """
    syn = comp.status.current_synthesis
    simplified = comp.status.simplified
    same_state = syn is None or (
        (syn.reconciled is not None) == snap.reconciled and (syn.ready is not None) == snap.ready
    )
    reconciling = simplified is not None and simplified.status == STATUS_RECONCILING
    same_error = not reconciling or (simplified is not None and simplified.error == snap.error)
    if same_state and same_error:
        return None
    status = comp.status
    if simplified is not None and simplified.status == STATUS_RECONCILING:
        status = attrs.evolve(status, simplified=attrs.evolve(simplified, error=snap.error))
    if syn is None:
        return attrs.evolve(comp, status=status)
    ready_time = syn.reconciled if not syn.resource_slices else snap.ready_time
    syn = attrs.evolve(
        syn,
        reconciled=now if snap.reconciled else None,
        ready=ready_time if (snap.ready and ready_time) else None,
    )
    return attrs.evolve(comp, status=attrs.evolve(status, current_synthesis=syn))
