"""OpenAPI documents: what kubectl 1.37 reads (v3 index, group docs, GVK extensions, fieldValidation)."""

from __future__ import annotations

from typing import Any

import pytest

from eno.apiserver import openapi
from eno.apiserver.registry import BUILTINS, ResourceInfo

WIDGETS = ResourceInfo(
    group="example.com",
    version="v1",
    resource="widgets",
    kind="Widget",
    namespaced=True,
    builtin=False,
    subresources=frozenset({"status"}),
    schema={
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "size": {"type": "integer", "nullable": True},
                    "port": {
                        "x-kubernetes-int-or-string": True,
                        "anyOf": [{"type": "integer"}, {"type": "string"}],
                    },
                },
            }
        },
    },
)
GADGETS = ResourceInfo(
    group="example.com", version="v1", resource="gadgets", kind="Gadget", namespaced=False, builtin=False
)
RESOURCES = [*BUILTINS, WIDGETS, GADGETS]


def by_gvk(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    schema: dict[str, Any]
    [schema] = [
        s
        for s in doc["components"]["schemas"].values()
        if any(g["kind"] == kind for g in s.get("x-kubernetes-group-version-kind", []))
    ]
    return schema


def test_v3_index_lists_every_group_version_with_hash() -> None:
    index = openapi.openapi_v3_paths(RESOURCES)
    assert set(index["paths"]) == {
        "api/v1",
        "apis/apps/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/coordination.k8s.io/v1",
        "apis/events.k8s.io/v1",
        "apis/policy/v1",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/example.com/v1",
    }
    url = index["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/example.com/v1?hash=")
    doc = openapi.openapi_v3_group(RESOURCES, "example.com", "v1")
    assert doc is not None
    assert url.endswith(openapi.document_hash(doc))


def test_hash_changes_with_the_schema() -> None:
    other = ResourceInfo(
        group="example.com", version="v1", resource="widgets", kind="Widget", namespaced=True, builtin=False
    )
    first = openapi.openapi_v3_paths([WIDGETS])["paths"]["apis/example.com/v1"]
    second = openapi.openapi_v3_paths([other])["paths"]["apis/example.com/v1"]
    assert first != second


def test_unknown_group_version_is_none() -> None:
    assert openapi.openapi_v3_group(RESOURCES, "nope.io", "v1") is None
    assert openapi.openapi_document(RESOURCES, ["v3", "apis", "nope.io", "v1"]) is None
    assert openapi.openapi_document(RESOURCES, ["v4"]) is None


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        pytest.param(["v2"], "swagger", id="v2"),
        pytest.param(["v3"], "paths", id="v3-index"),
        pytest.param(["v3", "api", "v1"], "openapi", id="core"),
        pytest.param(["v3", "apis", "apps", "v1"], "openapi", id="group"),
    ],
)
def test_openapi_document_routes(parts: list[str], key: str) -> None:
    doc = openapi.openapi_document(RESOURCES, parts)
    assert doc is not None
    assert key in doc


def test_custom_resource_schema_as_kube_publishes_it() -> None:
    doc = openapi.openapi_v3_group(RESOURCES, "example.com", "v1")
    assert doc is not None
    widget = doc["components"]["schemas"]["com.example.v1.Widget"]
    assert widget["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "kind": "Widget", "version": "v1"}
    ]
    assert widget["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
    assert widget["properties"]["spec"]["properties"]["size"] == {"type": "integer", "nullable": True}
    assert {"apiVersion", "kind"} <= set(widget["properties"])
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in doc["components"]["schemas"]
    listing = doc["components"]["schemas"]["com.example.v1.WidgetList"]
    assert listing["properties"]["items"]["items"] == {"$ref": "#/components/schemas/com.example.v1.Widget"}
    assert WIDGETS.schema is not None and "apiVersion" not in WIDGETS.schema.get("properties", {})


def test_paths_for_namespaced_and_cluster_resources() -> None:
    doc = openapi.openapi_v3_group(RESOURCES, "example.com", "v1")
    assert doc is not None
    assert set(doc["paths"]) == {
        "/apis/example.com/v1/namespaces/{namespace}/widgets",
        "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}",
        "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status",
        "/apis/example.com/v1/widgets",
        "/apis/example.com/v1/gadgets",
        "/apis/example.com/v1/gadgets/{name}",
    }
    item = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]
    assert set(item) == {"get", "put", "patch", "delete", "parameters"}
    assert [p["name"] for p in item["parameters"]] == ["namespace", "name", "pretty"]


@pytest.mark.parametrize(
    ("group", "path", "kind"),
    [
        pytest.param(
            "example.com", "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}", "Widget", id="cr"
        ),
        pytest.param("example.com", "/apis/example.com/v1/gadgets/{name}", "Gadget", id="cluster-cr"),
        pytest.param("", "/api/v1/namespaces/{namespace}/configmaps/{name}", "ConfigMap", id="core"),
        pytest.param(
            "apps", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "Deployment", id="apps"
        ),
        pytest.param("", "/api/v1/namespaces/{name}", "Namespace", id="namespace"),
    ],
)
def test_patch_supports_field_validation(group: str, path: str, kind: str) -> None:
    """kubectl's QueryParamVerifierV3: a PATCH op with the GVK and a fieldValidation parameter."""
    doc = openapi.openapi_v3_group(RESOURCES, group, "v1")
    assert doc is not None
    patch = doc["paths"][path]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": group, "kind": kind, "version": "v1"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert patch["x-kubernetes-action"] == "patch"


def test_builtin_patch_does_not_offer_strategic_merge_to_kubectl() -> None:
    doc = openapi.openapi_v3_group(RESOURCES, "apps", "v1")
    assert doc is not None
    content = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]["requestBody"]
    assert "application/strategic-merge-patch+json" not in content["content"]


def test_builtin_schemas_explainable() -> None:
    doc = openapi.openapi_v3_group(RESOURCES, "apps", "v1")
    assert doc is not None
    deployment = by_gvk(doc, "Deployment")
    spec_ref = deployment["properties"]["spec"]["allOf"][0]["$ref"]
    spec = doc["components"]["schemas"][spec_ref.rsplit("/", 1)[1]]
    assert "selector" in spec["required"]
    assert spec["properties"]["replicas"]["type"] == "integer"
    assert deployment["properties"]["spec"]["description"]
    assert deployment["description"] == "Deployment enables declarative updates for Pods and ReplicaSets."
    # every $ref resolves
    text = str(doc)
    refs = {part.split("'")[0] for part in text.split("#/components/schemas/")[1:]}
    assert refs <= set(doc["components"]["schemas"])


def test_core_events_and_events_group_are_distinct_kinds() -> None:
    core = openapi.openapi_v3_group(RESOURCES, "", "v1")
    events = openapi.openapi_v3_group(RESOURCES, "events.k8s.io", "v1")
    assert core is not None and events is not None
    assert "involvedObject" in by_gvk(core, "Event")["properties"]
    assert "regarding" in by_gvk(events, "Event")["properties"]


def test_operation_ids_follow_kube() -> None:
    doc = openapi.openapi_v3_group(RESOURCES, "", "v1")
    assert doc is not None
    assert doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]["operationId"] == (
        "patchCoreV1NamespacedPod"
    )
    assert doc["paths"]["/api/v1/pods"]["get"]["operationId"] == "listCoreV1PodForAllNamespaces"


def test_v2_document() -> None:
    doc = openapi.openapi_v2(RESOURCES)
    assert doc["swagger"] == "2.0"
    widget = doc["definitions"]["com.example.v1.Widget"]
    assert (
        widget["properties"]["metadata"]["$ref"]
        == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    )
    assert widget["properties"]["spec"]["properties"]["size"] == {"type": "integer"}
    assert "anyOf" not in widget["properties"]["spec"]["properties"]["port"]
    patch = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert {p["name"] for p in patch["parameters"]} >= {"body", "fieldValidation", "force"}
    assert "#/components/" not in str(doc)


def test_v2_protobuf_document_is_a_minimal_gnostic_document() -> None:
    from eno.apiserver.protobuf import _wire_fields

    fields = _wire_fields(openapi.openapi_v2_protobuf())
    assert [(n, v) for n, _w, v in fields if n in (1, 8)] == [(1, b"2.0"), (8, b"")]
    [info] = [v for n, _w, v in fields if n == 2]
    assert isinstance(info, bytes)
    assert [(n, v) for n, _w, v in _wire_fields(info)] == [
        (1, b"Kubernetes"),
        (2, openapi.KUBE_VERSION.encode()),
    ]
