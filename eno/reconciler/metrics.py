"""Eno's reconciler metrics (spec reconciliation.md §9, operations.md §8.1), registered per registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
ACTIONS = ("create", "patch", "delete", "apply")
FLUSH_OPS = ("get", "patch", "marshal")


class ReconcilerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(
            "eno_reconciliation_duration_seconds",
            "Time spent applying one resource snapshot (not observed for disabled resources)",
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.actions = Counter(
            "eno_reconciliation_actions",
            "Write attempts by kind of action, counted before the call",
            ["action"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "eno_reconciliations_in_flight", "Reconcile calls currently executing", registry=registry
        )
        self.max_concurrent = Gauge(
            "eno_reconciliation_controller_max_concurrent_reconciles",
            "Configured --max-concurrent-reconciles",
            registry=registry,
        )
        self.queue_depth = Gauge(
            "eno_reconciliation_controller_workqueue_depth",
            "Length of the reconciliation work queue (0 before it exists)",
            registry=registry,
        )
        self.filter_errors = Counter(
            "eno_resource_filter_eval_errors",
            "--resource-filter evaluation errors (resource skipped)",
            registry=registry,
        )
        self.slice_updates = Counter(
            "eno_resource_slice_status_update",
            "Successful batched ResourceSlice status patches",
            registry=registry,
        )
        self.buffer_depth = Gauge(
            "eno_write_buffer_depth",
            "Items waiting in the buffer that batches ResourceSlice status writes",
            registry=registry,
        )
        self.flush_errors = Counter(
            "eno_write_buffer_status_update_errors",
            "Failed flush steps of the ResourceSlice status write buffer (retried)",
            ["op"],
            registry=registry,
        )
        for action in ACTIONS:
            self.actions.labels(action=action)
        for op in FLUSH_OPS:
            self.flush_errors.labels(op=op)

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        self.queue_depth.set_function(lambda: float(depth()))

    def track_buffer_depth(self, depth: Callable[[], int]) -> None:
        self.buffer_depth.set_function(lambda: float(depth()))
