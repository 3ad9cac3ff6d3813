"""The synthesis cache: Eno's cache_test.go (basics, purge, readiness groups, resource filter)."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from eno.api.v1.resourceslice import (
    Manifest,
    ResourceSlice,
    ResourceSliceSpec,
    ResourceSliceStatus,
    ResourceState,
)
from eno.cel.engine import Engine, default_engine
from eno.resource.cache import Request, SynthesisCache
from eno.resource.identity import Ref
from eno.resource.overrides import CompositionMetadata

COMP = CompositionMetadata(name="foo", namespace="bar")
KEY = ("bar", "foo")
READY = ResourceState(ready="2026-01-01T00:00:00Z")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


def pod(name: str, group: str | None = None) -> Manifest:
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if group is not None:
        metadata["annotations"] = {"eno.azure.io/readiness-group": group}
    return Manifest(manifest=json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": metadata}))


def piece(name: str, *manifests: Manifest) -> ResourceSlice:
    return ResourceSlice(metadata={"name": name}, spec=ResourceSliceSpec(resources=manifests))


def names(requests: list[Request]) -> list[str]:
    return sorted(str(r) for r in requests)


def pod_ref(name: str) -> Ref:
    return Ref("", "Pod", "default", name)


def test_basics(engine: Engine) -> None:
    cache = SynthesisCache(engine)
    assert cache.fill(CompositionMetadata(), "", []).errors == ()  # empty input is fine
    assert cache.visit(CompositionMetadata(), "foo", []) == (False, [])
    cache.purge(("", ""))
    assert cache.get("foo", Ref("", "", "", "")) is None

    slices = [piece("slice-1", pod("foo")), piece("slice-2", pod("bar"))]
    # Nothing happens when visiting a synthesis that is not loaded yet.
    assert cache.visit(COMP, "foobar", slices) == (False, [])
    cache.fill(COMP, "foobar", slices)
    # Each resource is enqueued when its state is visited for the first time...
    loaded, requests = cache.visit(COMP, "foobar", slices)
    assert loaded and names(requests) == ["(.Pod)/default/bar", "(.Pod)/default/foo"]
    assert all(r.composition == KEY for r in requests)
    # ...and only then.
    assert cache.visit(COMP, "foobar", slices) == (True, [])

    found = cache.get("foobar", pod_ref("foo"))
    assert found is not None and found[1]
    assert cache.get("foobar", pod_ref("not-a-pod")) is None

    cache.purge(KEY)
    assert cache.visit(COMP, "foobar", slices) == (False, [])


PURGES = [
    ("keep current only", ["syn-a"], {"syn-a": True, "syn-b": False}),
    ("keep previous only", ["syn-a"], {"syn-a": True, "syn-b": False}),
    ("keep both", ["syn-a", "syn-b"], {"syn-a": True, "syn-b": True}),
    ("keep none", [], {"syn-a": False, "syn-b": False}),
]


@pytest.mark.parametrize(("keep", "loaded"), [p[1:] for p in PURGES], ids=[p[0] for p in PURGES])
def test_purge(engine: Engine, keep: list[str], loaded: dict[str, bool]) -> None:
    cache = SynthesisCache(engine)
    slices = [piece("s", pod("foo"))]
    for uuid in ("syn-a", "syn-b"):
        cache.fill(COMP, uuid, slices)
        cache.visit(COMP, uuid, slices)
    cache.purge(KEY, keep)
    assert {uuid: cache.visit(COMP, uuid, slices)[0] for uuid in loaded} == loaded


def test_purge_is_per_composition(engine: Engine) -> None:
    cache = SynthesisCache(engine)
    other = CompositionMetadata(name="other", namespace="bar")
    cache.fill(COMP, "a", [])
    cache.fill(other, "b", [])
    cache.purge(KEY)
    assert (cache.loaded("a"), cache.loaded("b")) == (False, True)


def test_readiness_groups(engine: Engine) -> None:
    cache = SynthesisCache(engine)
    slices = [piece("s", pod("foo", "-1"), pod("bar", "3"), pod("baz", "9001"))]
    cache.fill(COMP, "syn", slices)
    cache.visit(COMP, "syn", slices)

    def visible() -> dict[str, bool]:
        out = {}
        for name in ("foo", "bar", "baz"):
            found = cache.get("syn", pod_ref(name))
            assert found is not None
            out[name] = found[1]
        return out

    assert visible() == {"foo": True, "bar": False, "baz": False}
    slices = [
        attrs.evolve(
            slices[0], status=ResourceSliceStatus(resources=(READY, ResourceState(), ResourceState()))
        )
    ]
    assert names(cache.visit(COMP, "syn", slices)[1]) == ["(.Pod)/default/bar", "(.Pod)/default/foo"]
    assert visible() == {"foo": True, "bar": True, "baz": False}
    slices = [attrs.evolve(slices[0], status=ResourceSliceStatus(resources=(READY, READY, ResourceState())))]
    assert names(cache.visit(COMP, "syn", slices)[1]) == ["(.Pod)/default/bar", "(.Pod)/default/baz"]
    assert visible() == {"foo": True, "bar": True, "baz": True}
    assert cache.state("syn", pod_ref("bar")) == READY


def cm(name: str, labels: str = "", kind: str = "ConfigMap") -> Manifest:
    text = (
        f'{{"apiVersion": "v1", "kind": "{kind}", "metadata": {{"name": "{name}", "namespace": "default"'
        f'{", " + labels if labels else ""}, "annotations": {{"eno.azure.io/readiness-group": "0"}}}}}}'
    )
    return Manifest(manifest=text)


FILTER_SLICES = [
    piece(
        "slice-1",
        cm("allowed", '"labels": {"env": "prod"}'),
        cm("filtered", '"labels": {"env": "dev"}'),
        cm("pod-prod", '"labels": {"env": "prod"}', kind="Pod"),
    )
]
# Eno's TestCacheResourceFilter*: (id, filter, enqueued)
FILTERS = [
    (
        "labels",
        "self.metadata.labels.env == 'prod'",
        ["(.ConfigMap)/default/allowed", "(.Pod)/default/pod-prod"],
    ),
    (
        "composition-context",
        "composition.metadata.name == 'foo' && composition.metadata.labels.team == 'platform'"
        " && self.kind == 'Pod'",
        ["(.Pod)/default/pod-prod"],
    ),
    (
        "nil-filter",
        None,
        ["(.ConfigMap)/default/allowed", "(.ConfigMap)/default/filtered", "(.Pod)/default/pod-prod"],
    ),
    ("always-false", "false", []),
    (
        "always-true",
        "true",
        ["(.ConfigMap)/default/allowed", "(.ConfigMap)/default/filtered", "(.Pod)/default/pod-prod"],
    ),
]


@pytest.mark.parametrize(("expression", "enqueued"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_resource_filter(engine: Engine, expression: str | None, enqueued: list[str]) -> None:
    cache = SynthesisCache(engine, engine.compile(expression) if expression else None)
    comp = attrs.evolve(COMP, labels={"team": "platform"})
    cache.fill(comp, "syn", FILTER_SLICES)
    _, requests = cache.visit(comp, "syn", FILTER_SLICES)
    assert names(requests) == enqueued
    for name, kind in (("allowed", "ConfigMap"), ("filtered", "ConfigMap"), ("pod-prod", "Pod")):
        found = cache.get("syn", Ref("", kind, "default", name))
        assert (found is not None) is (f"({'.' + kind})/default/{name}" in enqueued)
        assert found is None or found[1]


def test_invalid_manifests_are_reported(engine: Engine) -> None:
    cache = SynthesisCache(engine)
    result = cache.fill(COMP, "syn", [piece("s", Manifest(manifest="{"), pod("ok"))])
    assert [e.resource for e in result.errors] == ["/s[0]"]
    assert cache.get("syn", pod_ref("ok")) is not None
