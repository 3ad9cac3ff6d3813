"""The slice status and slice cleanup controllers on the embedded API server. Tests play the synthesis
controller (compositions' currentSynthesis, slices with a finalizer and owner) and the reconciler (slice
status) over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

from controllers import resourceslice
from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1.times import format_time
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from tests.controllers.conftest import running, until
from tests.controllers.objects import NS, V1, composition


def ago(seconds: float) -> str:
    return format_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))


async def make_slice(client: Client, comp: Composition, name: str, resources: int = 1) -> ResourceSlice:
    body: dict[str, Any] = {
        "apiVersion": V1,
        "kind": "ResourceSlice",
        "metadata": {
            "name": name,
            "namespace": NS,
            "finalizers": ["eno.azure.io/cleanup"],
            "ownerReferences": [
                {
                    "apiVersion": V1,
                    "kind": "Composition",
                    "name": comp.name,
                    "uid": comp.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"resources": [{"manifest": '{"kind":"ConfigMap","metadata":{"name":"x"}}'}] * resources},
    }
    return await client.create(ResourceSlice.from_dict(body))


async def set_current(client: Client, name: str, slices: list[str], synthesized: str, **extra: Any) -> None:
    syn = {"uuid": "u1", "synthesized": synthesized, "resourceSlices": [{"name": s} for s in slices], **extra}
    await client.patch(Composition, name, NS, {"status": {"currentSynthesis": syn}}, subresource="status")


async def test_slice_states_roll_up(eno_server: ApiServer, client: Client) -> None:
    comp = await client.create(Composition.from_dict(composition("c", "s")))
    await make_slice(client, comp, "c-s1")
    await set_current(client, "c", ["c-s1"], ago(60))
    async with running(eno_server.url, resourceslice.setup):
        state = {"reconciled": True, "ready": "2024-01-01T00:00:07Z"}
        await client.patch(
            ResourceSlice, "c-s1", NS, {"status": {"resources": [state]}}, subresource="status"
        )

        async def rolled_up() -> bool:
            syn = (await client.get(Composition, "c", NS)).status.current_synthesis
            assert syn is not None and syn.reconciled is not None and syn.ready == "2024-01-01T00:00:07Z"
            return True

        await until(rolled_up)


async def test_missing_slice_forces_resynthesis(eno_server: ApiServer, client: Client) -> None:
    await client.create(Composition.from_dict(composition("c", "s")))
    await set_current(client, "c", ["c-gone"], ago(3600))
    async with running(eno_server.url, resourceslice.setup):

        async def forced() -> bool:
            comp = await client.get(Composition, "c", NS)
            assert comp.annotations.get("eno.azure.io/force-resynthesis") == "u1"
            return True

        await until(forced)


async def test_unused_slice_is_deleted_and_used_one_kept(eno_server: ApiServer, client: Client) -> None:
    comp = await client.create(Composition.from_dict(composition("c", "s")))
    await make_slice(client, comp, "c-used")
    await make_slice(client, comp, "c-old")
    await set_current(client, "c", ["c-used"], ago(60), reconciled=ago(30))
    async with running(eno_server.url, resourceslice.setup):

        async def old_gone() -> bool:
            try:
                await client.get(ResourceSlice, "c-old", NS)
            except NotFound:
                return True
            return False

        # Slices younger than 5 s are left alone: this takes a few seconds.
        await until(old_gone, timeout=15)
        assert (await client.get(ResourceSlice, "c-used", NS)).name == "c-used"


async def test_deleting_slice_keeps_finalizer_until_reconciled(eno_server: ApiServer, client: Client) -> None:
    comp = await client.create(Composition.from_dict(composition("c", "s")))
    await make_slice(client, comp, "c-s1")
    await set_current(client, "c", ["c-s1"], ago(60))
    async with running(eno_server.url, resourceslice.setup):
        await client.delete(ResourceSlice, "c-s1", NS)

        async def held() -> bool:
            s = await client.get(ResourceSlice, "c-s1", NS)
            assert s.deleting and s.finalizers == ("eno.azure.io/cleanup",)
            return True

        await until(held)
        # The reconciler reports the resource reconciled; the roll-up sets `reconciled`; the finalizer goes.
        await client.patch(
            ResourceSlice, "c-s1", NS, {"status": {"resources": [{"reconciled": True}]}}, subresource="status"
        )

        async def released() -> bool:
            try:
                await client.get(ResourceSlice, "c-s1", NS)
            except NotFound:
                return True
            return False

        await until(released)
