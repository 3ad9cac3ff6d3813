"""Garbage collection decisions and deletion finalizers, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from eno.apiserver import deletion, errors
from eno.apiserver.gc import (
    Action,
    Delete,
    Graph,
    RemoveFinalizer,
    RemoveOwnerRefs,
    UnblockOwnerRefs,
    decide,
)
from eno.apiserver.store import ADDED, DELETED, MODIFIED, Event, Key

Obj = dict[str, Any]


def obj(
    name: str,
    *owners: str | tuple[str, bool],
    namespace: str = "ns",
    deleting: bool = False,
    finalizers: tuple[str, ...] = (),
) -> tuple[Key, Obj]:
    """An object whose uid is its name; owners by uid, (uid, True) to block owner deletion."""
    refs = []
    for owner in owners:
        uid, block = owner if isinstance(owner, tuple) else (owner, False)
        refs.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "name": uid, "uid": uid, "blockOwnerDeletion": block}
        )
    meta: Obj = {"name": name, "uid": name, "ownerReferences": refs, "finalizers": list(finalizers)}
    if namespace:
        meta["namespace"] = namespace
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return Key("", "configmaps", namespace, name), {"metadata": meta}


def key(name: str, namespace: str = "ns") -> Key:
    return Key("", "configmaps", namespace, name)


FG = deletion.FOREGROUND_FINALIZER
ORPHAN = deletion.ORPHAN_FINALIZER

CASES: list[tuple[str, list[tuple[Key, Obj]], str, list[Action]]] = [
    ("no-owners", [obj("a")], "a", []),
    ("owner-exists", [obj("o"), obj("d", "o")], "d", []),
    ("owner-missing", [obj("d", "o")], "d", [Delete(key("d"), "d", "Background")]),
    (
        "one-owner-missing",
        [obj("o"), obj("d", "o", "gone")],
        "d",
        [RemoveOwnerRefs(key("d"), "d", frozenset({"gone"}))],
    ),
    (
        "owner-in-other-namespace",
        [obj("o", namespace="other"), obj("d", "o")],
        "d",
        [Delete(key("d"), "d", "Background")],
    ),
    ("cluster-scoped-owner", [obj("o", namespace=""), obj("d", "o")], "d", []),
    (
        "honours-orphan-finalizer",
        [obj("d", "o", finalizers=(ORPHAN,))],
        "d",
        [Delete(key("d"), "d", "Orphan")],
    ),
    (
        "honours-foreground-finalizer",
        [obj("d", "o", finalizers=(FG,))],
        "d",
        [Delete(key("d"), "d", "Foreground")],
    ),
    ("being-deleted-is-left-alone", [obj("d", "o", deleting=True, finalizers=("x",))], "d", []),
    (
        "orphan-owner",
        [obj("o", deleting=True, finalizers=(ORPHAN,)), obj("d1", "o"), obj("d2", "o", "p"), obj("p")],
        "o",
        [
            RemoveOwnerRefs(key("d1"), "d1", frozenset({"o"})),
            RemoveOwnerRefs(key("d2"), "d2", frozenset({"o"})),
            RemoveFinalizer(key("o"), "o", ORPHAN),
        ],
    ),
    (
        "foreground-owner-deletes-blocking-dependents",
        [obj("o", deleting=True, finalizers=(FG,)), obj("d", ("o", True))],
        "o",
        [Delete(key("d"), "d", "Background")],
    ),
    (
        "foreground-owner-waits-for-deleting-blockers",
        [obj("o", deleting=True, finalizers=(FG,)), obj("d", ("o", True), deleting=True, finalizers=("x",))],
        "o",
        [],
    ),
    (
        "foreground-owner-done-without-blockers",
        [obj("o", deleting=True, finalizers=(FG,)), obj("d", "o")],
        "o",
        [RemoveFinalizer(key("o"), "o", FG)],
    ),
    (
        "dependent-of-waiting-owner-goes",
        [obj("o", deleting=True, finalizers=(FG,)), obj("d", "o")],
        "d",
        [Delete(key("d"), "d", "Background")],
    ),
    (
        "dependent-with-dependents-goes-in-foreground",
        [obj("o", deleting=True, finalizers=(FG,)), obj("d", "o"), obj("dd", ("d", True))],
        "d",
        [Delete(key("d"), "d", "Foreground")],
    ),
    (
        "cycle-is-unblocked",
        [
            obj("o", deleting=True, finalizers=(FG,)),
            obj("d", ("o", True)),
            obj("dd", ("d", True), deleting=True, finalizers=(FG,)),
        ],
        "d",
        [UnblockOwnerRefs(key("d"), "d"), Delete(key("d"), "d", "Foreground")],
    ),
    (
        "solid-owner-keeps-it-and-waiting-owner-is-released",
        [obj("o", deleting=True, finalizers=(FG,)), obj("p"), obj("d", ("o", True), "p")],
        "d",
        [RemoveOwnerRefs(key("d"), "d", frozenset({"o"}))],
    ),
    ("unknown-uid", [], "nope", []),
]


@pytest.mark.parametrize(("objects", "uid", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide(objects: list[tuple[Key, Obj]], uid: str, expected: list[Action]) -> None:
    graph = Graph()
    graph.rebuild(objects)
    assert decide(graph, uid) == expected


def test_graph_observe_names_what_to_look_at() -> None:
    graph = Graph()
    k_o, owner = obj("o")
    k_d, dependent = obj("d", "o")
    assert graph.observe(Event(ADDED, k_o, owner, None, 1)) == set()
    assert graph.observe(Event(ADDED, k_d, dependent, None, 2)) == {"d"}
    # Deleting the owner makes the dependent worth a look (it is now dangling).
    assert graph.observe(Event(DELETED, k_o, owner, owner, 3)) == {"d"}
    assert decide(graph, "d") == [Delete(k_d, "d", "Background")]


def test_graph_observe_foreground_start_and_released_reference() -> None:
    graph = Graph()
    graph.rebuild([obj("o"), obj("d", ("o", True))])
    k_o, deleting = obj("o", deleting=True, finalizers=(FG,))
    assert graph.observe(Event(MODIFIED, k_o, deleting, None, 3)) == {"o", "d"}
    k_d, released = obj("d")
    # The dependent dropped its reference: the waiting owner is looked at again.
    assert graph.observe(Event(MODIFIED, k_d, released, None, 4)) == {"o"}
    assert decide(graph, "o") == [RemoveFinalizer(k_o, "o", FG)]


@pytest.mark.parametrize(
    ("finalizers", "options", "expected"),
    [
        ([], {}, None),
        ([], {"propagationPolicy": "Background"}, None),
        ([], {"propagationPolicy": "Foreground"}, [FG]),
        ([], {"propagationPolicy": "Orphan"}, [ORPHAN]),
        (["x"], {"propagationPolicy": "Orphan"}, ["x", ORPHAN]),
        ([FG], {"propagationPolicy": "Orphan"}, [ORPHAN]),
        ([ORPHAN], {"propagationPolicy": "Background"}, []),
        ([ORPHAN], {}, None),
        ([FG], {}, None),
        ([], {"orphanDependents": True}, [ORPHAN]),
        ([], {"orphanDependents": "true"}, [ORPHAN]),
        ([ORPHAN], {"orphanDependents": False}, []),
    ],
    ids=[
        "default",
        "background",
        "foreground",
        "orphan",
        "orphan-keeps-others",
        "orphan-replaces-foreground",
        "background-drops-orphan",
        "orphan-finalizer-stays",
        "foreground-finalizer-stays",
        "orphan-dependents",
        "orphan-dependents-query-string",
        "orphan-dependents-false",
    ],
)
def test_gc_finalizers(finalizers: list[str], options: dict[str, Any], expected: list[str] | None) -> None:
    assert deletion.gc_finalizers(finalizers, options) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"propagationPolicy": "Sideways"}, 'Unsupported value: "Sideways"'),
        (
            {"propagationPolicy": "Orphan", "orphanDependents": True},
            "orphanDependents and deletionPropagation cannot be both set",
        ),
    ],
    ids=["unknown-policy", "both-set"],
)
def test_validate_delete_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.ApiError) as caught:
        deletion.validate_delete_options(options)
    assert caught.value.code == 422
    assert caught.value.message.startswith('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy')
    assert message in caught.value.message


def test_without_finalizer_completes_deletion_only_when_nothing_holds_it() -> None:
    _, o = obj("o", deleting=True, finalizers=(ORPHAN, "x"))
    left = deletion.without_finalizer(o, ORPHAN)
    assert left is not None and left["metadata"]["finalizers"] == ["x"]
    assert deletion.without_finalizer(left, "x") is None
    _, alive = obj("a", finalizers=("x",))
    kept = deletion.without_finalizer(alive, "x")
    assert kept is not None and "finalizers" not in kept["metadata"]
    namespace = {"kind": "Namespace", "metadata": {"deletionTimestamp": "t", "finalizers": [ORPHAN]}}
    namespace["spec"] = {"finalizers": ["kubernetes"]}
    assert deletion.without_finalizer(namespace, ORPHAN) is not None


def test_owner_reference_edits_do_not_touch_the_input() -> None:
    _, d = obj("d", ("o", True), "p")
    released = deletion.without_owner_references(d, {"o"})
    assert [r["uid"] for r in released["metadata"]["ownerReferences"]] == ["p"]
    unblocked = deletion.unblocked_owner_references(d)
    assert not any(r["blockOwnerDeletion"] for r in unblocked["metadata"]["ownerReferences"])
    assert d["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] is True
    assert "ownerReferences" not in deletion.without_owner_references(d, {"o", "p"})["metadata"]
