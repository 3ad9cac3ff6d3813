"""Prometheus metrics with controller-runtime's names, registered on a registry the caller passes in.

Each metric family exists once per registry (a registry per manager keeps tests apart); queues and
controllers sharing a name share its series, as they do in controller-runtime when name validation is off.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Protocol

import attrs
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# client-go / controller-runtime: prometheus.ExponentialBuckets(10e-9, 10, 12)
WORKQUEUE_BUCKETS = tuple(1e-8 * 10**i for i in range(12))

# controller-runtime's controller_runtime_reconcile_time_seconds buckets
RECONCILE_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
    1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 15.0, 20.0, 25.0, 30.0,
    40.0, 50.0, 60.0,
)  # fmt: skip


class QueueTimings(Protocol):
    def __len__(self) -> int: ...

    def unfinished_work_seconds(self) -> float: ...

    def longest_running_processor_seconds(self) -> float: ...


class WorkqueueMetrics:
    """workqueue_* families. Label values: `name` and `controller` both carry the queue's name."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["name", "controller"]
        self.depth = Gauge(
            "workqueue_depth",
            "Current depth of workqueue",
            [*labels, "priority"],
            registry=registry,
        )
        self.adds = Counter(
            "workqueue_adds", "Total number of adds handled by workqueue", labels, registry=registry
        )
        self.queue_duration = Histogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested",
            labels,
            buckets=WORKQUEUE_BUCKETS,
            registry=registry,
        )
        self.work_duration = Histogram(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes",
            labels,
            buckets=WORKQUEUE_BUCKETS,
            registry=registry,
        )
        self.unfinished_work = Gauge(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been observed by "
            "work_duration. Large values indicate stuck threads.",
            labels,
            registry=registry,
        )
        self.longest_running_processor = Gauge(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running.",
            labels,
            registry=registry,
        )
        self.retries = Counter(
            "workqueue_retries", "Total number of retries handled by workqueue", labels, registry=registry
        )
        # Queues are weakly held: a dropped queue stops contributing to the scrape-time gauges.
        self._queues: dict[str, weakref.WeakSet[QueueTimings]] = {}

    def register_queue(self, name: str, queue: QueueTimings) -> QueueSeries:
        first = name not in self._queues
        queues = self._queues.setdefault(name, weakref.WeakSet())
        queues.add(queue)
        if first:
            # Computed on scrape (client-go updates these from a 500 ms ticker instead); depth too, so a
            # queue that is dropped with items still queued stops counting.
            self.depth.labels(name, name, "").set_function(_sum_of(queues, lambda q: float(len(q))))
            self.unfinished_work.labels(name, name).set_function(
                _sum_of(queues, lambda q: q.unfinished_work_seconds())
            )
            self.longest_running_processor.labels(name, name).set_function(
                _max_of(queues, lambda q: q.longest_running_processor_seconds())
            )
        # Label lookups cost more than the updates: a queue keeps its children.
        return QueueSeries(
            adds=self.adds.labels(name, name),
            queue_duration=self.queue_duration.labels(name, name),
            work_duration=self.work_duration.labels(name, name),
            retries=self.retries.labels(name, name),
        )


@attrs.frozen
class QueueSeries:
    """One queue's labelled series."""

    adds: Counter
    queue_duration: Histogram
    work_duration: Histogram
    retries: Counter


def _sum_of(queues: weakref.WeakSet[QueueTimings], f: Callable[[QueueTimings], float]) -> Callable[[], float]:
    return lambda: sum((f(q) for q in list(queues)), 0.0)


def _max_of(queues: weakref.WeakSet[QueueTimings], f: Callable[[QueueTimings], float]) -> Callable[[], float]:
    return lambda: max((f(q) for q in list(queues)), default=0.0)


class ControllerMetrics:
    """controller_runtime_* families, labelled by controller name."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.reconcile_total = Counter(
            "controller_runtime_reconcile",
            "Total number of reconciliations per controller",
            ["controller", "result"],
            registry=registry,
        )
        self.reconcile_errors = Counter(
            "controller_runtime_reconcile_errors",
            "Total number of reconciliation errors per controller",
            ["controller"],
            registry=registry,
        )
        self.terminal_reconcile_errors = Counter(
            "controller_runtime_terminal_reconcile_errors",
            "Total number of terminal reconciliation errors per controller",
            ["controller"],
            registry=registry,
        )
        self.reconcile_panics = Counter(
            "controller_runtime_reconcile_panics",
            "Total number of reconciliation panics per controller",
            ["controller"],
            registry=registry,
        )
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Length of time per reconciliation per controller",
            ["controller"],
            buckets=RECONCILE_BUCKETS,
            registry=registry,
        )
        self.max_concurrent_reconciles = Gauge(
            "controller_runtime_max_concurrent_reconciles",
            "Maximum number of concurrent reconciles per controller",
            ["controller"],
            registry=registry,
        )
        self.active_workers = Gauge(
            "controller_runtime_active_workers",
            "Number of currently used workers per controller",
            ["controller"],
            registry=registry,
        )

    def register_controller(self, name: str) -> ControllerSeries:
        # controller-runtime initialises every series to zero so dashboards see them before the first event.
        self.reconcile_panics.labels(name)
        return ControllerSeries(
            results={r: self.reconcile_total.labels(name, r) for r in RESULTS},
            errors=self.reconcile_errors.labels(name),
            terminal_errors=self.terminal_reconcile_errors.labels(name),
            time=self.reconcile_time.labels(name),
            max_concurrent_reconciles=self.max_concurrent_reconciles.labels(name),
            active_workers=self.active_workers.labels(name),
        )


RESULTS = ("success", "error", "requeue", "requeue_after")


@attrs.frozen
class ControllerSeries:
    """One controller's labelled series."""

    results: dict[str, Counter]
    errors: Counter
    terminal_errors: Counter
    time: Histogram
    max_concurrent_reconciles: Gauge
    active_workers: Gauge


class LeaderElectionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.master_status = Gauge(
            "leader_election_master_status",
            "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, "
            "1 indicates master. 'name' is the string used to identify the lease.",
            ["name"],
            registry=registry,
        )
        self.slowpath_total = Counter(
            "leader_election_slowpath",
            "Total number of slow path exercised in renewing leader leases. 'name' is the string used to "
            "identify the lease.",
            ["name"],
            registry=registry,
        )


_workqueue: weakref.WeakKeyDictionary[CollectorRegistry, WorkqueueMetrics] = weakref.WeakKeyDictionary()
_controller: weakref.WeakKeyDictionary[CollectorRegistry, ControllerMetrics] = weakref.WeakKeyDictionary()
_leader: weakref.WeakKeyDictionary[CollectorRegistry, LeaderElectionMetrics] = weakref.WeakKeyDictionary()


def workqueue_metrics(registry: CollectorRegistry) -> WorkqueueMetrics:
    if registry not in _workqueue:
        _workqueue[registry] = WorkqueueMetrics(registry)
    return _workqueue[registry]


def controller_metrics(registry: CollectorRegistry) -> ControllerMetrics:
    if registry not in _controller:
        _controller[registry] = ControllerMetrics(registry)
    return _controller[registry]


def leader_election_metrics(registry: CollectorRegistry) -> LeaderElectionMetrics:
    if registry not in _leader:
        _leader[registry] = LeaderElectionMetrics(registry)
    return _leader[registry]
