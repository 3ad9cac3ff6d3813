"""The hole in Eno's protocol that ours closes (migration.md): a cache that has not seen the controller's
own last add. The test plays the stale cache (a fixed snapshot); writes and the live LIST go to the server."""

from __future__ import annotations

from typing import Any, cast

from controllers.events import EventRecorder
from controllers.symphony import SymphonyReconciler
from eno.api.v1 import Composition, Symphony
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.reconcile import Request
from tests.controllers.objects import NS, composition, symphony, variation

OWNER = "example.com/owner"


class StaleCache:
    """A cache frozen at one moment: what an informer that missed the latest events would answer."""

    def __init__(self, symph: Symphony, comps: list[Composition]) -> None:
        self.symph = symph
        self.comps = comps

    async def get(self, kind: Any, name: str, namespace: str | None = None) -> Any:
        if kind is Symphony and name == self.symph.name:
            return self.symph
        raise NotFound(404, "NotFound", name)

    async def by_index(self, kind: Any, index: str, value: str) -> list[Composition]:
        return list(self.comps)


async def test_flip_back_while_cache_misses_own_add(eno_server: ApiServer, client: Client) -> None:
    # The symphony now says b owns the key (the user flipped back); on the server a still holds it because
    # the controller itself added it a moment ago, and the cache has not seen that add.
    sym = symphony(
        "sym", variation("a", annotations={OWNER: ""}), variation("b", annotations={OWNER: "true"})
    )
    sym["metadata"]["finalizers"] = ["eno.azure.io/cleanup"]
    symph = await client.create(Symphony.from_dict(sym))
    owner = [
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Symphony",
            "name": "sym",
            "uid": symph.uid,
            "controller": True,
        }
    ]
    a = await client.create(
        Composition.from_dict(composition("a-1", "a", metadata={"ownerReferences": owner}))
    )
    b = await client.create(
        Composition.from_dict(composition("b-1", "b", metadata={"ownerReferences": owner}))
    )
    stale_a = a
    a = await client.update(a.with_annotation(OWNER, "true"))  # the add the cache has not seen
    reconciler = SymphonyReconciler(
        cast(Cache, StaleCache(symph, [stale_a, b])), client, EventRecorder(client)
    )

    await reconciler.reconcile(Request(NS, "sym"))

    live = {c.name: c.annotations.get(OWNER) for c in (await client.list(Composition, namespace=NS)).items}
    # Eno would have added the key to b here, with a still holding it. Ours pruned a first, added nothing.
    assert live == {"a-1": None, "b-1": None}

    # The next pass (the cache has caught up) adds it to b.
    fresh = {c.name: c for c in (await client.list(Composition, namespace=NS)).items}
    reconciler = SymphonyReconciler(
        cast(Cache, StaleCache(symph, list(fresh.values()))), client, EventRecorder(client)
    )
    await reconciler.reconcile(Request(NS, "sym"))
    live = {c.name: c.annotations.get(OWNER) for c in (await client.list(Composition, namespace=NS)).items}
    assert live == {"a-1": None, "b-1": "true"}
