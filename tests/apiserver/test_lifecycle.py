"""Generation, status subresource isolation, finalizers and deletionTimestamp, delete preconditions."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import GROUP, MERGE, PLURAL, configmap, status_of, widget, widget_crd
from tests.apiserver.test_watch import collect
from tests.eventually import eventually


async def patch(widgets, name: str, body, subresource: str = ""):
    if subresource == "status":
        return await widgets.patch_namespaced_custom_object_status(
            GROUP, "v1", "default", PLURAL, name, body, _content_type=MERGE
        )
    return await widgets.patch_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, name, body, _content_type=MERGE
    )


async def test_generation_bumps_only_on_spec_changes(widgets) -> None:
    created = await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("a"))
    assert created["metadata"]["generation"] == 1
    labelled = await patch(widgets, "a", {"metadata": {"labels": {"x": "y"}, "annotations": {"a": "b"}}})
    assert labelled["metadata"]["generation"] == 1
    status = await patch(widgets, "a", {"status": {"ready": True}}, "status")
    assert status["metadata"]["generation"] == 1
    changed = await patch(widgets, "a", {"spec": {"size": 2}})
    assert changed["metadata"]["generation"] == 2
    same = await patch(widgets, "a", {"spec": {"size": 2}})
    assert same["metadata"]["generation"] == 2
    assert same["metadata"]["resourceVersion"] == changed["metadata"]["resourceVersion"]


async def test_main_endpoint_ignores_status_and_status_endpoint_ignores_the_rest(widgets) -> None:
    created = await widgets.create_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, {**widget("a"), "status": {"ready": True}}
    )
    assert "status" not in created
    main = await patch(widgets, "a", {"spec": {"size": 5}, "status": {"ready": True}})
    assert "status" not in main
    assert main["spec"]["size"] == 5
    status = await patch(
        widgets,
        "a",
        {"spec": {"size": 9}, "metadata": {"labels": {"l": "v"}}, "status": {"ready": True}},
        "status",
    )
    assert status["status"] == {"ready": True}
    assert status["spec"]["size"] == 5
    assert "labels" not in status["metadata"]
    replaced = await widgets.replace_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, "a", {**status, "status": {"ready": False}}
    )
    assert replaced["status"] == {"ready": True}


async def test_status_is_part_of_the_object_without_a_status_subresource(kube) -> None:
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(
        widget_crd(status_subresource=False)
    )
    objects = client.CustomObjectsApi(kube)
    created = await objects.create_namespaced_custom_object(
        GROUP, "v1", "default", PLURAL, {**widget("a"), "status": {"ready": True}}
    )
    assert created["status"] == {"ready": True}
    with pytest.raises(ApiException) as err:
        await objects.get_namespaced_custom_object_status(GROUP, "v1", "default", PLURAL, "a")
    assert err.value.status == 404


async def test_finalizers_hold_deletion_until_removed(widgets) -> None:
    body = widget("a")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    created = await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, body)
    deleting = await widgets.delete_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "a")
    assert deleting["metadata"]["deletionTimestamp"]
    assert deleting["metadata"]["deletionGracePeriodSeconds"] == 0
    assert deleting["metadata"]["generation"] == created["metadata"]["generation"] + 1
    still = await widgets.get_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "a")
    assert still["metadata"]["deletionTimestamp"] == deleting["metadata"]["deletionTimestamp"]
    again = await widgets.delete_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "a")
    assert again["metadata"]["resourceVersion"] == deleting["metadata"]["resourceVersion"]

    await patch(widgets, "a", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        await widgets.get_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "a")
    assert err.value.status == 404
    events = await collect(
        widgets.list_namespaced_custom_object,
        GROUP,
        "v1",
        "default",
        PLURAL,
        count=2,
        resource_version=created["metadata"]["resourceVersion"],
    )
    # Removing the last finalizer deletes at once (kube aborts that update and deletes): no MODIFIED.
    assert [t for t, _ in events] == ["MODIFIED", "DELETED"]


async def test_adding_a_finalizer_to_a_deleting_object_is_422(widgets) -> None:
    body = widget("a")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, body)
    await widgets.delete_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "a")
    with pytest.raises(ApiException) as err:
        await patch(widgets, "a", {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}})
    assert err.value.status == 422
    cause = status_of(err.value)["details"]["causes"][0]
    assert cause["field"] == "metadata.finalizers"
    assert "no new finalizers can be added if the object is being deleted" in cause["message"]


async def test_deletion_timestamp_cannot_be_set_or_cleared_by_update(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a", finalizers=["x/y"]))
    deleting = await core.delete_namespaced_config_map("a", "default")
    assert deleting.details is None  # the object comes back while finalizers hold it
    cm = await core.read_namespaced_config_map("a", "default")
    stamp = cm.metadata.deletion_timestamp
    cm.metadata.deletion_timestamp = None
    updated = await core.replace_namespaced_config_map("a", "default", cm)
    assert updated.metadata.deletion_timestamp == stamp


async def test_immediate_delete_of_a_builtin_answers_success_status(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a"))
    status = await core.delete_namespaced_config_map("a", "default")
    assert status.status == "Success"
    assert status.details.name == "a"
    assert status.details.uid == created.metadata.uid


def _snake(field: str) -> str:
    return "resource_version" if field == "resourceVersion" else field


@pytest.mark.parametrize("field", ["uid", "resourceVersion"])
async def test_delete_preconditions_mismatch_is_409(kube, field) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    with pytest.raises(ApiException) as err:
        await core.delete_namespaced_config_map(
            "a",
            "default",
            body=client.V1DeleteOptions(preconditions=client.V1Preconditions(**{_snake(field): "nope"})),
        )
    assert err.value.status == 409
    assert "Precondition failed" in status_of(err.value)["message"]
    await core.read_namespaced_config_map("a", "default")


async def test_namespace_deletion_terminates_empties_and_then_removes_it(kube) -> None:
    core = client.CoreV1Api(kube)
    ns = await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="doomed")))
    assert ns.status.phase == "Active"
    assert ns.spec.finalizers == ["kubernetes"]
    await core.create_namespaced_config_map("doomed", configmap("held", finalizers=["example.com/hold"]))
    await core.create_namespaced_config_map("doomed", configmap("free"))
    await core.delete_namespace("doomed")
    deleting = await core.read_namespace("doomed")  # held by its content's finalizer
    assert deleting.status.phase == "Terminating"
    assert deleting.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as err:
        await core.create_namespaced_config_map("doomed", configmap("late"))
    assert err.value.status == 403
    assert status_of(err.value)["details"]["causes"][0]["reason"] == "NamespaceTerminating"

    async def emptied_but_held():
        names = [i.metadata.name for i in (await core.list_namespaced_config_map("doomed")).items]
        held = await core.read_namespaced_config_map("held", "doomed")
        return names == ["held"] and held.metadata.deletion_timestamp is not None

    await eventually(emptied_but_held, timeout=10)
    assert (await core.read_namespace("doomed")).status.phase == "Terminating"
    untyped: Any = core
    await untyped.patch_namespaced_config_map(
        "held", "doomed", {"metadata": {"finalizers": None}}, _content_type=MERGE
    )

    async def namespace_gone():
        try:
            await core.read_namespace("doomed")
        except ApiException as gone:
            return gone.status == 404
        return False

    await eventually(namespace_gone, timeout=10)


async def test_scale_subresource_of_a_deployment(kube) -> None:
    apps = client.AppsV1Api(kube)
    deployment: Any = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    created = await apps.create_namespaced_deployment("default", deployment)
    scale = await apps.read_namespaced_deployment_scale("d", "default")
    assert (scale.spec.replicas, scale.status.selector) == (1, "app=d")
    untyped: Any = apps
    await untyped.patch_namespaced_deployment_scale(
        "d", "default", {"spec": {"replicas": 3}}, _content_type=MERGE
    )
    scaled = await apps.read_namespaced_deployment("d", "default")
    assert scaled.spec.replicas == 3
    assert scaled.metadata.generation == created.metadata.generation + 1


async def test_scale_subresource_of_a_custom_resource(kube) -> None:
    crd = widget_crd()
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "replicas"
    ] = {"type": "integer"}
    crd["spec"]["versions"][0]["subresources"]["scale"] = {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
    }
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(crd)
    objects: Any = client.CustomObjectsApi(kube)
    await objects.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("w", replicas=2))
    scale = await objects.get_namespaced_custom_object_scale(GROUP, "v1", "default", PLURAL, "w")
    assert scale["spec"]["replicas"] == 2
    await objects.patch_namespaced_custom_object_scale(
        GROUP, "v1", "default", PLURAL, "w", {"spec": {"replicas": 5}}, _content_type=MERGE
    )
    w = await objects.get_namespaced_custom_object(GROUP, "v1", "default", PLURAL, "w")
    assert w["spec"]["replicas"] == 5


async def test_only_kinds_with_a_spec_generation_carry_one(kube) -> None:
    core = client.CoreV1Api(kube)
    cm = await core.create_namespaced_config_map(
        "default", configmap("plain", {"k": "1"}, finalizers=["x.io/f"])
    )
    changed = await core.patch_namespaced_config_map("plain", "default", {"data": {"k": "2"}})
    await core.delete_namespaced_config_map("plain", "default")
    deleting = await core.read_namespaced_config_map("plain", "default")
    assert [cm.metadata.generation, changed.metadata.generation, deleting.metadata.generation] == [None] * 3
    ns = await core.read_namespace("default")
    assert ns.metadata.generation is None
    apps = client.AppsV1Api(kube)
    body: Any = {
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    created = await apps.create_namespaced_deployment("default", body)
    scaled = await apps.patch_namespaced_deployment("d", "default", {"spec": {"replicas": 3}})
    assert (created.metadata.generation, scaled.metadata.generation) == (1, 2)
