"""Server-side apply through HTTP: list merging by type (map by keys, set, atomic) and /status entries."""

from __future__ import annotations

import json
from typing import Any

from kubernetes_asyncio import client

from tests.apiserver.objects import GROUP, raw_request, widget_crd

APPLY = "application/apply-patch+yaml"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
GADGETS = f"/apis/{GROUP}/v1/namespaces/default/gadgets"


async def apply(kube: Any, path: str, body: Any, manager: str, **query: str) -> tuple[int, Any]:
    # JSON is YAML: what kubectl and client-go send as an apply body.
    return await raw_request(
        kube, "PATCH", path, json.dumps(body).encode(), APPLY, fieldManager=manager, **query
    )


def deployment(*containers: dict[str, Any], replicas: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": list(containers)}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec}


def containers(obj: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["image"] for c in obj["spec"]["template"]["spec"]["containers"]}


def owned(obj: dict[str, Any], manager: str, operation: str = "Apply") -> dict[str, Any]:
    for entry in obj["metadata"].get("managedFields") or []:
        if entry["manager"] == manager and entry["operation"] == operation:
            fields: dict[str, Any] = entry["fieldsV1"]
            return fields
    return {}


async def test_containers_merge_by_name_between_managers(kube) -> None:
    status, _ = await apply(kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:1"}), "alice")
    assert status == 201
    status, obj = await apply(
        kube, f"{DEPLOY}/web", deployment({"name": "sidecar", "image": "proxy:1"}), "bob"
    )
    assert status == 200
    assert containers(obj) == {"app": "app:1", "sidecar": "proxy:1"}
    template = owned(obj, "bob")["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert list(template) == ['k:{"name":"sidecar"}']
    # Defaults were applied to both items (imagePullPolicy etc.), and nobody's apply owns them.
    assert all(c["imagePullPolicy"] == "IfNotPresent" for c in obj["spec"]["template"]["spec"]["containers"])


async def test_changing_another_managers_container_conflicts_naming_the_item(kube) -> None:
    await apply(kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:1"}), "alice")
    status, doc = await apply(kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:2"}), "bob")
    assert status == 409
    [cause] = doc["details"]["causes"]
    assert cause["reason"] == "FieldManagerConflict"
    assert cause["field"] == '.spec.template.spec.containers[name="app"].image'
    assert cause["message"] == 'conflict with "alice"'
    assert 'Apply failed with 1 conflict: conflict with "alice"' in doc["message"]


async def test_dropping_a_container_removes_it_unless_another_manager_owns_it(kube) -> None:
    both = deployment({"name": "app", "image": "app:1"}, {"name": "extra", "image": "x:1"})
    await apply(kube, f"{DEPLOY}/web", both, "alice")
    # Bob shares `extra` by applying the same value: no conflict.
    status, _ = await apply(kube, f"{DEPLOY}/web", deployment({"name": "extra", "image": "x:1"}), "bob")
    assert status == 200
    _, obj = await apply(kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:1"}), "alice")
    assert containers(obj) == {"app": "app:1", "extra": "x:1"}
    # Once bob drops it as well, nobody owns it and it goes.
    _, obj = await apply(kube, f"{DEPLOY}/web", {**deployment(), "spec": {"replicas": 2}}, "bob")
    assert containers(obj) == {"app": "app:1"}
    assert obj["spec"]["replicas"] == 2


async def test_an_update_takes_ownership_from_the_applier(kube) -> None:
    await apply(kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:1"}, replicas=1), "alice")
    apps = client.AppsV1Api(kube)
    await apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 5}}, field_manager="hpa")
    status, doc = await apply(
        kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:1"}, replicas=1), "alice"
    )
    assert status == 409
    [cause] = doc["details"]["causes"]
    assert (cause["field"], cause["message"]) == (".spec.replicas", 'conflict with "hpa" using apps/v1')
    # Leaving replicas out hands it to the updater for good.
    _, obj = await apply(kube, f"{DEPLOY}/web", deployment({"name": "app", "image": "app:1"}), "alice")
    assert obj["spec"]["replicas"] == 5
    assert "f:replicas" in owned(obj, "hpa", "Update")["f:spec"]


def gadget_crd() -> Any:
    crd = widget_crd(plural="gadgets", kind="Gadget")
    props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    props["ports"] = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
        },
    }
    props["labels"] = {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
    return crd


def gadget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Gadget",
        "metadata": {"name": "g"},
        "spec": {"size": 1, **spec},
    }


async def test_custom_resource_lists_merge_by_their_schema(kube) -> None:
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(gadget_crd())
    await apply(
        kube, f"{GADGETS}/g", gadget(ports=[{"name": "http", "port": 80}], labels=["a"], tags=["x"]), "alice"
    )
    status, obj = await apply(
        kube, f"{GADGETS}/g", gadget(ports=[{"name": "grpc", "port": 90}], labels=["b"]), "bob"
    )
    assert status == 200
    # map: merged by key; set: union; atomic (tags, no list-type) untouched by bob.
    assert obj["spec"]["ports"] == [{"name": "http", "port": 80}, {"name": "grpc", "port": 90}]
    assert obj["spec"]["labels"] == ["a", "b"]
    assert obj["spec"]["tags"] == ["x"]
    assert 'v:"b"' in owned(obj, "bob")["f:spec"]["f:labels"]
    # An atomic list is owned whole: a different value from bob conflicts on the list itself.
    status, doc = await apply(kube, f"{GADGETS}/g", gadget(tags=["y"]), "bob")
    assert status == 409
    assert [c["field"] for c in doc["details"]["causes"]] == [".spec.tags"]


async def test_status_apply_records_a_status_entry(kube, widgets) -> None:
    path = f"/apis/{GROUP}/v1/namespaces/default/widgets/w"
    await apply(
        kube,
        path,
        {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}},
        "alice",
    )
    status_body = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "status": {"ready": True},
    }
    status, obj = await apply(kube, f"{path}/status", status_body, "controller")
    assert status == 200
    assert obj["status"] == {"ready": True}
    [entry] = [e for e in obj["metadata"]["managedFields"] if e["manager"] == "controller"]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:ready": {}}}
    # The main endpoint ignores status in an apply body, so nothing conflicts there.
    status, obj = await apply(
        kube, path, {**status_body, "spec": {"size": 1}, "status": {"ready": False}}, "alice"
    )
    assert status == 200
    assert obj["status"] == {"ready": True}
