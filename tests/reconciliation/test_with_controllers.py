"""The reconciler with eno-controller's composition and slice controllers (S's): the composition becomes
Ready from the slice states we write, and deleting it removes its resources before it disappears (Eno's
CompositionDeletionOrdering, DisableReconciliation). The test plays only the synthesis."""

from __future__ import annotations

from typing import Any

from controllers import composition as composition_controller
from controllers import resourceslice
from controllers.reconciliation import cache_options, setup
from eno.api.v1 import Composition
from eno.api.v1 import Synthesizer as SynthesizerKind
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.manager import Manager
from tests.controllers.conftest import running
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
