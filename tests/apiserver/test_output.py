"""Response forms: PartialObjectMetadata(List) for get/list/watch, and Table with CRD printer columns."""

from __future__ import annotations

import asyncio
import json

from kubernetes_asyncio import client

from tests.apiserver.objects import GROUP, PLURAL, configmap, raw_get, widget

METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
CM = "/api/v1/namespaces/default/configmaps"


async def test_metadata_only_list(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map(
        "default", configmap("a", {"secret": "payload"}, labels={"l": "v"})
    )
    response = await raw_get(kube, CM, headers={"Accept": METADATA_LIST})
    doc = await response.json()
    assert doc["kind"] == "PartialObjectMetadataList"
    assert doc["apiVersion"] == "meta.k8s.io/v1"
    assert doc["metadata"]["resourceVersion"]
    [item] = doc["items"]
    assert item == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": item["metadata"],
    }
    assert item["metadata"]["labels"] == {"l": "v"}


async def test_metadata_only_get(kube) -> None:
    await client.CoreV1Api(kube).create_namespaced_config_map("default", configmap("a", {"k": "v"}))
    response = await raw_get(kube, f"{CM}/a", headers={"Accept": METADATA})
    doc = await response.json()
    assert doc["kind"] == "PartialObjectMetadata"
    assert "data" not in doc
    assert doc["metadata"]["name"] == "a"


async def test_metadata_only_watch(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a", {"k": "v"}))
    response = await raw_get(kube, CM, headers={"Accept": METADATA}, watch="true")
    first = json.loads(await asyncio.wait_for(response.content.readline(), 10))
    await core.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"x": "y"}}})
    second = json.loads(await asyncio.wait_for(response.content.readline(), 10))
    response.close()
    assert first["type"] == "ADDED"
    assert first["object"]["kind"] == "PartialObjectMetadata"
    assert "data" not in first["object"]
    assert second["type"] == "MODIFIED"
    assert second["object"]["metadata"]["labels"] == {"x": "y"}


async def test_table_uses_crd_printer_columns(kube, widgets) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a", size=3))
    response = await raw_get(kube, f"/apis/{GROUP}/v1/namespaces/default/{PLURAL}", headers={"Accept": TABLE})
    doc = await response.json()
    assert doc["kind"] == "Table"
    assert [c["name"] for c in doc["columnDefinitions"]] == ["Name", "Size", "Color", "Age"]
    [row] = doc["rows"]
    assert row["cells"][:3] == ["a", 3, "blue"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert doc["metadata"]["resourceVersion"]


async def test_table_include_object(kube) -> None:
    await client.CoreV1Api(kube).create_namespaced_config_map("default", configmap("a", {"k": "v"}))
    response = await raw_get(kube, CM, headers={"Accept": TABLE}, includeObject="Object")
    doc = await response.json()
    assert doc["rows"][0]["object"]["data"] == {"k": "v"}
    none = await (await raw_get(kube, CM, headers={"Accept": TABLE}, includeObject="None")).json()
    assert "object" not in none["rows"][0]


async def test_table_for_a_single_object(kube) -> None:
    await client.CoreV1Api(kube).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="n")))
    doc = await (await raw_get(kube, "/api/v1/namespaces/n", headers={"Accept": TABLE})).json()
    assert doc["kind"] == "Table"
    assert doc["rows"][0]["cells"][:2] == ["n", "Active"]


async def test_table_watch_sends_column_definitions_first_only(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    response = await raw_get(kube, CM, headers={"Accept": TABLE}, watch="true")
    first = json.loads(await asyncio.wait_for(response.content.readline(), 10))
    await core.create_namespaced_config_map("default", configmap("b"))
    second = json.loads(await asyncio.wait_for(response.content.readline(), 10))
    response.close()
    assert first["object"]["kind"] == "Table"
    assert first["object"]["columnDefinitions"]
    assert second["object"]["columnDefinitions"] == []
    assert second["object"]["rows"][0]["cells"][0] == "b"


async def test_unsupported_as_is_406(kube) -> None:
    response = await raw_get(kube, CM, headers={"Accept": "application/json;as=Nope;g=meta.k8s.io;v=v1"})
    assert response.status == 406
