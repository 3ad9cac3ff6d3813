"""Namespace lifecycle: write rules as pure functions, and the controller against a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from eno.apiserver import controllerwrites, errors
from eno.apiserver import namespacelifecycle as nsl
from eno.apiserver.server import ApiServer
from eno.apiserver.store import Key
from eno.apiserver.strategy import Request, prepare_create
from tests.eventually import eventually

Obj = dict[str, Any]
NOW = "2024-01-01T00:00:00Z"


def namespace(name: str = "ns", **extra: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, **extra}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [({}, ["kubernetes"]), ({"finalizers": ["example.com/x"]}, ["example.com/x", "kubernetes"])],
    ids=["default", "keeps-others"],
)
def test_create_always_adds_the_kubernetes_finalizer(spec: Obj, expected: list[str]) -> None:
    ns = nsl.prepare_create(namespace(spec=spec))
    assert ns["spec"]["finalizers"] == expected
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "ns"}


OLD = namespace(spec={"finalizers": ["kubernetes"]}, status={"phase": "Active"})


@pytest.mark.parametrize(
    ("subresource", "new", "expected_spec", "expected_status"),
    [
        (
            "",
            namespace(spec={"finalizers": []}, status={"phase": "X"}),
            {"finalizers": ["kubernetes"]},
            "Active",
        ),
        (
            "status",
            namespace(spec={"finalizers": []}, status={"phase": "X"}),
            {"finalizers": ["kubernetes"]},
            "X",
        ),
        ("finalize", namespace(spec={"finalizers": []}, status={"phase": "X"}), {}, "Active"),
        (
            "finalize",
            namespace(spec={"finalizers": ["a", "kubernetes"]}),
            {"finalizers": ["a", "kubernetes"]},
            "Active",
        ),
    ],
    ids=["main-keeps-finalizers-and-status", "status-keeps-spec", "finalize-clears", "finalize-sets"],
)
def test_update_endpoints(subresource: str, new: Obj, expected_spec: Obj, expected_status: str) -> None:
    import copy

    result = nsl.prepare_update(copy.deepcopy(OLD), copy.deepcopy(new), subresource)
    assert result["spec"] == expected_spec
    assert result["status"]["phase"] == expected_status


def test_first_delete_marks_terminating_and_keeps_it() -> None:
    ns = nsl.delete(namespace(spec={"finalizers": ["kubernetes"]}, status={"phase": "Active"}), NOW, {})
    assert ns is not None
    assert ns["metadata"]["deletionTimestamp"] == NOW
    assert ns["status"]["phase"] == "Terminating"
    assert "finalizers" not in ns["metadata"]


def test_delete_with_orphan_policy_adds_the_gc_finalizer() -> None:
    ns = nsl.delete(namespace(spec={"finalizers": ["kubernetes"]}), NOW, {"propagationPolicy": "Orphan"})
    assert ns is not None and ns["metadata"]["finalizers"] == ["orphan"]


def test_second_delete_while_finalizing_is_a_conflict() -> None:
    ns = nsl.delete(namespace(spec={"finalizers": ["kubernetes"]}), NOW, {})
    assert ns is not None
    with pytest.raises(errors.ApiError) as caught:
        nsl.delete(ns, NOW, {})
    assert caught.value.code == 409
    assert "The system is ensuring all content is removed from this namespace" in caught.value.message


def test_delete_of_a_finalized_namespace_removes_it() -> None:
    ns = namespace()
    ns["metadata"]["deletionTimestamp"] = NOW
    assert nsl.delete(ns, NOW, {}) is None


def test_conditions_report_remaining_content_and_finalizers() -> None:
    content: list[tuple[Key, Obj]] = [
        (Key("", "configmaps", "ns", "a"), {"metadata": {"finalizers": ["example.com/hold"]}}),
        (Key("", "configmaps", "ns", "b"), {"metadata": {}}),
        (Key("example.com", "widgets", "ns", "w"), {"metadata": {"finalizers": ["example.com/hold"]}}),
    ]
    got = {c["type"]: c for c in nsl.conditions(content, [], NOW)}
    assert got["NamespaceContentRemaining"]["status"] == "True"
    assert got["NamespaceContentRemaining"]["message"] == (
        "Some resources are remaining: configmaps. has 2 resource instances, "
        "widgets.example.com has 1 resource instances"
    )
    assert got["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/hold in 2 resource instances"
    )
    assert got["NamespaceDeletionContentFailure"]["status"] == "False"
    later = {c["type"]: c for c in nsl.conditions([], list(got.values()), "2024-01-02T00:00:00Z")}
    assert later["NamespaceContentRemaining"]["reason"] == "ContentRemoved"
    assert later["NamespaceContentRemaining"]["lastTransitionTime"] == "2024-01-02T00:00:00Z"
    # An unchanged condition keeps its transition time.
    assert later["NamespaceDeletionContentFailure"]["lastTransitionTime"] == NOW


@pytest.fixture
async def server() -> AsyncIterator[tuple[ApiServer, nsl.NamespaceController]]:
    async with ApiServer(controllers=False) as srv:
        controller = nsl.NamespaceController(srv.context, lambda: NOW)
        controller.start()
        try:
            yield srv, controller
        finally:
            await controller.stop()


async def put(srv: ApiServer, key: Key, body: Obj) -> Obj:
    info = srv.registry.storage_info(key.group, key.resource)
    assert info is not None
    obj = prepare_create(Request(info=info, namespace=key.namespace), body)
    if key.resource == "namespaces":
        obj = nsl.prepare_create(obj)
    async with srv.store.transaction() as txn:
        committed = txn.put(key, obj)
    assert committed.object is not None
    return committed.object


async def mark_deleted(srv: ApiServer, name: str) -> None:
    key = nsl.namespace_key(name)
    ns = srv.store.get(key)
    assert ns is not None
    async with srv.store.transaction() as txn:
        controllerwrites.update_object(
            srv.context, txn, key, ns["metadata"]["uid"], lambda o: nsl.delete(o, NOW, {})
        )


async def test_controller_empties_and_removes_a_terminating_namespace(server: Any) -> None:
    srv, _ = server
    await put(srv, nsl.namespace_key("doomed"), namespace("doomed"))
    cm = Key("", "configmaps", "doomed", "a")
    held = Key("", "configmaps", "doomed", "held")
    await put(srv, cm, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    await put(
        srv,
        held,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "held", "finalizers": ["example.com/x"]},
        },
    )
    await mark_deleted(srv, "doomed")

    def reports_the_finalizer() -> bool:
        ns = srv.store.get(nsl.namespace_key("doomed"))
        got = {c["type"]: c for c in ns["status"].get("conditions", [])}
        return bool(got.get("NamespaceFinalizersRemaining", {}).get("status") == "True")

    await eventually(reports_the_finalizer)
    assert srv.store.get(cm) is None
    assert srv.store.get(held)["metadata"]["deletionTimestamp"]
    assert srv.store.get(nsl.namespace_key("doomed"))["status"]["phase"] == "Terminating"
    obj = srv.store.get(held)
    async with srv.store.transaction() as txn:
        controllerwrites.remove_finalizer(srv.context, txn, held, obj["metadata"]["uid"], "example.com/x")
    await eventually(lambda: srv.store.get(nsl.namespace_key("doomed")) is None)
