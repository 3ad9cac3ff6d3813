"""Slice controllers against a cache that is behind the server (the test plays the stale cache; reads
that must be live and every write go to the embedded server)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from controllers.resourceslice import SliceCleanupReconciler, SliceStatusReconciler
from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1.times import format_time
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.reconcile import Request
from tests.controllers.objects import NS, V1, composition


class SnapshotCache:
    """A cache frozen at one moment."""

    def __init__(self, *objects: Any) -> None:
        self.objects = {(type(o), o.name): o for o in objects}

    async def get(self, kind: Any, name: str, namespace: str | None = None) -> Any:
        try:
            return self.objects[(kind, name)]
        except KeyError:
            raise NotFound(404, "NotFound", name) from None


def ago(seconds: float) -> str:
    return format_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))


async def make_slice(client: Client, comp: Composition, name: str) -> ResourceSlice:
    owner = {"apiVersion": V1, "kind": "Composition", "name": comp.name, "uid": comp.uid, "controller": True}
    body = {
        "apiVersion": V1,
        "kind": "ResourceSlice",
        "metadata": {"name": name, "namespace": NS, "ownerReferences": [owner]},
        "spec": {"resources": [{"manifest": "{}"}]},
    }
    return await client.create(ResourceSlice.from_dict(body))


async def with_current(client: Client, name: str, slices: list[str], synthesized: str) -> Composition:
    syn = {"uuid": "u1", "synthesized": synthesized, "resourceSlices": [{"name": s} for s in slices]}
    await client.patch(Composition, name, NS, {"status": {"currentSynthesis": syn}}, subresource="status")
    return await client.get(Composition, name, NS)


async def test_missing_slice_confirmed_live_before_forcing_resynthesis(
    eno_server: ApiServer, client: Client
) -> None:
    comp = await client.create(Composition.from_dict(composition("c", "s")))
    await make_slice(client, comp, "c-new")
    comp = await with_current(client, "c", ["c-new"], ago(3600))
    # The cache has the composition but not yet its new slice: the live read finds it, nothing is written.
    reconciler = SliceStatusReconciler(cast(Cache, SnapshotCache(comp)), client)
    await reconciler.reconcile(Request(NS, "c"))
    assert "eno.azure.io/force-resynthesis" not in (await client.get(Composition, "c", NS)).annotations


async def test_missing_slice_of_a_fresh_synthesis_waits(eno_server: ApiServer, client: Client) -> None:
    await client.create(Composition.from_dict(composition("c", "s")))
    comp = await with_current(client, "c", ["c-gone"], ago(0))
    reconciler = SliceStatusReconciler(cast(Cache, SnapshotCache(comp)), client)
    result = await reconciler.reconcile(Request(NS, "c"))
    assert result.requeue_after is not None and 0 < result.requeue_after < 5
    assert "eno.azure.io/force-resynthesis" not in (await client.get(Composition, "c", NS)).annotations


async def test_cleanup_needs_cache_and_server_to_agree(eno_server: ApiServer, client: Client) -> None:
    comp = await client.create(Composition.from_dict(composition("c", "s")))
    slice_ = await make_slice(client, comp, "c-s1")
    old = slice_.with_metadata(creationTimestamp=ago(60))  # past the 5 s grace
    stale_comp = comp  # the cache has not seen the synthesis that now names the slice
    await with_current(client, "c", ["c-s1"], ago(30))
    reconciler = SliceCleanupReconciler(cast(Cache, SnapshotCache(old, stale_comp)), client)
    await reconciler.reconcile(Request(NS, "c-s1"))
    assert (await client.get(ResourceSlice, "c-s1", NS)).uid == slice_.uid  # kept

    # Once neither names it, it is deleted (with its uid as precondition).
    await with_current(client, "c", ["c-other"], ago(30))
    await reconciler.reconcile(Request(NS, "c-s1"))
    try:
        await client.get(ResourceSlice, "c-s1", NS)
        raise AssertionError("the unused slice should be gone")
    except NotFound:
        pass


async def test_young_slice_is_left_alone(eno_server: ApiServer, client: Client) -> None:
    comp = await client.create(Composition.from_dict(composition("c", "s")))
    slice_ = await make_slice(client, comp, "c-s1")
    reconciler = SliceCleanupReconciler(cast(Cache, SnapshotCache(slice_, comp)), client)
    result = await reconciler.reconcile(Request(NS, "c-s1"))
    assert result.requeue_after is not None and result.requeue_after > 0
    assert (await client.get(ResourceSlice, "c-s1", NS)).uid == slice_.uid
