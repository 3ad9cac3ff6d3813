"""The shared cache over the embedded API server: one informer per kind, scoped reads, typed reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

import attrs
import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache, CacheNotStarted, InformerOptions, NamespaceNotCached
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from eno.runtime.store import OWNER_UID_INDEX, index_by_owner_uid
from tests.eventually import eventually

CM = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")
NS = "default"
FAST: dict[str, Any] = {"backoff_base": 0.02, "backoff_cap": 0.2}


def configmap(name: str, ns: str = NS, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, **meta}}


@attrs.frozen
class TypedConfigMap:
    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "ConfigMap"
    name: str
    labels: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": self.name, "labels": self.labels},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return cls(d["metadata"]["name"], d["metadata"].get("labels") or {})


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(apiserver.url, qps=0) as c:
        yield c


@pytest.fixture
async def cache(client: Client) -> AsyncIterator[Cache]:
    cache = Cache(client, informer_settings=FAST, sync_timeout=10)
    yield cache
    await cache.stop()


async def test_one_informer_per_kind_shared_by_watches_and_reads(client: Client, cache: Cache) -> None:
    assert cache.informer_for(CM) is cache.informer_for(TypedConfigMap)
    await client.create(configmap("a", labels={"app": "web"}))
    cache.start()
    assert await cache.wait_for_sync(10)
    got = await cache.get(CM, "a", NS)
    assert got["metadata"]["name"] == "a"
    typed = await cache.get(TypedConfigMap, "a", NS)
    assert typed == TypedConfigMap("a", {"app": "web"})
    assert [o.name for o in await cache.list(TypedConfigMap, NS, label_selector="app=web")] == ["a"]
    with pytest.raises(NotFound):
        await cache.get(CM, "missing", NS)
    assert list(cache.informers) == [CM]


async def test_kind_first_read_after_start_starts_and_syncs_its_informer(
    client: Client, cache: Cache
) -> None:
    cache.start()
    await client.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NS}})
    secret = await cache.get(SECRET, "s", NS)
    assert secret["metadata"]["name"] == "s"
    assert cache.informer_for(SECRET).running


async def test_reads_before_start_are_refused(cache: Cache) -> None:
    with pytest.raises(CacheNotStarted):
        await cache.get(CM, "a", NS)


async def test_scoped_kind_refuses_other_namespaces_and_hides_unlabelled(client: Client) -> None:
    await client.create(configmap("labelled", labels={"app.kubernetes.io/managed-by": "eno"}))
    await client.create(configmap("plain"))
    options = InformerOptions(namespace=NS, label_selector="app.kubernetes.io/managed-by=eno")
    cache = Cache(client, by_kind={CM: options}, informer_settings=FAST)
    cache.start()
    try:
        assert (await cache.get(CM, "labelled", NS))["metadata"]["name"] == "labelled"
        with pytest.raises(NotFound):
            await cache.get(CM, "plain", NS)
        with pytest.raises(NamespaceNotCached, match="unknown namespace for the cache"):
            await cache.get(CM, "labelled", "kube-system")
        assert [o["metadata"]["name"] for o in await cache.list(CM)] == ["labelled"]
    finally:
        await cache.stop()


async def test_indexes_through_the_cache(client: Client, cache: Cache) -> None:
    owner = await client.create(configmap("owner"))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    cache.add_indexer(CM, OWNER_UID_INDEX, index_by_owner_uid)
    cache.start()
    await client.create(configmap("child", ownerReferences=[ref]))

    async def child_indexed() -> bool:
        children = await cache.by_index(CM, OWNER_UID_INDEX, owner["metadata"]["uid"])
        return [c["metadata"]["name"] for c in children] == ["child"]

    done: bool = await eventually(child_indexed, timeout=10)
    assert done


async def test_removed_informer_stops_and_a_new_one_starts_fresh(client: Client, cache: Cache) -> None:
    cache.start()
    first = cache.informer_for(SECRET)
    assert await first.wait_for_sync(10)
    assert await cache.remove_informer(SECRET)
    assert not first.running
    assert not await cache.remove_informer(SECRET)
    later = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "later", "namespace": NS}}
    await client.create(later)
    assert (await cache.get(SECRET, "later", NS))["metadata"]["name"] == "later"
    assert cache.informer_for(SECRET) is not first
    assert first.get("later", NS) is None
