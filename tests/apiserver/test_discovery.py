"""Discovery of the built-in kinds: /version, /api, /api/v1, /apis, group documents, subresources."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client

from tests.apiserver.objects import raw_get


async def get_json(kube: Any, path: str, accept: str = "application/json") -> Any:
    response = await raw_get(kube, path, headers={"Accept": accept})
    assert response.status == 200, path
    return await response.json()


async def test_version(kube) -> None:
    info = await client.VersionApi(kube).get_code()
    assert info.major == "1"
    assert info.git_version.startswith("v1.")


async def test_core_group(kube) -> None:
    versions = await get_json(kube, "/api")
    assert versions["kind"] == "APIVersions"
    assert versions["versions"] == ["v1"]
    resources = await client.CoreV1Api(kube).get_api_resources()
    by_name = {r.name: r for r in resources.resources}
    assert by_name["configmaps"].short_names == ["cm"]
    assert by_name["namespaces"].namespaced is False
    assert "pods/status" in by_name
    assert "pods/log" in by_name
    assert "namespaces/finalize" in by_name


@pytest.mark.parametrize(
    ("group", "version", "resource", "kind"),
    [
        ("apps", "v1", "deployments", "Deployment"),
        ("apps", "v1", "statefulsets", "StatefulSet"),
        ("apps", "v1", "daemonsets", "DaemonSet"),
        ("coordination.k8s.io", "v1", "leases", "Lease"),
        ("events.k8s.io", "v1", "events", "Event"),
        ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole"),
        ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition"),
    ],
)
async def test_builtin_groups(kube, group, version, resource, kind) -> None:
    groups = await client.ApisApi(kube).get_api_versions()
    assert group in [g.name for g in groups.groups]
    doc = await get_json(kube, f"/apis/{group}/{version}")
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name[resource]["kind"] == kind
    assert doc["groupVersion"] == f"{group}/{version}"


async def test_status_subresource_entries(kube) -> None:
    doc = await get_json(kube, "/apis/apps/v1")
    names = [r["name"] for r in doc["resources"]]
    assert "deployments/status" in names
    assert "deployments/scale" in names


async def test_aggregated_discovery_accept_gets_the_legacy_document(kube) -> None:
    accept = (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    )
    doc = await get_json(kube, "/apis", accept)
    assert doc["kind"] == "APIGroupList"


async def test_health_endpoints(kube) -> None:
    for path in ("/healthz", "/readyz", "/livez"):
        response = await raw_get(kube, path)
        assert response.status == 200
        assert await response.text() == "ok"
