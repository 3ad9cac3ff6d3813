"""The migration metrics the reconciler exposes while `eno migrate` runs examples/migration's runbook,
with the values they should have (spec migration.md, "Migration metrics"; docs/resource-migration.md)."""

from __future__ import annotations

from eno.api.v1 import Composition
from eno.apiserver.server import ApiServer
from eno.migrate.steps import Step
from eno.runtime.client import Client
from tests.daemons.conftest import Daemon, Daemons
from tests.eventually import eventually
from tests.migrate.test_runbook_cli import migrate
from tests.migration.runbook import Runbook

OBJECTS = (("ConfigMap", "moved-config"), ("Deployment", "moved-app"))


async def names(client: Client) -> dict[str, str]:
    listed = await client.list(Composition, "default")
    return {c.spec.synthesizer.name: c.metadata["name"] for c in listed.items}


async def owner(reconciler: Daemon, kind: str, name: str, composition: str) -> float:
    return await reconciler.metric(
        "eno_resource_owner", kind=kind, name=name, namespace="default", composition_name=composition
    )


async def writes(reconciler: Daemon, kind: str, name: str, composition: str) -> float:
    return await reconciler.metric(
        "eno_resource_writes_total", kind=kind, name=name, composition_name=composition
    )


async def test_metrics_during_the_runbook(cluster: ApiServer, client: Client, daemons: Daemons) -> None:
    await daemons.start("eno-controller")
    reconciler = await daemons.start("eno-reconciler", ["--readiness-poll-interval=1s"])
    runbook = Runbook(cluster, client, "seed")
    await runbook.deploy()
    await migrate(client, Step.PREPARE, 0)
    await runbook.step("2")
    comps = await names(client)
    source, target = comps["migration-source"], comps["migration-target"]
    for kind, name in OBJECTS:  # both claim it; the owner series appears with the source's next pass
        assert await owner(reconciler, kind, name, target) == 0

    await migrate(client, Step.FLIP, 0)
    before = {obj: await writes(reconciler, *obj, source) for obj in OBJECTS}

    async def moved() -> bool:  # one series per object: it moved to the target
        for kind, name in OBJECTS:
            assert await owner(reconciler, kind, name, target) == 1
            assert await owner(reconciler, kind, name, source) == 0
            assert await writes(reconciler, kind, name, target) >= 1
        assert await reconciler.metric("eno_ownership_handoff_seconds_count") == len(OBJECTS)
        assert await reconciler.metric("eno_ownership_handoff_seconds_bucket", le="1.0") == len(OBJECTS)
        return True

    await eventually(moved, timeout=10, interval=0.1, message="the owner series on the target")

    await runbook.step("4")
    await migrate(client, Step.FINISH, 0)
    for obj in OBJECTS:  # the old owner never wrote again
        assert await writes(reconciler, *obj, source) == before[obj]
    assert await reconciler.metric("eno_ownership_conflicts_total") == 0
