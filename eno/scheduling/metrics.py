"""The scheduler's metrics (spec synthesis.md §13), once per registry."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Gauge, Histogram

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 5)


class SchedulingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.free_slots = Gauge(
            "eno_free_synthesis_slots", "Concurrency limit minus synthesizing compositions", registry=registry
        )
        self.latency = Histogram(
            "eno_scheduling_latency_seconds",
            "Duration of a scheduling pass",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.stuck = Gauge(
            "eno_compositions_stuck_reconciling_total",
            "Compositions past the watchdog threshold without reconciling, per synthesizer",
            ["synthesizer", "owner"],
            registry=registry,
        )
        self.health = Gauge(
            "eno_composition_health",
            "1 when the composition is stuck, 0 when healthy",
            ["composition_name", "composition_namespace", "synthesizer_name"],
            registry=registry,
        )


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, SchedulingMetrics] = weakref.WeakKeyDictionary()


def scheduling_metrics(registry: CollectorRegistry) -> SchedulingMetrics:
    metrics = _BY_REGISTRY.get(registry)
    if metrics is None:
        metrics = _BY_REGISTRY[registry] = SchedulingMetrics(registry)
    return metrics
