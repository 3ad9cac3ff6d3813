"""The reconciler with eno-controller's composition and slice controllers (S's): the composition becomes
Ready from the slice states we write, and deleting it removes its resources before it disappears (Eno's
CompositionDeletionOrdering, DisableReconciliation). The test plays only the synthesis."""

from __future__ import annotations

import json
from typing import Any

from controllers import composition as composition_controller
from controllers import resourceslice
from controllers import symphony as symphony_controller
from controllers.reconciliation import cache_options, setup
from eno.api.v1 import Composition, Symphony
from eno.api.v1 import Synthesizer as SynthesizerKind
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.manager import Manager
from tests.controllers.conftest import History, running
from tests.reconciliation.conftest import CONFIGMAP, FAST, Synthesizer, configmap, get_or_none, until


def everything(manager: Manager) -> Any:
    composition_controller.setup(manager, composition_controller.Options(synthesizer_pod_namespace="default"))
    resourceslice.setup(manager)
    return setup(manager, FAST).reconciliation


async def test_composition_becomes_ready_and_deletes_its_resources(
    eno_server: ApiServer, client: Client
) -> None:
    await client.create(
        SynthesizerKind.from_dict({"metadata": {"name": "synth"}, "spec": {"image": "example.com/synth:v1"}})
    )
    synth = Synthesizer(client)
    async with running(eno_server.url, everything, by_kind=cache_options(FAST)):
        await synth.create(finalizers=())
        disabled = configmap("disabled", annotations={"eno.azure.io/disable-reconciliation": "true"})
        await synth.synthesize([configmap("a", {"k": "v"}), disabled])

        async def ready() -> Composition:
            comp = await synth.composition()
            current = comp.status.current_synthesis
            assert current is not None and current.reconciled and current.ready, comp.status
            return comp

        comp = await until(ready)
        assert comp.finalizers == ("eno.azure.io/cleanup",), "the composition controller's finalizer"
        assert await get_or_none(client, CONFIGMAP, "a") is not None
        assert await get_or_none(client, CONFIGMAP, "disabled") is None

        await client.delete(Composition, synth.name, synth.namespace)

        async def gone() -> bool:
            try:
                await synth.composition()
            except NotFound:
                return True
            return False

        await until(gone, timeout=20)
        assert await get_or_none(client, CONFIGMAP, "a") is None, "deleted before the composition went"


KEY = "example.com/owner"
OVERRIDES = "eno.azure.io/overrides"
HANDOFF = [
    {
        "path": "self.metadata.annotations['eno.azure.io/disable-reconciliation']",
        "value": "true",
        "condition": f"composition.metadata.annotations['{KEY}'] != 'true'",
    }
]


def with_symphony(manager: Manager) -> Any:
    symphony_controller.setup(manager)
    return everything(manager)


async def test_migration_runbook_moves_an_object_without_a_fight(
    eno_server: ApiServer, client: Client
) -> None:
    # migration.md: variation A owns the object, B does not; one symphony write flips the key; B takes
    # over without A writing again, and the object is never recreated.
    for name in ("source", "target"):
        await client.create(
            SynthesizerKind.from_dict(
                {"metadata": {"name": name}, "spec": {"image": f"example.com/{name}:v1"}}
            )
        )
    sym = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Symphony",
        "metadata": {"name": "s", "namespace": "default"},
        "spec": {
            "variations": [
                {"synthesizer": {"name": "source"}, "annotations": {KEY: "true"}},
                {"synthesizer": {"name": "target"}, "annotations": {KEY: ""}},
            ]
        },
    }
    history = History(eno_server, "configmaps")
    async with running(eno_server.url, with_symphony, by_kind=cache_options(FAST)):
        await client.create(Symphony.from_dict(sym))

        async def compositions() -> dict[str, Composition]:
            found = {c.spec.synthesizer.name: c for c in (await client.list(Composition, "default")).items}
            assert set(found) == {"source", "target"}
            return found

        comps = await until(compositions)
        for writer, comp in comps.items():
            cm = configmap("moved", {"writer": writer}, annotations={OVERRIDES: json.dumps(HANDOFF)})
            await Synthesizer(client, comp.name).synthesize([cm])

        async def written_by(writer: str) -> dict[str, Any]:
            obj = await client.get(CONFIGMAP, "moved", "default")
            assert obj["data"]["writer"] == writer
            return obj

        before = await until(lambda: written_by("source"))
        live = await client.get(Symphony, "s", "default")
        variations = [
            {"synthesizer": {"name": "source"}, "annotations": {KEY: ""}},
            {"synthesizer": {"name": "target"}, "annotations": {KEY: "true"}},
        ]
        flipped = await client.update(live.to_dict() | {"spec": {"variations": variations}})
        flip = int(flipped["metadata"]["resourceVersion"])
        after = await until(lambda: written_by("target"))
        assert after["metadata"]["uid"] == before["metadata"]["uid"], "never deleted or recreated"

        late = [
            e.revision
            for e in history.events
            if e.key.name == "moved"
            and e.revision > flip
            and (e.object.get("data") or {}).get("writer") == "source"
        ]
        assert not late, f"the old owner wrote after the flip at revisions {late}"


async def test_objects_go_to_the_downstream_cluster(eno_server: ApiServer, client: Client) -> None:
    # --remote-kubeconfig: Eno's objects stay on the manager's server, managed objects go downstream.
    async with ApiServer() as remote, await Client.from_url(remote.url, qps=0) as downstream:

        def reconciler_only(manager: Manager) -> Any:
            return setup(manager, FAST, downstream=downstream).reconciliation

        synth = Synthesizer(client)
        async with running(eno_server.url, reconciler_only, by_kind=cache_options(FAST)):
            await synth.create()
            await synth.synthesize([configmap("a", {"k": "v"})])
            await synth.settled()
        assert (await downstream.get(CONFIGMAP, "a", "default"))["data"] == {"k": "v"}
        assert await get_or_none(client, CONFIGMAP, "a") is None
