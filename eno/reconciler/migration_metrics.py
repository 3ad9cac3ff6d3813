"""Metrics for scraping during a migration (spec migration.md, "Migration metrics"), per registry.

- `eno_resource_owner{group,kind,namespace,name,composition_namespace,composition_name}`: 1 for the
  composition the guard lets write the contested object (set at its decision, before any write is due); the
  previous owner's series is removed when ownership moves, so one series per object.
- `eno_ownership_handoff_seconds`: the hand-off latency, from the reconciler observing a change of the new
  owner's composition metadata (the flip) to that composition's first write to each contested object since
  (one observation per object).
- `eno_ownership_conflicts_total{composition_namespace,composition_name,kind}`: writes the guard refused
  because another composition keeps the object (counted per refused pass, on the loser).
- `eno_resource_writes_total{group,kind,namespace,name,composition_namespace,composition_name}`: writes
  (applies, patches, creates and deletes) per object per composition: a migrated object's old owner's
  series must stop growing at the flip. One series per (object, composition): meant for the objects of a
  migration, so the reconciler only counts objects that more than one composition has claimed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from eno.reconciler.ownership import CompositionKey, ObjectKey

HANDOFF_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
OBJECT_LABELS = ("group", "kind", "namespace", "name")
COMPOSITION_LABELS = ("composition_namespace", "composition_name")


def _labels(key: ObjectKey, comp: CompositionKey) -> dict[str, str]:
    return {
        "group": key.group,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
        "composition_namespace": comp.namespace,
        "composition_name": comp.name,
    }


class MigrationMetrics:
    def __init__(self, registry: CollectorRegistry, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.owner = Gauge(
            "eno_resource_owner",
            "1 for the composition that currently writes the object (one series per contested object)",
            [*OBJECT_LABELS, *COMPOSITION_LABELS],
            registry=registry,
        )
        self.handoff = Histogram(
            "eno_ownership_handoff_seconds",
            "Flip observed (composition metadata changed) to the new owner's first write to the object",
            buckets=HANDOFF_BUCKETS,
            registry=registry,
        )
        self.conflicts = Counter(
            "eno_ownership_conflicts",
            "Writes refused because another composition keeps the object, counted on the loser",
            [*COMPOSITION_LABELS, "kind"],
            registry=registry,
        )
        self.writes = Counter(
            "eno_resource_writes",
            "Writes (apply, patch, create, delete) per contested object per composition",
            [*OBJECT_LABELS, *COMPOSITION_LABELS],
            registry=registry,
        )
        self._owners: dict[ObjectKey, CompositionKey] = {}
        self._flips: dict[CompositionKey, tuple[float, set[ObjectKey]]] = {}

    def metadata_changed(self, comp: CompositionKey) -> None:
        """The reconciler observed a change of the composition's labels or annotations (a possible flip)."""
        self._flips[comp] = (self.clock(), set())

    def owns(self, key: ObjectKey, comp: CompositionKey) -> None:
        """The guard let `comp` write the contested object: its owner, whether or not a write was due."""
        before = self._owners.get(key)
        if before == comp:
            return
        if before is not None:
            self.owner.remove(*_labels(key, before).values())
        self._owners[key] = comp
        self.owner.labels(**_labels(key, comp)).set(1)

    def wrote(self, key: ObjectKey, comp: CompositionKey) -> None:
        """`comp` wrote (or deleted) the object: count it, move the owner series, time a hand-off (the first
        write to each object since the composition's metadata changed)."""
        self.writes.labels(**_labels(key, comp)).inc()
        flip = self._flips.get(comp)
        if flip is not None and key not in flip[1]:
            flip[1].add(key)
            self.handoff.observe(max(0.0, self.clock() - flip[0]))
        self.owns(key, comp)

    def conflict(self, key: ObjectKey, loser: CompositionKey) -> None:
        self.conflicts.labels(
            composition_namespace=loser.namespace, composition_name=loser.name, kind=key.kind
        ).inc()

    def forget_object(self, key: ObjectKey) -> None:
        """The object left every composition: drop its owner series."""
        before = self._owners.pop(key, None)
        if before is not None:
            self.owner.remove(*_labels(key, before).values())
