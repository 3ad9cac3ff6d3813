"""The migration dashboard queries only metric names our processes expose, so it cannot silently show
nothing after a rename."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from eno.reconciler.migration_metrics import MigrationMetrics
from eno.runtime.metrics import ControllerMetrics, WorkqueueMetrics

DASHBOARD = Path(__file__).resolve().parents[2] / "manifests" / "dashboards" / "migration.json"
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def exposed() -> set[str]:
    """Every sample name our registries expose."""
    registry = CollectorRegistry()
    MigrationMetrics(registry)
    ControllerMetrics(registry)
    WorkqueueMetrics(registry)
    return {family.name + s for family in registry.collect() for s in ("", *SUFFIXES)}


def queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


@pytest.mark.parametrize("expr", queries())
def test_every_query_names_an_exposed_metric(expr: str) -> None:
    metrics = exposed()
    names = [
        n
        for n in re.findall(r"\b([a-z_]+)(?=\{|\[|\)| )", expr)
        if n.startswith(("eno_", "controller_", "workqueue_"))
    ]
    assert names, expr
    for name in names:
        assert name in metrics, f"{name} is not exposed"


def test_the_dashboard_covers_the_four_migration_series() -> None:
    text = " ".join(queries())
    for name in (
        "eno_resource_owner",
        "eno_ownership_handoff_seconds",
        "eno_ownership_conflicts_total",
        "eno_resource_writes_total",
    ):
        assert name in text
