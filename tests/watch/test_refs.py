"""Which input objects a composition reads, and under which key (synthesis.md §3), as pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from eno.api.v1 import Composition, Synthesizer
from eno.api.v1 import constants as c
from eno.runtime.gvk import GVK
from eno.runtime.reconcile import Request
from eno.watch.refs import (
    RefKey,
    build_requests,
    composition_bindings,
    find_ref_key,
    stale_input_key,
    synthesizer_ref_kinds,
)

CM = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")


def ref(
    key: str, kind: str = "ConfigMap", name: str = "", namespace: str = "", **extra: Any
) -> dict[str, Any]:
    return {
        "key": key,
        "resource": {"version": "v1", "kind": kind, "name": name, "namespace": namespace},
        **extra,
    }


def synth(*refs: dict[str, Any]) -> Synthesizer:
    return Synthesizer.from_dict(
        {
            "apiVersion": c.API_VERSION,
            "kind": "Synthesizer",
            "metadata": {"name": "s"},
            "spec": {"refs": list(refs)},
        }
    )


def comp(bindings: dict[str, str], revs: Sequence[str] = ()) -> Composition:
    return Composition.from_dict(
        {
            "apiVersion": c.API_VERSION,
            "kind": "Composition",
            "metadata": {"name": "c", "namespace": "default"},
            "spec": {
                "synthesizer": {"name": "s"},
                "bindings": [
                    {"key": k, "resource": {"name": v, "namespace": "default"}} for k, v in bindings.items()
                ],
            },
            "status": {"inputRevisions": [{"key": k, "resourceVersion": "1"} for k in revs]},
        }
    )


def test_build_requests_implicit_then_bound_deduplicated() -> None:
    s = synth(ref("a"), ref("fixed", name="shared", namespace="default"), ref("b", kind="Secret"))
    comps = [comp({"a": "one", "b": "two", "zz": "ignored"}), comp({"a": "one"})]
    assert build_requests(s, comps) == [
        Request("default", "shared"),
        Request("default", "one"),
        Request("default", "two"),  # refs are not filtered by kind here
    ]


FIND = [
    ("bound key of the object's kind", {"a": "obj"}, [ref("a")], CM, "a"),
    ("bound key of another kind", {"a": "obj"}, [ref("a", kind="Secret")], CM, ""),
    ("first ref of the kind with the bound key", {"b": "obj"}, [ref("a"), ref("b"), ref("b")], CM, "b"),
    ("implicit ref", {}, [ref("fixed", name="obj", namespace="default")], CM, "fixed"),
    (
        "implicit ref overridden by a binding",
        {"fixed": "elsewhere"},
        [ref("fixed", name="obj", namespace="default")],
        CM,
        "",
    ),
    ("implicit ref of another object", {}, [ref("fixed", name="other", namespace="default")], CM, ""),
    ("not bound", {"a": "other"}, [ref("a")], CM, ""),
    ("secret", {"s": "obj"}, [ref("a"), ref("s", kind="Secret")], SECRET, "s"),
]


@pytest.mark.parametrize(
    ("bindings", "refs", "gvk", "expected"), [f[1:] for f in FIND], ids=[f[0] for f in FIND]
)
def test_find_ref_key(bindings: dict[str, str], refs: list[dict[str, Any]], gvk: GVK, expected: str) -> None:
    assert find_ref_key(comp(bindings), synth(*refs), gvk, "default", "obj") == expected


STALE = [
    ("all bound", {"a": "x"}, [ref("a")], ["a"], None),
    ("binding removed", {}, [ref("a")], ["a"], "a"),
    ("implicit ref keeps its entry", {}, [ref("f", name="x", namespace="default")], ["f"], None),
    ("first stale wins", {"b": "x"}, [ref("a"), ref("b")], ["a", "b", "c"], "a"),
]


@pytest.mark.parametrize(
    ("bindings", "refs", "revs", "expected"), [s[1:] for s in STALE], ids=[s[0] for s in STALE]
)
def test_stale_input_key(
    bindings: dict[str, str], refs: list[dict[str, Any]], revs: list[str], expected: str | None
) -> None:
    assert stale_input_key(synth(*refs), comp(bindings, revs)) == expected


def test_stale_input_key_without_synthesizer_keeps_bound_keys_only() -> None:
    assert stale_input_key(None, comp({"a": "x"}, ["a", "f"])) == "f"


def test_indexes() -> None:
    s = synth(ref("a"), ref("b", kind="Secret"), ref("c")).to_dict()
    assert synthesizer_ref_kinds(s) == ["v1/ConfigMap", "v1/Secret"]
    assert composition_bindings(comp({"a": "x", "b": "y"}).to_dict()) == ["s/default/x", "s/default/y"]


def test_ref_key_names() -> None:
    key = RefKey("apps", "v1", "Deployment")
    assert key.controller_name == "kindWatchController-apps/v1-Deployment--"
    assert key.gvk == GVK("apps", "v1", "Deployment")
