"""Garbage collection by ownerReferences through HTTP, in each propagation mode."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import configmap
from tests.eventually import eventually


def owned_by(name: str, owner: Any, block: bool = False) -> Any:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner.metadata.name,
        "uid": owner.metadata.uid,
        "blockOwnerDeletion": block,
    }
    return configmap(name, ownerReferences=[ref])


async def exists(core: client.CoreV1Api, name: str) -> bool:
    try:
        await core.read_namespaced_config_map(name, "default")
    except ApiException as err:
        assert err.status == 404
        return False
    return True


async def test_background_deletes_dependents_after_the_owner(kube) -> None:
    core = client.CoreV1Api(kube)
    owner = await core.create_namespaced_config_map("default", configmap("owner"))
    await core.create_namespaced_config_map("default", owned_by("child", owner))
    await core.delete_namespaced_config_map("owner", "default", propagation_policy="Background")
    assert not await exists(core, "owner")

    async def child_gone():
        return not await exists(core, "child")

    await eventually(child_gone, timeout=10)


async def test_foreground_keeps_the_owner_until_blocking_dependents_are_gone(kube) -> None:
    core = client.CoreV1Api(kube)
    owner = await core.create_namespaced_config_map("default", configmap("owner"))
    await core.create_namespaced_config_map("default", owned_by("child", owner, block=True))
    deleting = await core.delete_namespaced_config_map("owner", "default", propagation_policy="Foreground")
    assert deleting is not None

    async def both_gone():
        return not await exists(core, "child") and not await exists(core, "owner")

    await eventually(both_gone, timeout=10)


async def test_foreground_owner_carries_the_foreground_finalizer(kube) -> None:
    core = client.CoreV1Api(kube)
    owner = await core.create_namespaced_config_map("default", configmap("owner"))
    child = owned_by("child", owner, block=True)
    child["metadata"]["finalizers"] = ["example.com/hold"]
    await core.create_namespaced_config_map("default", child)
    await core.delete_namespaced_config_map("owner", "default", propagation_policy="Foreground")
    held = await core.read_namespaced_config_map("owner", "default")
    assert "foregroundDeletion" in held.metadata.finalizers
    assert held.metadata.deletion_timestamp is not None


async def test_orphan_leaves_dependents_without_the_reference(kube) -> None:
    core = client.CoreV1Api(kube)
    owner = await core.create_namespaced_config_map("default", configmap("owner"))
    await core.create_namespaced_config_map("default", owned_by("child", owner))
    await core.delete_namespaced_config_map("owner", "default", propagation_policy="Orphan")

    async def orphaned():
        if await exists(core, "owner"):
            return False
        child = await core.read_namespaced_config_map("child", "default")
        return not child.metadata.owner_references

    await eventually(orphaned, timeout=10)


async def test_bad_propagation_policy_is_422(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("owner"))
    with pytest.raises(ApiException) as err:
        await core.delete_namespaced_config_map("owner", "default", propagation_policy="Sideways")
    assert err.value.status == 422
    assert await exists(core, "owner")
