"""Migration metrics: the owner series follows the writer, hand-offs are timed from the flip."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from eno.reconciler.migration_metrics import MigrationMetrics
from eno.reconciler.ownership import CompositionKey, ObjectKey

A = CompositionKey("default", "source")
B = CompositionKey("default", "target")
OBJ = ObjectKey("apps", "Deployment", "default", "moved")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def sample(registry: CollectorRegistry, metric: str, **labels: str) -> float | None:
    return registry.get_sample_value(metric, labels)


def owner(registry: CollectorRegistry, comp: CompositionKey) -> float | None:
    return sample(
        registry,
        "eno_resource_owner",
        group="apps",
        kind="Deployment",
        namespace="default",
        name="moved",
        composition_namespace=comp.namespace,
        composition_name=comp.name,
    )


def writes(registry: CollectorRegistry, comp: CompositionKey) -> float | None:
    return sample(
        registry,
        "eno_resource_writes_total",
        group="apps",
        kind="Deployment",
        namespace="default",
        name="moved",
        composition_namespace=comp.namespace,
        composition_name=comp.name,
    )


def test_handoff_moves_the_owner_and_times_the_latency() -> None:
    registry, clock = CollectorRegistry(), Clock()
    metrics = MigrationMetrics(registry, clock)
    metrics.wrote(OBJ, A)
    metrics.wrote(OBJ, A)
    assert (owner(registry, A), owner(registry, B)) == (1.0, None)
    assert sample(registry, "eno_ownership_handoff_seconds_count") == 0.0  # no flip observed: no hand-off
    metrics.metadata_changed(B)
    clock.now += 0.25
    metrics.wrote(OBJ, B)
    assert (owner(registry, A), owner(registry, B)) == (None, 1.0)
    assert sample(registry, "eno_ownership_handoff_seconds_count") == 1.0
    assert sample(registry, "eno_ownership_handoff_seconds_sum") == 0.25
    metrics.wrote(OBJ, B)
    assert sample(registry, "eno_ownership_handoff_seconds_count") == 1.0  # only the first write after it
    other = ObjectKey("", "ConfigMap", "default", "moved")
    metrics.wrote(other, B)
    assert sample(registry, "eno_ownership_handoff_seconds_count") == 2.0  # once per object
    metrics.owns(OBJ, A)
    assert (owner(registry, A), owner(registry, B)) == (1.0, None)
    metrics.owns(OBJ, B)
    assert (writes(registry, A), writes(registry, B)) == (2.0, 2.0)
    metrics.forget_object(OBJ)
    assert owner(registry, B) is None


def test_conflicts_are_counted_on_the_loser() -> None:
    registry = CollectorRegistry()
    metrics = MigrationMetrics(registry)
    metrics.conflict(OBJ, B)
    metrics.conflict(OBJ, B)
    value = sample(
        registry,
        "eno_ownership_conflicts_total",
        composition_namespace="default",
        composition_name="target",
        kind="Deployment",
    )
    assert value == 2.0
