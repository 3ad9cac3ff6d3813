"""One reconcile pass of a symphony as data (spec controllers.md §2.3-§2.6, migration.md).

A pass makes at most one kind of change, decided here from the symphony and its compositions:
1. `removal_step`: one label or delete of a composition that should not exist (or a duplicate);
2. otherwise `plan_pass`: either ONE prune (a composition loses annotations its variation sets to "") or
   the applies (creates and updates) -- never both. Applies therefore only happen on a pass where no
   composition holds a key that must go, which is what keeps a moved annotation on at most one composition.

The controller runs `plan_pass` on its cache, and again on a fresh LIST from the server before it writes any
apply, so a cache that has not seen its own last write cannot make it add a value too early.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from eno.api.v1 import Composition, CompositionDependency, Symphony, Variation
from eno.api.v1.constants import LABEL_SYMPHONY_DELETING
from eno.api.v1.times import parse_time
from eno.symphony.desired import (
    coalesce_metadata,
    desired_composition,
    keys_to_prune,
    spec_equal,
    with_metadata_merge,
)
from eno.symphony.toposort import topo_sort

# --- removal (reverse phase) ---


@attrs.frozen
class LabelDeleting:
    """Mark the composition as removed by its symphony's deletion before deleting it (a separate write)."""

    composition: Composition  # the object to UPDATE, label set


@attrs.frozen
class Delete:
    composition: Composition
    reason: str  # "variation_removed", "symphony_deleting" or "duplicate"


Removal = LabelDeleting | Delete


def _creation_key(comp: Composition) -> tuple[float, str]:
    raw = comp.metadata.get("creationTimestamp")
    try:
        when = parse_time(raw).timestamp() if isinstance(raw, str) else 0.0
    except ValueError:
        when = 0.0
    return when, comp.name


def removal_step(symphony: Symphony, comps: Sequence[Composition]) -> Removal | None:
    """The one removal this pass should write, if any (compositions in name order)."""
    deleting = symphony.deleting
    names = {v.synthesizer.name for v in symphony.spec.variations}
    for comp in sorted(comps, key=lambda c: c.name):
        should_exist = comp.spec.synthesizer.name in names and not deleting
        label_ok = not deleting or comp.labels.get(LABEL_SYMPHONY_DELETING) == "true"
        if should_exist or (comp.deleting and label_ok):
            continue
        if not label_ok:
            return LabelDeleting(comp.with_label(LABEL_SYMPHONY_DELETING, "true"))
        return Delete(comp, "symphony_deleting" if deleting else "variation_removed")
    groups: dict[str, list[Composition]] = {}
    for comp in sorted(comps, key=lambda c: c.name):
        groups.setdefault(comp.spec.synthesizer.name, []).append(comp)
    for synth in sorted(groups):
        group = groups[synth]
        if len(group) >= 2:
            # Eno deletes the OLDEST (its code and test; its comment says the opposite): kept as the code.
            return Delete(min(group, key=_creation_key), "duplicate")
    return None


# --- the annotation protocol: prune, or apply ---


@attrs.frozen
class Prune:
    composition: Composition  # the object to UPDATE, keys removed
    keys: tuple[str, ...]


@attrs.frozen
class Apply:
    creates: tuple[Composition, ...] = ()
    updates: tuple[Composition, ...] = ()
    # Variations skipped this pass: a dependency has no composition yet (or names no variation).
    unresolved: tuple[str, ...] = ()
    cyclic: tuple[str, ...] = ()

    @property
    def writes(self) -> int:
        return len(self.creates) + len(self.updates)


Plan = Prune | Apply


def first_for(comps: Sequence[Composition], synthesizer: str) -> Composition | None:
    return next((c for c in comps if c.spec.synthesizer.name == synthesizer), None)


def prune_step(symphony: Symphony, comps: Sequence[Composition]) -> Prune | None:
    """The first composition (in variation order) that still carries a key its variation sets to ""."""
    for variation in symphony.spec.variations:
        comp = first_for(comps, variation.synthesizer.name)
        if comp is None:
            continue
        doomed = keys_to_prune(variation, comp)
        if doomed:
            annotations = {k: v for k, v in comp.annotations.items() if k not in doomed}
            return Prune(comp.with_metadata(annotations=annotations or None), doomed)
    return None


def plan_pass(symphony: Symphony, comps: Sequence[Composition], skip: frozenset[str] = frozenset()) -> Plan:
    """Prunes first (one per pass); only when none is left, the creates and updates of this pass.

    `skip` names variations already written in this pass (the controller plans again after creating
    dependencies, so their dependents resolve to real names within the same pass).
    """
    prune = prune_step(symphony, comps)
    if prune is not None:
        return prune
    by_synth = {c.spec.synthesizer.name: c for c in comps}
    ordered, cyclic = topo_sort(symphony.spec.variations)
    creates: list[Composition] = []
    updates: list[Composition] = []
    unresolved: list[str] = []
    for variation in ordered:
        name = variation.synthesizer.name
        if name in skip:
            continue
        deps = _resolve(variation, by_synth)
        if deps is None:
            unresolved.append(name)
            continue
        desired = desired_composition(symphony, variation, deps)
        existing = first_for(comps, name)
        if existing is None:
            creates.append(desired)
            continue
        update = update_for(variation, desired, existing)
        if update is not None:
            updates.append(update)
    return Apply(tuple(creates), tuple(updates), tuple(unresolved), tuple(sorted(cyclic)))


def _resolve(
    variation: Variation, by_synth: dict[str, Composition]
) -> tuple[CompositionDependency, ...] | None:
    out: list[CompositionDependency] = []
    for dep in variation.depends_on:
        if not dep.synthesizer:
            continue  # Eno logs and ignores empty entries
        comp = by_synth.get(dep.synthesizer)
        if comp is None or not comp.name:
            return None
        out.append(CompositionDependency(name=comp.name, namespace=comp.namespace))
    return tuple(out)


def update_for(variation: Variation, desired: Composition, existing: Composition) -> Composition | None:
    """The write for an existing composition: its spec if that differs (metadata waits for the next
    pass, as in Eno), else the merged labels and annotations if they changed, else nothing."""
    if not spec_equal(desired.spec, existing.spec):
        return attrs.evolve(existing, spec=desired.spec)
    merge = coalesce_metadata(variation, existing)
    if merge.changed:
        return with_metadata_merge(existing, merge)
    return None
