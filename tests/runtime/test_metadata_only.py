"""Metadata-only reads against the embedded server: the client asks for PartialObjectMetadata, the server
answers without spec or data, and a metadata-only informer (alone or in the cache) stays in sync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import METADATA_ACCEPT, METADATA_LIST_ACCEPT, Client
from eno.runtime.frozen import FrozenDict
from eno.runtime.gvk import GVK
from eno.runtime.informer import Informer
from eno.runtime.store import object_key
from tests.eventually import eventually

CM = GVK("", "v1", "ConfigMap")
NS = "default"
FAST: dict[str, Any] = {"backoff_base": 0.02, "backoff_cap": 0.2}


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "web"}},
        "data": data,
    }


async def settle(check: Callable[[], Awaitable[bool] | bool], timeout: float = 10) -> None:
    done: bool = await eventually(check, timeout=timeout)
    assert done


class AcceptSpy:
    """Records the Accept header of every request the client sends (the server's log does not keep it)."""

    def __init__(self, client: Client) -> None:
        self.accepts: list[tuple[str, str]] = []
        rest = client.api_client.rest_client
        send = rest.request

        async def spy(method: str, url: str, **kwargs: Any) -> Any:
            query = kwargs.get("query_params") or {}
            self.accepts.append(
                ("watch" if query.get("watch") == "true" else method, kwargs["headers"]["Accept"])
            )
            return await send(method, url, **kwargs)

        rest.request = spy  # type: ignore[method-assign,assignment]


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(apiserver.url, qps=0) as c:
        yield c


def metadata_only(obj: dict[str, Any] | FrozenDict) -> bool:
    return set(obj) <= {"apiVersion", "kind", "metadata"} and "data" not in obj


async def test_get_and_list_answer_partial_object_metadata(client: Client) -> None:
    spy = AcceptSpy(client)
    await client.create(configmap("a", big="x" * 1000))
    got = await client.get(CM, "a", NS, metadata_only=True)
    assert got["kind"] == "PartialObjectMetadata"
    assert got["apiVersion"] == "meta.k8s.io/v1"
    assert metadata_only(got)
    assert got["metadata"]["labels"] == {"app": "web"}
    page = await client.list(CM, NS, metadata_only=True)
    assert [i["metadata"]["name"] for i in page.items] == ["a"]
    assert all(i["kind"] == "PartialObjectMetadata" and metadata_only(i) for i in page.items)
    assert page.resource_version
    full = await client.get(CM, "a", NS)
    assert full["data"] == {"big": "x" * 1000}
    sent = [accept for _, accept in spy.accepts]
    assert METADATA_ACCEPT in sent and METADATA_LIST_ACCEPT in sent
    assert sent[-1] == "application/json"


async def test_watch_events_carry_metadata_only(client: Client) -> None:
    spy = AcceptSpy(client)
    page = await client.list(CM, NS, metadata_only=True)
    async with client.watch(CM, NS, resource_version=page.resource_version, metadata_only=True) as stream:
        await client.create(configmap("w", v="1"))
        event = await anext(stream)
    assert event.type == "ADDED"
    assert event.object["kind"] == "PartialObjectMetadata"
    assert event.object["metadata"]["name"] == "w"
    assert metadata_only(event.object)
    assert ("watch", METADATA_ACCEPT) in spy.accepts


async def test_metadata_informer_follows_updates_deletes_and_a_410_relist(
    apiserver: ApiServer, client: Client
) -> None:
    spy = AcceptSpy(client)
    await client.create(configmap("keep", v="1"))
    await client.create(configmap("remove", v="1"))
    informer = Informer(client, CM, namespace=NS, metadata_only=True, **FAST)
    deleted: list[str] = []
    informer.add_event_handler(_OnDelete(deleted))
    informer.start()
    try:
        assert await informer.wait_for_sync(10)

        async def in_sync() -> bool:
            truth = {object_key(o): o["metadata"]["resourceVersion"] for o in await client.list(CM, NS)}
            cached = {object_key(o): o["metadata"]["resourceVersion"] for o in informer.list()}
            return cached == truth

        await settle(in_sync)
        # The watched kind comes back on every object, and nothing but metadata is cached.
        assert all(o["kind"] == "ConfigMap" and o["apiVersion"] == "v1" for o in informer.list())
        assert all(metadata_only(o) for o in informer.list())

        await client.patch(CM, "keep", NS, {"metadata": {"annotations": {"a": "1"}}}, "merge")
        await client.delete(CM, "remove", NS)
        await settle(in_sync)
        keep = informer.get("keep", NS)
        assert keep is not None and keep["metadata"]["annotations"] == {"a": "1"}
        assert deleted == ["remove"]

        await settle(lambda: apiserver.faults.open_watches == 1)
        apiserver.faults.add(verb="watch", resource="configmaps", status=410)
        apiserver.faults.cut_watches(resource="configmaps")
        await client.create(configmap("added", v="1"))
        await settle(lambda: informer.lists == 2)
        await settle(in_sync)
        assert all(metadata_only(o) for o in informer.list())
    finally:
        await informer.stop()
    metadata_requests = [accept for verb, accept in spy.accepts if verb in ("GET", "watch")]
    informer_requests = [a for a in metadata_requests if a in (METADATA_ACCEPT, METADATA_LIST_ACCEPT)]
    assert informer_requests.count(METADATA_LIST_ACCEPT) == 2  # the first list and the relist


class _OnDelete:
    def __init__(self, into: list[str]) -> None:
        self.into = into

    def on_add(self, obj: FrozenDict) -> None:
        pass

    def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
        pass

    def on_delete(self, obj: FrozenDict) -> None:
        self.into.append(obj["metadata"]["name"])


async def test_cache_keeps_metadata_and_full_informers_of_one_kind_apart(client: Client) -> None:
    await client.create(configmap("a", v="1"))
    cache = Cache(client, informer_settings=FAST, sync_timeout=10)
    try:
        full = cache.informer_for(CM)
        meta = cache.informer_for(CM, metadata_only=True)
        assert full is not meta and meta.metadata_only and not full.metadata_only
        cache.start()
        assert await cache.wait_for_sync(10)
        assert (await cache.get(CM, "a", NS))["data"] == {"v": "1"}
        partial = await cache.get(CM, "a", NS, metadata_only=True)
        assert metadata_only(partial) and partial["kind"] == "ConfigMap"
        assert [o["metadata"]["name"] for o in await cache.list(CM, NS, metadata_only=True)] == ["a"]
        assert list(cache.informers) == [CM] and cache.informers[CM] is full
        assert len(cache.all_informers) == 2
    finally:
        await cache.stop()


async def test_cache_options_make_a_kind_metadata_only(client: Client) -> None:
    await client.create(configmap("a", v="1"))
    cache = Cache(client, by_kind={CM: InformerOptions(metadata_only=True)}, informer_settings=FAST)
    try:
        cache.start()
        got = await cache.get(CM, "a", NS)
        assert metadata_only(got)
        assert cache.informer_for(CM).metadata_only
        assert cache.informers[CM].metadata_only
    finally:
        await cache.stop()
