"""The ownership guard end to end: a broken migration (both compositions enabled for one object) has one
writer instead of oscillating, and removing the old owner's variation in the flip deletes nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.daemons.conftest import Daemon, Daemons, apply
from tests.eventually import eventually

from .runbook import MOVED, OWNER_KEY, SOURCE, SYMPHONY, TARGET, TIMEOUT, Runbook, compositions, writer

BROKEN_PLAN = {
    "override": "false",
    "source-drops": "false",
    "target-drops-override": "true",  # the target synthesizes the objects without the override: enabled
    "reconcile-interval": "1s",
}


async def start(daemons: Daemons) -> Daemon:
    await daemons.start("eno-controller")
    return await daemons.start("eno-reconciler", ["--readiness-poll-interval=1s"])


def writers(cluster: ApiServer) -> list[list[str | None]]:
    return [[writer(dict(e.object)) for e in cluster.store.history(key)] for key in MOVED]


def changes(values: list[str | None]) -> int:
    return sum(1 for a, b in itertools.pairwise(values) if a != b)


async def reconciles(reconciler: Daemon) -> float:
    return await reconciler.metric(
        "controller_runtime_reconcile_total", controller="reconciliationController"
    )


@pytest.mark.parametrize(
    "passes",
    [
        pytest.param(12, id="short"),
        pytest.param(60, id="30s", marks=pytest.mark.soak),  # 2 objects x 2 compositions x 1s x 30s / 2
    ],
)
async def test_broken_migration_has_one_writer(
    cluster: ApiServer, client: Client, daemons: Daemons, passes: int
) -> None:
    reconciler = await start(daemons)
    runbook = Runbook(cluster, client)
    await runbook.deploy()
    await runbook.moved_written_by("source")
    plan: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "migration-plan", "namespace": "default"},
        "data": BROKEN_PLAN,
    }
    await apply(client, [plan])
    before = await reconciles(reconciler)
    # Observe many reconcile passes of the 1s interval, not a wall-clock sleep.
    await eventually(
        lambda: _grown(reconciler, before, passes), timeout=TIMEOUT, interval=0.2, message=f"{passes} passes"
    )
    for values in writers(cluster):
        assert changes(values) <= 1, f"the writers oscillated: {values}"
        assert values[-1] == "source", "the incumbent keeps the object"
    assert await reconciler.metric("eno_ownership_conflicts_total", composition_name=_target(runbook)) > 0
    comps = await compositions(client)
    simplified = comps[TARGET].status.simplified
    assert simplified is not None and simplified.status != "Ready"
    events = await client.list(GVK("", "v1", "Event"), "default")
    assert any(e.get("reason") == "OwnershipConflict" for e in events.items)


async def _grown(reconciler: Daemon, before: float, passes: int) -> bool:
    return await reconciles(reconciler) >= before + passes


def _target(runbook: Runbook) -> str:
    return next(name for name in sorted(runbook.seen) if name.startswith(TARGET))


async def test_removing_the_old_variation_in_the_flip_deletes_nothing(
    cluster: ApiServer, client: Client, daemons: Daemons
) -> None:
    await start(daemons)
    runbook = Runbook(cluster, client)
    await runbook.deploy()
    await runbook.step("1")
    await runbook.step("2")
    symphony = await client.get(SYMPHONY, "migration", "default")
    edit: dict[str, Any] = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Symphony",
        "metadata": {"name": "migration", "namespace": "default"},
        "spec": {
            "bindings": symphony["spec"]["bindings"],
            "variations": [{"synthesizer": {"name": TARGET}, "annotations": {OWNER_KEY: "true"}}],
        },
    }
    await apply(client, [edit])

    async def source_gone() -> bool:
        return SOURCE not in await compositions(client)

    await eventually(source_gone, timeout=TIMEOUT, interval=0.1, message="source composition deleted")
    await runbook.moved_written_by("target")
    for key in MOVED:
        history = cluster.store.history(key)
        assert all(e.type != "DELETED" for e in history), f"{key} was deleted"
        assert len({(e.object.get("metadata") or {}).get("uid") for e in history}) == 1
