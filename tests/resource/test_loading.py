"""Loading a synthesis's slices: order, tombstones, composition deletion frozen at load time, invalid
manifests as errors, and the resource filter (Eno's cache_test.go filter cases and ResourceSelector)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eno.api.v1.resourceslice import Manifest, ResourceSlice, ResourceSliceSpec
from eno.cel.engine import Engine, default_engine
from eno.resource.identity import ManifestRef
from eno.resource.loading import load_synthesis
from eno.resource.overrides import CompositionMetadata


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


def cm(name: str, labels: dict[str, str] | None = None) -> str:
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if labels:
        metadata["labels"] = labels
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata})


def piece(name: str, *manifests: Manifest) -> ResourceSlice:
    return ResourceSlice(
        metadata={"name": name, "namespace": "ns"}, spec=ResourceSliceSpec(resources=manifests)
    )


SLICES = [
    piece("s1", Manifest(manifest=cm("a", {"foo": "bar"})), Manifest(manifest=cm("b"), deleted=True)),
    piece("s2", Manifest(manifest=cm("c", {"foo": "baz"}))),
]


def test_order_slots_and_tombstones(engine: Engine) -> None:
    loaded = load_synthesis(SLICES, engine, CompositionMetadata(name="comp"))
    assert loaded.complete
    assert [r.ref.name for r in loaded.resources] == ["a", "b", "c"]
    assert [r.manifest_ref for r in loaded.resources] == [
        ManifestRef("ns", "s1", 0),
        ManifestRef("ns", "s1", 1),
        ManifestRef("ns", "s2", 0),
    ]
    assert [r.deleted for r in loaded.resources] == [False, True, False]
    assert not any(r.composition_deleted for r in loaded.resources)


def test_composition_deletion_is_frozen_at_load(engine: Engine) -> None:
    loaded = load_synthesis(SLICES, engine, CompositionMetadata(deletion_timestamp="2026-01-01T00:00:00Z"))
    assert all(r.composition_deleted for r in loaded.resources)


def test_invalid_manifests_are_errors(engine: Engine) -> None:
    broken = piece("s3", Manifest(manifest="{"), Manifest(manifest=json.dumps({"kind": "X"})))
    loaded = load_synthesis([*SLICES, broken], engine, CompositionMetadata())
    assert not loaded.complete
    assert [e.resource for e in loaded.errors] == ["ns/s3[0]", "ns/s3[1]"]
    assert [r.ref.name for r in loaded.resources] == ["a", "b", "c"]


# (id, filter, admitted names, filtered out, filter errors)
FILTERS = [
    ("resource-selector", "self.metadata.labels.foo == 'bar'", ["a"], 1, 1),  # b has no labels: error
    ("guarded", "has(self.metadata.labels) && self.metadata.labels.foo == 'bar'", ["a"], 2, 0),
    ("composition-visible", "composition.metadata.name == 'comp'", ["a", "b", "c"], 0, 0),
    ("non-boolean-is-an-error", "self.metadata.name", [], 0, 3),
    ("false-excludes-all", "false", [], 3, 0),
]


@pytest.mark.parametrize(
    ("expression", "names", "out", "failed"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
def test_resource_filter(engine: Engine, expression: str, names: list[str], out: int, failed: int) -> None:
    loaded = load_synthesis(
        SLICES, engine, CompositionMetadata(name="comp"), resource_filter=engine.compile(expression)
    )
    assert [r.ref.name for r in loaded.resources] == names
    assert (loaded.filtered_out, loaded.filter_errors) == (out, failed)


def test_filter_sees_eno_annotations_before_overrides(engine: Engine) -> None:
    overrides = json.dumps([{"path": "self.metadata.labels.team", "value": "x"}])
    text = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "a", "annotations": {"eno.azure.io/overrides": overrides}},
        }
    )
    program = engine.compile(
        "'eno.azure.io/overrides' in self.metadata.annotations && !has(self.metadata.labels)"
    )
    loaded = load_synthesis(
        [piece("s", Manifest(manifest=text))], engine, CompositionMetadata(), resource_filter=program
    )
    assert [r.ref.name for r in loaded.resources] == ["a"]
