"""Namespace lifecycle through HTTP: spec.finalizers, /finalize, a second DELETE, conditions, 403."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import configmap, raw_request, status_of
from tests.eventually import eventually


async def gone(core: client.CoreV1Api, name: str):  # untyped: eventually() takes its coroutine
    try:
        await core.read_namespace(name)
    except ApiException as err:
        return err.status == 404
    return False


def namespace(name: str, finalizers: list[str] | None = None) -> Any:
    spec = client.V1NamespaceSpec(finalizers=finalizers) if finalizers else None
    return client.V1Namespace(metadata=client.V1ObjectMeta(name=name), spec=spec)


async def test_an_empty_namespace_goes_once_the_controller_finalizes_it(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace(namespace("empty"))
    status, deleting = await raw_request(kube, "DELETE", "/api/v1/namespaces/empty")
    # DELETE answers with the namespace, now Terminating (the controller finishes the job).
    assert status == 200
    assert (deleting["kind"], deleting["status"]["phase"]) == ("Namespace", "Terminating")
    await eventually(lambda: gone(core, "empty"))


async def test_a_spec_finalizer_keeps_it_until_finalize_removes_it(kube) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespace(namespace("kept", ["example.com/cleanup"]))
    assert created.spec.finalizers == ["example.com/cleanup", "kubernetes"]
    await core.create_namespaced_config_map("kept", configmap("c"))
    await core.delete_namespace("kept")

    async def only_ours_left():
        ns = await core.read_namespace("kept")
        items = (await core.list_namespaced_config_map("kept")).items
        return ns.spec.finalizers == ["example.com/cleanup"] and not items

    await eventually(only_ours_left)
    ns = await core.read_namespace("kept")
    conditions = {c.type: (c.status, c.reason) for c in ns.status.conditions}
    assert conditions["NamespaceContentRemaining"] == ("False", "ContentRemoved")
    assert conditions["NamespaceFinalizersRemaining"] == ("False", "ContentHasNoFinalizers")

    # A second DELETE while spec.finalizers remain is a Conflict.
    with pytest.raises(ApiException) as err:
        await core.delete_namespace("kept")
    assert err.value.status == 409
    assert (
        "The system is ensuring all content is removed from this namespace" in status_of(err.value)["message"]
    )

    # The main endpoint cannot drop spec.finalizers; /finalize can.
    ns.spec.finalizers = []
    updated = await core.replace_namespace("kept", ns)
    assert updated.spec.finalizers == ["example.com/cleanup"]
    updated.spec.finalizers = []
    await core.replace_namespace_finalize("kept", updated)
    await eventually(lambda: gone(core, "kept"))


async def test_conditions_name_remaining_content_and_its_finalizers(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace(namespace("busy"))
    await core.create_namespaced_config_map("busy", configmap("held", finalizers=["example.com/hold"]))
    await core.delete_namespace("busy")

    async def reported():
        ns = await core.read_namespace("busy")
        got = {c.type: c for c in ns.status.conditions or []}
        assert got["NamespaceContentRemaining"].status == "True"
        return got

    got: dict[str, Any] = await eventually(reported)
    assert got["NamespaceContentRemaining"].message == (
        "Some resources are remaining: configmaps. has 1 resource instances"
    )
    assert got["NamespaceFinalizersRemaining"].message == (
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    )
    # Creating anything in it is refused: 403 with cause NamespaceTerminating.
    status, body = await raw_request(
        kube, "POST", "/api/v1/namespaces/busy/secrets", b'{"metadata":{"name":"s"}}'
    )
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert body["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    assert "because it is being terminated" in body["message"]


async def test_deleting_a_namespace_takes_custom_resources_with_it(kube, widgets) -> None:
    from tests.apiserver.objects import GROUP, PLURAL, widget

    core = client.CoreV1Api(kube)
    await core.create_namespace(namespace("crs"))
    await widgets.create_namespaced_custom_object(GROUP, "v1", "crs", PLURAL, widget("w", size=1))
    await core.delete_namespace("crs")
    await eventually(lambda: gone(core, "crs"))
    listed = await widgets.list_cluster_custom_object(GROUP, "v1", PLURAL)
    assert listed["items"] == []
