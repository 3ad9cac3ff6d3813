"""The garbage collector's task against a real store: each propagation mode, cascades, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from eno.apiserver import controllerwrites, deletion
from eno.apiserver.gc import ContextExecutor, GarbageCollector
from eno.apiserver.server import ApiServer
from eno.apiserver.store import Key
from eno.apiserver.strategy import Request, prepare_create
from tests.eventually import eventually

Obj = dict[str, Any]


@pytest.fixture
async def server() -> AsyncIterator[tuple[ApiServer, GarbageCollector]]:
    async with ApiServer(controllers=False) as srv:
        collector = GarbageCollector(srv.store, ContextExecutor(srv.context))
        collector.start()
        try:
            yield srv, collector
        finally:
            await collector.stop()


def cm_key(name: str) -> Key:
    return Key("", "configmaps", "default", name)


async def create(
    srv: ApiServer, name: str, *owners: Obj, block: bool = False, finalizers: list[str] | None = None
) -> Obj:
    info = srv.registry.storage_info("", "configmaps")
    assert info is not None
    refs = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": o["metadata"]["name"],
            "uid": o["metadata"]["uid"],
            "blockOwnerDeletion": block,
        }
        for o in owners
    ]
    meta: Obj = {"name": name, "ownerReferences": refs}
    if finalizers:
        meta["finalizers"] = finalizers
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    obj = prepare_create(Request(info=info, namespace="default"), body)
    async with srv.store.transaction() as txn:
        committed = txn.put(cm_key(name), obj)
    assert committed.object is not None
    return committed.object


async def delete(srv: ApiServer, obj: Obj, policy: str) -> None:
    async with srv.store.transaction() as txn:
        key = cm_key(obj["metadata"]["name"])
        controllerwrites.delete_object(
            srv.context, txn, key, obj["metadata"]["uid"], {"propagationPolicy": policy}
        )


def exists(srv: ApiServer, name: str) -> bool:
    return srv.store.get(cm_key(name)) is not None


async def test_background_deletes_dependents_after_the_owner(server: Any) -> None:
    srv, _collector = server
    owner = await create(srv, "owner")
    child = await create(srv, "child", owner)
    await create(srv, "grandchild", child)
    await delete(srv, owner, deletion.BACKGROUND)
    assert not exists(srv, "owner")
    await eventually(lambda: not exists(srv, "child") and not exists(srv, "grandchild"))


async def test_dependent_with_another_owner_survives_and_loses_the_reference(server: Any) -> None:
    srv, _collector = server
    a = await create(srv, "a")
    b = await create(srv, "b")
    await create(srv, "shared", a, b)
    await delete(srv, a, deletion.BACKGROUND)

    def only_b() -> bool:
        refs = srv.store.get(cm_key("shared"))["metadata"]["ownerReferences"]
        return [r["name"] for r in refs] == ["b"]

    await eventually(only_b)


async def test_foreground_keeps_the_owner_until_blocking_dependents_are_gone(server: Any) -> None:
    srv, collector = server
    owner = await create(srv, "owner")
    await create(srv, "child", owner, block=True, finalizers=["example.com/hold"])
    await delete(srv, owner, deletion.FOREGROUND)
    await eventually(lambda: srv.store.get(cm_key("child"))["metadata"].get("deletionTimestamp"))
    kept = srv.store.get(cm_key("owner"))
    assert kept["metadata"]["finalizers"] == [deletion.FOREGROUND_FINALIZER]
    assert kept["metadata"]["deletionTimestamp"]
    await eventually(lambda: collector.idle)
    assert exists(srv, "owner")
    child = srv.store.get(cm_key("child"))
    async with srv.store.transaction() as txn:
        controllerwrites.remove_finalizer(
            srv.context, txn, cm_key("child"), child["metadata"]["uid"], "example.com/hold"
        )
    await eventually(lambda: not exists(srv, "owner"))


async def test_foreground_without_blockers_removes_the_finalizer(server: Any) -> None:
    srv, _collector = server
    owner = await create(srv, "owner")
    await create(srv, "child", owner)
    await delete(srv, owner, deletion.FOREGROUND)
    await eventually(lambda: not exists(srv, "owner") and not exists(srv, "child"))
    history = [h.object["metadata"].get("finalizers") for h in srv.store.history(cm_key("owner"))]
    assert [deletion.FOREGROUND_FINALIZER] in history


async def test_orphan_keeps_dependents_without_the_reference(server: Any) -> None:
    srv, collector = server
    owner = await create(srv, "owner")
    await create(srv, "child", owner)
    await delete(srv, owner, deletion.ORPHAN)
    await eventually(lambda: not exists(srv, "owner"))
    child = srv.store.get(cm_key("child"))
    assert "ownerReferences" not in child["metadata"]
    await eventually(lambda: collector.idle)
    assert exists(srv, "child")


async def test_dependent_of_a_missing_owner_is_collected(server: Any) -> None:
    srv, _collector = server
    ghost = {"metadata": {"name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"}}
    await create(srv, "orphaned", ghost)
    await eventually(lambda: not exists(srv, "orphaned"))


async def test_a_collector_started_later_finds_existing_garbage() -> None:
    async with ApiServer(controllers=False) as srv:
        owner = await create(srv, "owner")
        await create(srv, "child", owner)
        async with srv.store.transaction() as txn:
            txn.put(cm_key("owner"), None)
        collector = GarbageCollector(srv.store, ContextExecutor(srv.context))
        collector.start()
        try:
            await eventually(lambda: not exists(srv, "child"))
        finally:
            await collector.stop()
