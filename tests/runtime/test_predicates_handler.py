"""Predicates and event handlers: pure functions from watch events to requests."""

from __future__ import annotations

from typing import Any

import pytest

from eno.runtime import predicates
from eno.runtime.handler import (
    EnqueueRequestForObject,
    EnqueueRequestForOwner,
    EnqueueRequestsFromMapFunc,
)
from eno.runtime.reconcile import Request


def obj(name: str = "a", namespace: str = "ns", **meta: Any) -> dict[str, Any]:
    metadata = {"name": name, "namespace": namespace, **meta}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}


@pytest.mark.parametrize(
    ("predicate", "old", "new", "passes"),
    [
        (predicates.GenerationChanged, obj(generation=1), obj(generation=2), True),
        (predicates.GenerationChanged, obj(generation=1), obj(generation=1, labels={"x": "y"}), False),
        (predicates.LabelsChanged, obj(labels={"a": "1"}), obj(labels={"a": "2"}), True),
        (predicates.LabelsChanged, obj(labels={"a": "1"}), obj(labels={"a": "1"}, generation=3), False),
        (predicates.LabelsChanged, obj(), obj(labels={}), False),
        (predicates.AnnotationsChanged, obj(), obj(annotations={"a": "1"}), True),
        (predicates.AnnotationsChanged, obj(annotations={"a": "1"}), obj(annotations={"a": "1"}), False),
        (predicates.ResourceVersionChanged, obj(resourceVersion="1"), obj(resourceVersion="1"), False),
        (predicates.ResourceVersionChanged, obj(resourceVersion="1"), obj(resourceVersion="2"), True),
    ],
    ids=[
        "generation-bumped",
        "generation-same",
        "labels-changed",
        "labels-same",
        "labels-none-vs-empty",
        "annotations-added",
        "annotations-same",
        "rv-same-resync",
        "rv-changed",
    ],
)
def test_update_predicates(predicate: predicates.Predicate, old: Any, new: Any, passes: bool) -> None:
    assert predicate.update(old, new) is passes
    # Change predicates never filter creates, deletes or generic events.
    assert predicate.create(new) and predicate.delete(new) and predicate.generic(new)


def test_label_selector_and_combinators() -> None:
    team = predicates.label_selector({"team": "a"})
    assert team.create(obj(labels={"team": "a", "x": "y"}))
    assert not team.create(obj(labels={"team": "b"}))
    assert team.update(obj(), obj(labels={"team": "a"}))  # the new object decides
    both = predicates.and_(team, predicates.GenerationChanged)
    assert not both.update(obj(labels={"team": "a"}), obj(labels={"team": "a"}))
    either = predicates.or_(team, predicates.GenerationChanged)
    assert either.update(obj(generation=1), obj(generation=2))
    assert predicates.not_(team).delete(obj())


def owned(*refs: dict[str, Any]) -> dict[str, Any]:
    return obj("child", "ns", ownerReferences=list(refs))


def ref(name: str, kind: str = "Composition", api_version: str = "eno.azure.io/v1", controller: bool = True):
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": "u", "controller": controller}


@pytest.mark.parametrize(
    ("handler", "child", "expected"),
    [
        (EnqueueRequestForOwner("eno.azure.io/v1", "Composition"), owned(ref("c1")), {Request("ns", "c1")}),
        (
            EnqueueRequestForOwner("eno.azure.io/v1", "Composition"),
            owned(ref("c1", api_version="eno.azure.io/v2")),
            {Request("ns", "c1")},
        ),
        (EnqueueRequestForOwner("eno.azure.io/v1", "Composition"), owned(ref("c1", controller=False)), set()),
        (
            EnqueueRequestForOwner("eno.azure.io/v1", "Composition", only_controller=False),
            owned(ref("c1", controller=False), ref("c2")),
            {Request("ns", "c1"), Request("ns", "c2")},
        ),
        (EnqueueRequestForOwner("eno.azure.io/v1", "Composition"), owned(ref("c1", kind="Symphony")), set()),
        (EnqueueRequestForOwner("eno.azure.io/v1", "Composition"), owned(ref("c1", api_version="v1")), set()),
        (
            EnqueueRequestForOwner("v1", "Namespace", owner_namespaced=False),
            owned(ref("ns1", kind="Namespace", api_version="v1")),
            {Request("", "ns1")},
        ),
        (EnqueueRequestForOwner("eno.azure.io/v1", "Composition"), obj(), set()),
    ],
    ids=[
        "controller-owner",
        "owner-version-ignored",
        "non-controller-skipped",
        "all-owners",
        "other-kind",
        "other-group",
        "cluster-scoped-owner",
        "no-owners",
    ],
)
def test_enqueue_for_owner(handler: EnqueueRequestForOwner, child: Any, expected: set[Request]) -> None:
    assert handler.create(child) == expected


def test_enqueue_for_owner_update_covers_old_and_new_owners() -> None:
    handler = EnqueueRequestForOwner("eno.azure.io/v1", "Composition", only_controller=False)
    expected = {Request("ns", "old"), Request("ns", "new")}
    assert handler.update(owned(ref("old")), owned(ref("new"))) == expected


def test_enqueue_for_object_uses_the_new_object_on_update() -> None:
    handler = EnqueueRequestForObject()
    assert handler.create(obj("a")) == {Request("ns", "a")}
    assert handler.update(obj("a"), obj("a")) == {Request("ns", "a")}
    assert handler.delete(obj("a", "")) == {Request("", "a")}


def test_map_func_maps_both_sides_of_an_update() -> None:
    handler = EnqueueRequestsFromMapFunc(lambda o: [Request("x", o["metadata"]["name"])])
    assert handler.update(obj("a"), obj("b")) == {Request("x", "a"), Request("x", "b")}
    assert handler.generic(obj("c")) == {Request("x", "c")}


def test_request_str() -> None:
    assert str(Request("ns", "a")) == "ns/a"
    assert str(Request("", "a")) == "a"
