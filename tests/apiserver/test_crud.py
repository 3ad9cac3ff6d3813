"""Create, get, list, update, delete through kubernetes-asyncio over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import configmap, status_of


async def test_create_then_get_returns_server_fields(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a", {"k": "v"}))
    assert created.metadata.uid
    assert created.metadata.creation_timestamp is not None
    # ConfigMaps carry no generation in kube (their strategy never sets one).
    assert created.metadata.generation is None
    got = await core.read_namespaced_config_map("a", "default")
    assert got.data == {"k": "v"}
    assert got.metadata.resource_version == created.metadata.resource_version


async def test_create_twice_is_409_already_exists(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_config_map("default", configmap("a"))
    assert err.value.status == 409
    assert status_of(err.value)["reason"] == "AlreadyExists"


async def test_get_missing_is_404_with_status_body(kube) -> None:
    core = client.CoreV1Api(kube)
    with pytest.raises(ApiException) as err:
        await core.read_namespaced_config_map("nope", "default")
    assert err.value.status == 404
    assert status_of(err.value)["message"] == 'configmaps "nope" not found'


async def test_create_in_missing_namespace_is_404(kube) -> None:
    core = client.CoreV1Api(kube)
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_config_map("ghost", configmap("a"))
    assert err.value.status == 404


async def test_generate_name_appends_five_characters(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("", generateName="gen-"))
    assert created.metadata.name.startswith("gen-")
    assert len(created.metadata.name) == len("gen-") + 5


async def test_update_with_stale_resource_version_is_409(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a", {"k": "1"}))
    created.data = {"k": "2"}
    updated = await core.replace_namespaced_config_map("a", "default", created)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    created.data = {"k": "3"}
    with pytest.raises(ApiException) as err:
        await core.replace_namespaced_config_map("a", "default", created)  # still the old resourceVersion
    assert err.value.status == 409
    assert "the object has been modified" in status_of(err.value)["message"]
    assert (await core.read_namespaced_config_map("a", "default")).data == {"k": "2"}


async def test_update_that_changes_nothing_keeps_resource_version(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a", {"k": "1"}))
    same = await core.replace_namespaced_config_map("a", "default", created)
    assert same.metadata.resource_version == created.metadata.resource_version


async def test_server_owned_fields_cannot_be_changed(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a"))
    body = configmap(
        "a",
        {"x": "y"},
        resourceVersion=created.metadata.resource_version,
        creationTimestamp="2000-01-01T00:00:00Z",
    )
    updated = await core.replace_namespaced_config_map("a", "default", body)
    assert updated.metadata.creation_timestamp == created.metadata.creation_timestamp
    assert updated.metadata.uid == created.metadata.uid


async def test_delete_removes_and_list_reports_revision(kube, apiserver) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    await core.create_namespaced_config_map("default", configmap("b"))
    await core.delete_namespaced_config_map("a", "default")
    listed = await core.list_namespaced_config_map("default")
    assert [i.metadata.name for i in listed.items] == ["b"]
    assert listed.metadata.resource_version == str(apiserver.store.revision)


async def test_request_log_records_verbs(kube, apiserver) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    await core.read_namespaced_config_map("a", "default")
    records = [(r.verb, r.resource, r.name, r.status) for r in apiserver.request_log]
    assert ("create", "configmaps", "", 201) in records
    assert ("get", "configmaps", "a", 200) in records


async def test_put_creates_a_missing_lease_but_not_a_configmap(kube) -> None:
    coordination = client.CoordinationV1Api(kube)
    lease: Any = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "leader"},
        "spec": {"holderIdentity": "me"},
    }
    created = await coordination.replace_namespaced_lease("leader", "default", lease)
    assert created.spec.holder_identity == "me"
    with pytest.raises(ApiException) as err:
        await client.CoreV1Api(kube).replace_namespaced_config_map("nope", "default", configmap("nope"))
    assert err.value.status == 404
