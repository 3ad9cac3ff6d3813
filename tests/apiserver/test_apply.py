"""Server-side apply, managedFields on ordinary writes, dryRun, deletecollection."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client

from tests.apiserver.objects import GROUP, MERGE, PLURAL, configmap, raw_request, widget

APPLY = "application/apply-patch+yaml"
CM = "/api/v1/namespaces/default/configmaps"


async def apply(kube: Any, path: str, body: Any, manager: str, **query: str) -> tuple[int, Any]:
    return await raw_request(
        kube, "PATCH", path, yaml.safe_dump(body).encode(), APPLY, fieldManager=manager, **query
    )


def managers(obj: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in obj["metadata"]["managedFields"]}


async def test_apply_creates_and_records_an_apply_entry(kube) -> None:
    status, obj = await apply(kube, f"{CM}/a", configmap("a", {"k": "v"}), "alice")
    assert status == 201
    assert obj["data"] == {"k": "v"}
    assert managers(obj)[("alice", "Apply")] == {"f:data": {"f:k": {}}}


async def test_apply_conflict_names_field_and_manager_and_force_takes_it(kube) -> None:
    await apply(kube, f"{CM}/a", configmap("a", {"k": "1"}), "alice")
    status, doc = await apply(kube, f"{CM}/a", configmap("a", {"k": "2"}), "bob")
    assert status == 409
    assert doc["reason"] == "Conflict"
    [cause] = doc["details"]["causes"]
    assert cause["field"] == ".data.k"
    assert 'conflict with "alice"' in cause["message"]
    status, obj = await apply(kube, f"{CM}/a", configmap("a", {"k": "2"}), "bob", force="true")
    assert status == 200
    assert obj["data"] == {"k": "2"}
    assert ("alice", "Apply") not in managers(obj) or "f:k" not in str(managers(obj)[("alice", "Apply")])


async def test_equal_values_are_shared_and_dropping_a_field_keeps_it_while_co_owned(kube) -> None:
    await apply(kube, f"{CM}/a", configmap("a", {"shared": "x", "mine": "1"}), "alice")
    status, _ = await apply(kube, f"{CM}/a", configmap("a", {"shared": "x"}), "bob")
    assert status == 200
    _, obj = await apply(kube, f"{CM}/a", configmap("a", {}), "alice")
    assert obj["data"] == {"shared": "x"}


async def test_apply_twice_is_a_no_op(kube) -> None:
    _, first = await apply(kube, f"{CM}/a", configmap("a", {"k": "v"}), "alice")
    _, second = await apply(kube, f"{CM}/a", configmap("a", {"k": "v"}), "alice")
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


async def test_apply_without_field_manager_is_422(kube) -> None:
    status, doc = await raw_request(kube, "PATCH", f"{CM}/a", yaml.safe_dump(configmap("a")).encode(), APPLY)
    assert (status, doc["reason"]) == (422, "Invalid")


async def test_apply_merges_custom_resources(kube, widgets) -> None:
    path = f"/apis/{GROUP}/v1/namespaces/default/{PLURAL}/w"
    status, obj = await apply(kube, path, widget("w", size=2), "alice")
    assert status == 201
    assert obj["spec"] == {"size": 2, "color": "blue"}
    await widgets.patch_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, "w", {"spec": {"color": "red"}}, _content_type=MERGE
    )
    _, obj = await apply(kube, path, widget("w", size=3), "alice")
    assert obj["spec"] == {"size": 3, "color": "red"}


async def test_updates_record_update_entries(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map(
        "default", configmap("a", {"k": "v"}), field_manager="maker"
    )
    [entry] = created.metadata.managed_fields
    assert (entry.manager, entry.operation) == ("maker", "Update")
    assert entry.fields_v1 == {"f:data": {".": {}, "f:k": {}}}


@pytest.mark.parametrize("verb", ["create", "update", "patch", "apply", "delete", "deletecollection"])
async def test_dry_run_stores_nothing(kube, apiserver, verb) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a", {"k": "1"}))
    before = apiserver.store.revision
    if verb == "create":
        status, obj = await raw_request(
            kube, "POST", CM, yaml.safe_dump(configmap("b")).encode(), "application/yaml", dryRun="All"
        )
        assert (status, obj["metadata"]["name"]) == (201, "b")
    elif verb == "update":
        current = await core.read_namespaced_config_map("a", "default")
        current.data = {"k": "2"}
        updated = await core.replace_namespaced_config_map("a", "default", current, dry_run="All")
        assert updated.data == {"k": "2"}
    elif verb == "patch":
        patched = await core.patch_namespaced_config_map("a", "default", {"data": {"k": "3"}}, dry_run="All")
        assert patched.data == {"k": "3"}
    elif verb == "apply":
        status, obj = await apply(
            kube, f"{CM}/a", configmap("a", {"k": "4"}), "x", dryRun="All", force="true"
        )
        assert (status, obj["data"]) == (200, {"k": "4"})
    elif verb == "delete":
        await core.delete_namespaced_config_map("a", "default", dry_run="All")
    else:
        await core.delete_collection_namespaced_config_map("default", dry_run="All")
    assert apiserver.store.revision == before
    assert (await core.read_namespaced_config_map("a", "default")).data == {"k": "1"}


async def test_deletecollection_deletes_the_selected_objects(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a", labels={"drop": "yes"}))
    await core.create_namespaced_config_map("default", configmap("b", labels={"drop": "no"}))
    await core.delete_collection_namespaced_config_map("default", label_selector="drop=yes")
    listed = await core.list_namespaced_config_map("default")
    assert [i.metadata.name for i in listed.items] == ["b"]


async def test_put_with_one_empty_managed_fields_entry_clears_them(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map(
        "default", configmap("a", {"k": "v"}), field_manager="x"
    )
    body = configmap("a", {"k": "v"}, resourceVersion=created.metadata.resource_version, managedFields=[{}])
    status, obj = await raw_request(kube, "PUT", f"{CM}/a", yaml.safe_dump(body).encode(), "application/yaml")
    assert status == 200
    assert not obj["metadata"].get("managedFields")
