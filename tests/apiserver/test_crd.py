"""CRDs: registration, conditions, discovery, schema defaulting/pruning/validation, removal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import GROUP, MERGE, PLURAL, raw_get, status_of, widget, widget_crd
from tests.apiserver.test_watch import collect


async def discovery(kube: Any, path: str) -> tuple[int, Any]:
    response = await raw_get(kube, path)
    body = await response.read()
    return response.status, json.loads(body) if body else None


async def test_created_crd_is_established_with_accepted_names(kube) -> None:
    ext = client.ApiextensionsV1Api(kube)
    await ext.create_custom_resource_definition(widget_crd())
    crd = await ext.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
    conditions = {c.type: (c.status, c.reason) for c in crd.status.conditions}
    assert conditions["Established"] == ("True", "InitialNamesAccepted")
    assert conditions["NamesAccepted"] == ("True", "NoConflicts")
    assert crd.status.accepted_names.plural == PLURAL
    assert crd.status.accepted_names.list_kind == "WidgetList"
    assert crd.status.stored_versions == ["v1"]


async def test_discovery_follows_crd_creation_and_deletion(kube) -> None:
    ext = client.ApiextensionsV1Api(kube)
    status, _ = await discovery(kube, f"/apis/{GROUP}/v1")
    assert status == 404
    await ext.create_custom_resource_definition(widget_crd())
    _, groups = await discovery(kube, "/apis")
    assert GROUP in [g["name"] for g in groups["groups"]]
    _, group = await discovery(kube, f"/apis/{GROUP}")
    assert group["preferredVersion"] == {"groupVersion": f"{GROUP}/v1", "version": "v1"}
    _, resources = await discovery(kube, f"/apis/{GROUP}/v1")
    by_name = {r["name"]: r for r in resources["resources"]}
    assert by_name[PLURAL]["kind"] == "Widget"
    assert by_name[PLURAL]["namespaced"] is True
    assert by_name[PLURAL]["singularName"] == "widget"
    assert by_name[PLURAL]["shortNames"] == ["wi"]
    assert "watch" in by_name[PLURAL]["verbs"]
    assert sorted(by_name[f"{PLURAL}/status"]["verbs"]) == ["get", "patch", "update"]

    await ext.delete_custom_resource_definition(f"{PLURAL}.{GROUP}")
    status, _ = await discovery(kube, f"/apis/{GROUP}/v1")
    assert status == 404
    _, groups = await discovery(kube, "/apis")
    assert GROUP not in [g["name"] for g in groups["groups"]]


async def test_deleting_a_crd_deletes_its_objects(kube, widgets) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    listed = await widgets.list_namespaced_custom_object(GROUP, "v1", "default", PLURAL)
    await client.ApiextensionsV1Api(kube).delete_custom_resource_definition(f"{PLURAL}.{GROUP}")
    # Recreating the definition shows no leftovers, and a watch from before saw the object go.
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    again = await widgets.list_namespaced_custom_object(GROUP, "v1", "default", PLURAL)
    assert again["items"] == []
    events = await collect(
        widgets.list_namespaced_custom_object,
        GROUP,
        "v1",
        "default",
        PLURAL,
        count=1,
        resource_version=listed["metadata"]["resourceVersion"],
    )
    assert events[0][0] == "DELETED"


async def test_unknown_resource_after_crd_deletion_is_404(kube, widgets) -> None:
    await client.ApiextensionsV1Api(kube).delete_custom_resource_definition(f"{PLURAL}.{GROUP}")
    with pytest.raises(ApiException) as err:
        await widgets.list_namespaced_custom_object(GROUP, "v1", "default", PLURAL)
    assert err.value.status == 404


async def test_schema_defaults_are_applied(widgets) -> None:
    created = await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    assert created["spec"]["color"] == "blue"


async def test_unknown_fields_are_pruned_but_preserved_where_marked(widgets) -> None:
    body = widget("a", extra="dropped", free={"anything": {"goes": 1}})
    created = await widgets.create_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, body, field_validation="Ignore"
    )
    assert "extra" not in created["spec"]
    assert created["spec"]["free"] == {"anything": {"goes": 1}}


async def test_strict_field_validation_rejects_unknown_fields(widgets, apiserver) -> None:
    before = apiserver.store.revision
    with pytest.raises(ApiException) as err:
        await widgets.create_namespaced_custom_object(
            GROUP, "v1", "default", PLURAL, widget("a", extra=1), field_validation="Strict"
        )
    assert err.value.status == 400
    assert 'unknown field "spec.extra"' in status_of(err.value)["message"]
    assert apiserver.store.revision == before


async def test_warn_field_validation_answers_with_a_warning_header(kube, widgets) -> None:
    response = await kube.call_api(
        f"/apis/{GROUP}/v1/namespaces/default/{PLURAL}",
        "POST",
        query_params=[("fieldValidation", "Warn")],
        header_params={"Content-Type": "application/json"},
        body=widget("a", extra=1),
        _preload_content=False,
    )
    assert response.status == 201
    assert 'unknown field \\"spec.extra\\"' in response.headers["Warning"]


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        ({"size": "big"}, "spec.size", "FieldValueTypeInvalid"),
        ({"color": "red"}, "spec.size", "FieldValueRequired"),
        ({"size": 1, "tags": "x"}, "spec.tags", "FieldValueTypeInvalid"),
    ],
    ids=["wrong-type", "required-missing", "array-expected"],
)
async def test_schema_violations_are_422_invalid(widgets, apiserver, spec, field, reason) -> None:
    before = apiserver.store.revision
    body = {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "a"}, "spec": spec}
    with pytest.raises(ApiException) as err:
        await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, body)
    assert err.value.status == 422
    status = status_of(err.value)
    assert status["reason"] == "Invalid"
    assert (field, reason) in [(c["field"], c["reason"]) for c in status["details"]["causes"]]
    assert apiserver.store.revision == before


async def test_update_of_custom_resource_without_resource_version_is_422(widgets) -> None:
    created = await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    del created["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as err:
        await widgets.replace_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "a", created)
    assert err.value.status == 422


async def test_crd_name_must_be_plural_dot_group(kube) -> None:
    bad = widget_crd()
    bad["metadata"]["name"] = "wrong.example.com"
    with pytest.raises(ApiException) as err:
        await client.ApiextensionsV1Api(kube).create_custom_resource_definition(bad)
    assert err.value.status == 422
    assert "metadata.name" in [c["field"] for c in status_of(err.value)["details"]["causes"]]


async def test_conflicting_names_are_not_accepted(kube) -> None:
    ext = client.ApiextensionsV1Api(kube)
    await ext.create_custom_resource_definition(widget_crd())
    second = await ext.create_custom_resource_definition(widget_crd(plural="gadgets", kind="Widget"))
    conditions = {c.type: c.status for c in second.status.conditions}
    assert conditions == {"NamesAccepted": "False", "Established": "False"}


async def test_cluster_scoped_custom_resources(kube) -> None:
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(
        widget_crd(plural="globals", kind="Global", scope="Cluster")
    )
    objects = client.CustomObjectsApi(kube)
    body = {"apiVersion": f"{GROUP}/v1", "kind": "Global", "metadata": {"name": "g"}, "spec": {"size": 1}}
    created = await objects.create_cluster_custom_object(GROUP, "v1", "globals", body)
    assert "namespace" not in created["metadata"]
    assert (await objects.get_cluster_custom_object(GROUP, "v1", "globals", "g"))["spec"]["size"] == 1


async def test_non_structural_schema_is_422(kube) -> None:
    bad = widget_crd()
    spec_schema = bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    del spec_schema["type"]
    with pytest.raises(ApiException) as err:
        await client.ApiextensionsV1Api(kube).create_custom_resource_definition(bad)
    assert err.value.status == 422
    fields = [c["field"] for c in status_of(err.value)["details"]["causes"]]
    assert any(f.startswith("spec.versions[0].schema.openAPIV3Schema") for f in fields)


async def test_selectable_fields_of_a_crd_version(kube) -> None:
    crd = widget_crd()
    crd["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".spec.color"}]
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(crd)
    objects = client.CustomObjectsApi(kube)
    await objects.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a", color="red"))
    await objects.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("b"))
    listed = await objects.list_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, field_selector="spec.color=red"
    )
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]


async def test_tightened_schema_ratchets_unchanged_values(kube, widgets) -> None:
    await widgets.create_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, widget("w", size=1, color="red")
    )
    ext = client.ApiextensionsV1Api(kube)
    crd = await ext.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
    props = crd.spec.versions[0].schema.open_apiv3_schema.properties["spec"].properties
    props["color"].enum = ["blue", "green"]
    await ext.replace_custom_resource_definition(f"{PLURAL}.{GROUP}", crd)
    # Changing another field is fine although color=red no longer validates.
    patched = await widgets.patch_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, "w", {"spec": {"size": 2}}, _content_type=MERGE
    )
    assert patched["spec"] == {"size": 2, "color": "red"}
    with pytest.raises(ApiException) as err:
        await widgets.patch_namespaced_custom_object(
            GROUP, "v1", "default", PLURAL, "w", {"spec": {"color": "pink"}}, _content_type=MERGE
        )
    assert err.value.status == 422
