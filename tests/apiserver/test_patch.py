"""PATCH: merge patch, JSON patch (with kube's leniency), strategic merge for built-ins, resourceVersion."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import GROUP, JSON_PATCH, MERGE, PLURAL, configmap, status_of, widget


async def test_merge_patch_sets_and_removes_fields(kube) -> None:
    core: Any = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a", {"keep": "1", "drop": "2"}))
    patched = await core.patch_namespaced_config_map(
        "a", "default", {"data": {"drop": None, "new": "3"}}, _content_type=MERGE
    )
    assert patched.data == {"keep": "1", "new": "3"}


async def test_json_patch_ops(widgets) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a", tags=["x"]))
    ops = [
        {"op": "test", "path": "/spec/size", "value": 1},
        {"op": "replace", "path": "/spec/size", "value": 4},
        {"op": "add", "path": "/spec/tags/-", "value": "y"},
        {"op": "copy", "from": "/spec/color", "path": "/metadata/labels"},
    ]
    with pytest.raises(ApiException):
        # metadata.labels must be a map: copying a string there is refused and nothing changes.
        await widgets.patch_namespaced_custom_object(
            GROUP, "v1", "default", PLURAL, "a", ops, _content_type=JSON_PATCH
        )
    patched = await widgets.patch_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, "a", ops[:3], _content_type=JSON_PATCH
    )
    assert patched["spec"]["size"] == 4
    assert patched["spec"]["tags"] == ["x", "y"]


async def test_json_patch_failed_test_changes_nothing(widgets, apiserver) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    before = apiserver.store.revision
    ops = [
        {"op": "test", "path": "/spec/size", "value": 99},
        {"op": "replace", "path": "/spec/size", "value": 2},
    ]
    with pytest.raises(ApiException) as err:
        await widgets.patch_namespaced_custom_object(
            GROUP, "v1", "default", PLURAL, "a", ops, _content_type=JSON_PATCH
        )
    assert err.value.status in (409, 422)
    assert apiserver.store.revision == before


async def test_json_patch_leniency_on_missing_members(widgets) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    ops = [
        # test against a missing member compares with null; replace of a missing member adds it.
        {"op": "test", "path": "/metadata/annotations", "value": None},
        {"op": "replace", "path": "/metadata/annotations", "value": {"k": "v"}},
    ]
    patched = await widgets.patch_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, "a", ops, _content_type=JSON_PATCH
    )
    assert patched["metadata"]["annotations"] == {"k": "v"}


async def test_patch_with_stale_resource_version_is_409(kube) -> None:
    core: Any = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a"))
    await core.patch_namespaced_config_map("a", "default", {"data": {"v": "1"}}, _content_type=MERGE)
    with pytest.raises(ApiException) as err:
        await core.patch_namespaced_config_map(
            "a",
            "default",
            {"metadata": {"resourceVersion": created.metadata.resource_version}, "data": {"v": "2"}},
            _content_type=MERGE,
        )
    assert err.value.status == 409


async def test_patch_of_missing_object_is_404(kube) -> None:
    core: Any = client.CoreV1Api(kube)
    with pytest.raises(ApiException) as err:
        await core.patch_namespaced_config_map("nope", "default", {"data": {}}, _content_type=MERGE)
    assert err.value.status == 404


async def test_strategic_merge_patch_is_415_for_custom_resources(widgets) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    with pytest.raises(ApiException) as err:
        await widgets.patch_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            PLURAL,
            "a",
            {"spec": {"size": 2}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert err.value.status == 415
    assert status_of(err.value)["reason"] == "UnsupportedMediaType"


async def test_strategic_merge_patch_is_accepted_for_builtins(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a", {"k": "1"}))
    patched = await core.patch_namespaced_config_map("a", "default", {"data": {"k": "2"}})
    assert patched.data == {"k": "2"}
