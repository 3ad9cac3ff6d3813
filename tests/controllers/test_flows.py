"""Cross-controller flows (spec controllers.md §8) with the symphony, composition and slice controllers
running together; tests play the synthesis controller and the reconciler over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

from controllers import composition as composition_controller
from controllers import resourceslice
from controllers import symphony as symphony_controller
from eno.api.v1 import Composition, ResourceSlice, Symphony, Synthesizer
from eno.api.v1.times import format_time
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.manager import Manager
from tests.controllers.conftest import running, until
from tests.controllers.objects import NS, V1, symphony, synthesizer, variation


def all_controllers(manager: Manager) -> Any:
    symphony_controller.setup(manager)
    composition_controller.setup(manager, composition_controller.Options(synthesizer_pod_namespace=NS))
    return resourceslice.setup(manager)


async def synthesize(client: Client, comp: Composition) -> str:
    """Play the synthesis controller: one slice with one unreconciled resource, as the current synthesis."""
    body = {
        "apiVersion": V1,
        "kind": "ResourceSlice",
        "metadata": {
            "generateName": f"{comp.name}-",
            "namespace": NS,
            "finalizers": ["eno.azure.io/cleanup"],
            "ownerReferences": [
                {
                    "apiVersion": V1,
                    "kind": "Composition",
                    "name": comp.name,
                    "uid": comp.uid,
                    "controller": True,
                }
            ],
        },
        "spec": {
            "resources": [{"manifest": '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}'}]
        },
    }
    created = await client.create(ResourceSlice.from_dict(body))
    syn = {
        "uuid": "u1",
        "observedCompositionGeneration": comp.generation,
        "synthesized": format_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)),
        "resourceSlices": [{"name": created.name}],
    }
    await client.patch(
        Composition, comp.name, NS, {"status": {"currentSynthesis": syn}}, subresource="status"
    )
    return created.name


async def by_synth(client: Client) -> dict[str, Composition]:
    return {c.spec.synthesizer.name: c for c in (await client.list(Composition, namespace=NS)).items}


async def test_symphony_deletion_orphans_resources_and_finishes(
    eno_server: ApiServer, client: Client
) -> None:
    for name in ("a", "b"):
        await client.create(Synthesizer.from_dict(synthesizer(name)))
    async with running(eno_server.url, all_controllers):
        await client.create(Symphony.from_dict(symphony("sym", variation("a"), variation("b"))))

        async def finalized() -> dict[str, Composition]:
            comps = await by_synth(client)
            assert set(comps) == {"a", "b"}
            assert all("eno.azure.io/cleanup" in c.finalizers for c in comps.values())
            return comps

        comps = await until(finalized)
        for comp in comps.values():
            await synthesize(client, comp)

        async def reconciling() -> bool:
            comps = await by_synth(client)
            assert all(
                c.status.simplified and c.status.simplified.status == "Reconciling" for c in comps.values()
            )
            return True

        await until(reconciling)
        # The reconciler never reports these resources: only the symphony-deleting label lets them go.
        await client.delete(Symphony, "sym", NS)

        async def symphony_gone() -> bool:
            try:
                await client.get(Symphony, "sym", NS)
            except NotFound:
                return True
            return False

        await until(symphony_gone, timeout=20)
        assert await by_synth(client) == {}


async def test_removed_variation_waits_for_its_resources(eno_server: ApiServer, client: Client) -> None:
    for name in ("a", "b"):
        await client.create(Synthesizer.from_dict(synthesizer(name)))
    async with running(eno_server.url, all_controllers):
        await client.create(Symphony.from_dict(symphony("sym", variation("a"), variation("b"))))

        async def finalized() -> dict[str, Composition]:
            comps = await by_synth(client)
            assert set(comps) == {"a", "b"}
            assert all("eno.azure.io/cleanup" in c.finalizers for c in comps.values())
            return comps

        comps = await until(finalized)
        slice_name = await synthesize(client, comps["b"])
        await client.patch(Symphony, "sym", NS, {"spec": {"variations": [variation("a")]}})

        async def deleting() -> Composition | None:
            b = (await by_synth(client)).get("b")
            assert b is not None and b.deleting
            assert b.labels.get("eno.azure.io/symphony-deleting") is None
            return b

        await until(deleting)
        # Play the reconciler: the resource is deleted; the roll-up marks the synthesis reconciled.
        state = {"reconciled": True, "deleted": True}
        await client.patch(
            ResourceSlice, slice_name, NS, {"status": {"resources": [state]}}, subresource="status"
        )

        async def only_a() -> bool:
            assert set(await by_synth(client)) == {"a"}
            return True

        await until(only_a, timeout=20)


async def test_controller_metric_names(eno_server: ApiServer, client: Client) -> None:
    """controller_runtime_* series carry Eno's controller names (the slice status one is distinct)."""
    from controllers import liveness

    def everything(manager: Manager) -> Any:
        all_controllers(manager)
        return liveness.setup(manager)

    async with running(eno_server.url, everything) as manager:
        names = {c.name for c in manager.controllers}
        assert names == {"symphony", "composition", "resourceslicestatus", "resourceslice", "namespace"}
        labels = {
            sample.labels.get("controller")
            for metric in manager.registry.collect()
            if metric.name == "controller_runtime_max_concurrent_reconciles"
            for sample in metric.samples
        }
        assert names <= labels
