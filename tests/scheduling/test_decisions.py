"""Dispatch patches, dependency order and the watchdog as pure functions (synthesis.md §6)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from controllers.scheduling import Options, SchedulingReconciler
from eno.api.v1 import DependencyStatus
from eno.api.v1 import constants as c
from eno.api.v1.times import parse_time
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.scheduling import dependencies
from eno.scheduling.dispatch import dispatch_patch
from eno.scheduling.metrics import scheduling_metrics
from eno.scheduling.op import Op, Reason
from eno.scheduling.watchdog import stuck
from tests.scheduling.objects import comp, rev, synthesis

NOW = "2026-01-01T00:10:00Z"


def test_dispatch_on_an_empty_status_creates_it() -> None:
    op = Op(Reason.INITIAL_SYNTHESIS, comp(generation=3))
    patch = dispatch_patch(op, "new", NOW)
    assert patch[:3] == [
        {"op": "test", "path": "/status", "value": None},
        {"op": "add", "path": "/status", "value": {}},
        {"op": "test", "path": "/status/inputRevisions", "value": None},
    ]
    assert patch[3] == {"op": "test", "path": "/status/inFlightSynthesis", "value": None}
    assert patch[4] == {
        "op": "replace",
        "path": "/status/inFlightSynthesis",
        "value": {"uuid": "new", "observedCompositionGeneration": 3, "initialized": NOW, "attempts": 1},
    }


def test_dispatch_fences_the_old_in_flight_and_counts_retries() -> None:
    old = synthesis(uuid="old", generation=2, synthesized=None, canceled=NOW, attempts=2)
    op = Op(Reason.RETRY, comp(generation=2, in_flight=old, revs=[rev("a", "7")]))
    patch = dispatch_patch(op, "new", NOW)
    tests = [p for p in patch if p["op"] == "test"]
    assert tests == [
        {"op": "test", "path": "/status/inputRevisions", "value": [{"key": "a", "resourceVersion": "7"}]},
        {"op": "test", "path": "/status/inFlightSynthesis/uuid", "value": "old"},
        {"op": "test", "path": "/status/inFlightSynthesis/observedCompositionGeneration", "value": 2},
        {"op": "test", "path": "/status/inFlightSynthesis/synthesized", "value": None},
    ]
    body = patch[-1]["value"]
    assert body["attempts"] == 3 and body["inputRevisions"] == [{"key": "a", "resourceVersion": "7"}]


def test_deferred_dispatch_is_marked() -> None:
    op = Op(Reason.SYNTHESIZER_MODIFIED, comp(current=synthesis()))
    assert dispatch_patch(op, "new", NOW)[-1]["value"]["deferred"] is True


def _deps(*names: str) -> list[dict[str, str]]:
    return [{"name": n, "namespace": "default"} for n in names]


def test_toposort_orders_by_dependency_then_key_and_reports_cycles() -> None:
    comps = [
        comp("c", depends_on=_deps("a")),
        comp("b"),
        comp("a"),
        comp("x", depends_on=_deps("y")),
        comp("y", depends_on=_deps("x")),
        comp("z", depends_on=_deps("x")),  # behind a cycle
        comp("m", depends_on=_deps("gone")),  # missing dependency: ordered, blocked elsewhere
    ]
    ordered, cyclic = dependencies.toposort(comps)
    assert [x.name for x in ordered] == ["a", "b", "c", "m"]
    assert cyclic == {"default/x", "default/y", "default/z"}


def test_blocked_by_names_missing_and_unready_dependencies() -> None:
    ready = comp("ready", current=synthesis(ready=NOW))
    unready = comp("unready", current=synthesis())
    by_key = {dependencies.comp_key(x): x for x in (ready, unready)}
    blocked = dependencies.blocked_by(comp("me", depends_on=_deps("ready", "unready", "gone")), by_key)
    assert [(b.name, b.reason) for b in blocked] == [
        ("unready", c.REASON_DEPENDENCY_NOT_READY),
        ("gone", c.REASON_DEPENDENCY_NOT_FOUND),
    ]


def test_status_patch_replaces_blocked_by() -> None:
    patch = dependencies.status_patch(DependencyStatus(blocked=True, reason=c.REASON_CIRCULAR_DEPENDENCY))
    assert patch == {
        "status": {"dependencyStatus": {"blocked": True, "reason": "CircularDependency", "blockedBy": None}}
    }
    assert dependencies.status_patch(None) == {"status": {"dependencyStatus": None}}


T = parse_time("2026-01-01T00:00:00Z")
LATER = T + dt.timedelta(minutes=5)
WATCHDOG = [
    ("new composition within the threshold", {}, T + dt.timedelta(seconds=10), False),
    ("new composition past the threshold", {}, LATER, True),
    ("reconciled", {"current": synthesis(reconciled="2026-01-01T00:00:01Z")}, LATER, False),
    ("initialized long ago, not reconciled", {"current": synthesis()}, LATER, True),
    ("initialized recently", {"current": synthesis()}, T + dt.timedelta(seconds=5), False),
    ("deleting past the threshold", {"deleting": True}, LATER, True),
    ("deleting recently", {"deleting": True}, T + dt.timedelta(seconds=5), False),
    ("previous exists, current not initialized", {"previous": synthesis()}, LATER, False),
]


@pytest.mark.parametrize(("args", "now", "expected"), [w[1:] for w in WATCHDOG], ids=[w[0] for w in WATCHDOG])
def test_watchdog(args: dict[str, Any], now: dt.datetime, expected: bool) -> None:
    assert stuck(comp(**args), now, 180) is expected


def test_every_slot_is_free_until_a_pass_runs() -> None:
    """Non-leaders report all slots free (the gauge is set at construction)."""
    registry = CollectorRegistry()
    SchedulingReconciler(
        cast(Cache, None), cast(Client, None), Options(concurrency_limit=7), scheduling_metrics(registry)
    )
    assert registry.get_sample_value("eno_free_synthesis_slots") == 7
