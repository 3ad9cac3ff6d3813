"""Slicing outputs into ResourceSlices: Eno's slicing_test.go (overflow, tombstones, Patch, version
semantics), the 512 KiB rule and the slice conventions."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1.composition import Composition
from eno.api.v1.resourceslice import (
    Manifest,
    ResourceSlice,
    ResourceSliceSpec,
    ResourceSliceStatus,
    ResourceState,
)
from eno.resource.slicing import MAX_SLICE_BYTES, encode_manifest, slice_outputs

COMP = Composition.from_dict(
    {
        "metadata": {"name": "my-comp", "namespace": "ns", "uid": "uid-1"},
        "status": {"currentSynthesis": {"uuid": "outgoing-uuid"}},
    }
)


def obj(
    api: str = "mygroup/v1", kind: str = "Test", name: str = "test-resource", **extra: Any
) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "test-ns"}, **extra}


def run(
    previous: list[ResourceSlice], outputs: list[dict[str, Any]], limit: int = 100000
) -> list[ResourceSlice]:
    result = slice_outputs(COMP, previous, outputs, limit)
    assert result.errors == ()
    return list(result.slices)


def deleted_flags(slices: list[ResourceSlice]) -> list[list[bool]]:
    return [[m.deleted for m in s.spec.resources] for s in slices]


def reconciled(slices: list[ResourceSlice]) -> list[ResourceSlice]:
    return [
        attrs.evolve(
            s,
            status=ResourceSliceStatus(
                resources=tuple(ResourceState(reconciled=True) for _ in s.spec.resources)
            ),
        )
        for s in slices
    ]


def test_tombstones_basics() -> None:
    slices = run([], [obj()])
    assert deleted_flags(slices) == [[False]]
    # Removing the resource creates the tombstone, with the original manifest text.
    removed = run(slices, [])
    assert deleted_flags(removed) == [[True]]
    assert removed[0].spec.resources[0].manifest == slices[0].spec.resources[0].manifest
    # Not yet reconciled (deleted): the tombstone persists.
    assert deleted_flags(run(removed, [])) == [[True]]
    # Once reconciled it is dropped; no manifests means no slices.
    assert run(reconciled(removed), []) == []


def test_tombstone_in_deleting_slice_dropped_once_reconciled() -> None:
    previous = reconciled(run([], [obj()]))
    deleting = [
        attrs.evolve(s, metadata={**s.metadata, "deletionTimestamp": "2026-01-01T00:00:00Z"})
        for s in previous
    ]
    assert run(deleting, []) == []
    assert deleted_flags(run(previous, [])) == [[True]], "a live reconciled resource still needs deleting"


def test_tombstones_patch() -> None:
    slices = run([], [obj()])
    patch = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": "test-resource", "namespace": "test-ns"},
        "patch": {"apiVersion": "mygroup/v1", "kind": "Test"},
    }
    # A resource replaced by a Patch of the same object: no tombstone (it is patched, not deleted).
    slices = run(slices, [patch])
    assert deleted_flags(slices) == [[False]]
    # Removing a Patch leaves no tombstone either.
    assert run(slices, []) == []


def test_tombstones_version_semantics() -> None:
    slices = run([], [obj()])
    slices = run(slices, [obj(api="mygroup/v2")])
    assert deleted_flags(slices) == [[False]], "a version change keeps the identity"
    slices = run(slices, [obj(api="mygroup2/v2")])
    assert deleted_flags(slices) == [[False, True]], "a group change is another object"


def test_tombstones_follow_outputs_in_previous_order() -> None:
    previous = run([], [obj(name="a"), obj(name="b"), obj(name="c")], limit=1)
    assert len(previous) == 3
    slices = run(previous, [obj(name="b")])
    names = [json.loads(m.manifest)["metadata"]["name"] for m in slices[0].spec.resources]
    assert names == ["b", "a", "c"] and deleted_flags(slices) == [[False, True, True]]


def test_status_shorter_than_spec_counts_as_not_reconciled() -> None:
    previous = run([], [obj(name="a"), obj(name="b")])
    tombstones = run(previous, [])
    partial = [
        attrs.evolve(tombstones[0], status=ResourceSliceStatus(resources=(ResourceState(reconciled=True),)))
    ]
    remaining = run(partial, [])
    assert [json.loads(m.manifest)["metadata"]["name"] for m in remaining[0].spec.resources] == ["b"]


def test_slice_conventions() -> None:
    [s] = run([], [obj()])
    assert s.metadata == {
        "generateName": "my-comp-",
        "namespace": "ns",
        "finalizers": ["eno.azure.io/cleanup"],
        "ownerReferences": [
            {
                "apiVersion": "eno.azure.io/v1",
                "kind": "Composition",
                "name": "my-comp",
                "uid": "uid-1",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    assert "labels" not in s.metadata
    assert s.spec.synthesis_uuid == "outgoing-uuid"  # Eno's quirk: the synthesis being replaced
    first = Composition.from_dict({"metadata": {"name": "c", "namespace": "ns"}})
    [s] = slice_outputs(first, [], [obj()]).slices
    assert s.spec.synthesis_uuid == ""


def test_manifest_text_is_compact_sorted_json() -> None:
    [s] = run([], [{"kind": "Test", "apiVersion": "v1", "metadata": {"name": "ä"}}])
    assert s.spec.resources[0].manifest == '{"apiVersion":"v1","kind":"Test","metadata":{"name":"ä"}}'


SIZED = 100  # bytes per manifest below


def sized(i: int) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"r{i:03d}"},
        "data": {"x": ""},
    }
    pad = SIZED - len(encode_manifest(base))
    base["data"]["x"] = "p" * pad
    assert len(encode_manifest(base)) == SIZED
    return base


# (id, outputs, limit, manifests per slice): a slice is closed once it holds >= limit bytes, checked
# before adding, so the last manifest may overflow it.
PACKING = [
    ("empty", 0, 1000, []),
    ("one-slice", 3, 1000, [3]),
    ("exact-fill-closes-slice", 4, 200, [2, 2]),
    ("overflow-by-last-manifest", 5, 250, [3, 2]),
    ("limit-smaller-than-a-manifest", 3, 1, [1, 1, 1]),
    ("eno-overflow-16-into-4", 16, 4 * SIZED, [4, 4, 4, 4]),
]


@pytest.mark.parametrize(("count", "limit", "sizes"), [p[1:] for p in PACKING], ids=[p[0] for p in PACKING])
def test_packing(count: int, limit: int, sizes: list[int]) -> None:
    slices = run([], [sized(i) for i in range(count)], limit)
    assert [len(s.spec.resources) for s in slices] == sizes


def test_default_limit_is_512_kib() -> None:
    assert MAX_SLICE_BYTES == 524288
    big = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"b{i}"}, "data": {"x": "y" * 200_000}}
        for i in range(4)
    ]
    slices = slice_outputs(COMP, [], big).slices
    assert [len(s.spec.resources) for s in slices] == [3, 1]


def test_bytes_are_utf8_bytes() -> None:
    wide = {"apiVersion": "v1", "kind": "K", "metadata": {"name": "€" * 30}}  # 3 bytes per character
    size = len(encode_manifest(wide).encode())
    slices = run([], [wide, wide, wide], limit=size * 2 - 1)
    assert [len(s.spec.resources) for s in slices] == [2, 1]


def test_unreadable_previous_manifest_is_reported_not_raised() -> None:
    broken = ResourceSlice(
        metadata={"name": "old", "namespace": "ns"},
        spec=ResourceSliceSpec(
            resources=(
                Manifest(manifest="{nope"),
                Manifest(manifest="[1]"),
                Manifest(manifest=json.dumps(obj())),
            )
        ),
    )
    result = slice_outputs(COMP, [broken], [])
    assert [e.resource for e in result.errors] == ["ns/old[0]", "ns/old[1]"]
    assert deleted_flags(list(result.slices)) == [[True]]


@given(
    st.lists(st.integers(min_value=1, max_value=400), max_size=30), st.integers(min_value=1, max_value=2000)
)
def test_packing_keeps_order_and_bounds(lengths: list[int], limit: int) -> None:
    outputs = [{"k": "x" * n, "i": i} for i, n in enumerate(lengths)]
    slices = slice_outputs(COMP, [], outputs, limit).slices
    packed = [json.loads(m.manifest)["i"] for s in slices for m in s.spec.resources]
    assert packed == list(range(len(lengths)))
    for s in slices:
        sizes = [len(m.manifest.encode()) for m in s.spec.resources]
        assert sum(sizes[:-1]) < limit, "only the last manifest of a slice may cross the limit"
    for s in slices[:-1]:
        assert sum(len(m.manifest.encode()) for m in s.spec.resources) >= limit, "slices are filled up"


def test_unencodable_output_fails_the_slicing() -> None:
    bad: Any = [obj(), {"apiVersion": "v1", "kind": "K", "metadata": {"name": b"bytes"}}, "not-an-object"]
    result = slice_outputs(COMP, [], bad)
    assert result.failed and result.slices == ()
    assert [e.resource for e in result.errors] == ["items[1]", "items[2]"]
