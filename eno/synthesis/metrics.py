"""Eno's synthesis metrics (spec synthesis.md §13), once per registry."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Histogram

WAIT_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900)
DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)

# Pod GC results (the `result` label).
SUCCESS = "success"
TIMEOUT = "timeout"
SUPERSEDED = "superseded"
ORPHANED = "orphaned"
IMAGE_CHANGED = "image_changed"
COMPOSITION_DELETED = "composition_deleted"
NAMESPACE_TERMINATING = "namespace_terminating"
SYNTHESIZER_DELETED = "synthesizer_deleted"
KUBELET_TIMEOUT = "kubelet_timeout"


class SynthesisMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.syntheses = Counter("eno_syntheses", "Synthesizer pods created", registry=registry)
        self.results = Counter(
            "eno_synthesis_result",
            "Synthesis pod deletions by reason",
            ["synthesizer", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "eno_synthesis_duration_seconds",
            "Synthesis pod creation to deletion",
            ["synthesizer", "result"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.wait = Histogram(
            "eno_composition_synthesis_wait_seconds",
            "In-flight synthesis initialized to pod created",
            buckets=WAIT_BUCKETS,
            registry=registry,
        )


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, SynthesisMetrics] = weakref.WeakKeyDictionary()


def synthesis_metrics(registry: CollectorRegistry) -> SynthesisMetrics:
    metrics = _BY_REGISTRY.get(registry)
    if metrics is None:
        metrics = _BY_REGISTRY[registry] = SynthesisMetrics(registry)
    return metrics
