"""Managed-fields logic: Eno's fieldmanager_test.go tables (merge, normalize, field merging), compare, and
FieldsV1 set round trips."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.resource.fieldmanager import compare, merge_eno_managed_fields, normalize_conflicting_managers
from eno.resource.fieldsv1 import field_path, parse_fields_v1, to_fields_v1


def fields(manager: str, names: list[str], operation: str = "Apply") -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(field_path(*name.split(".")) for name in names),
    }


def raw(manager: str, fields_v1: Any, operation: str = "Update", **extra: Any) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1,
        **extra,
    }


def sets(entries: list[dict[str, Any]] | None) -> list[Any]:
    return [parse_fields_v1(e.get("fieldsV1")) for e in entries or []]


NIL_ENO = raw("eno", None, "Apply")
UPDATE_ENO = raw("eno", {"f:foo": {}}, "Update")
BAD_ENO = raw("eno", "invalid json", "Apply")

# Eno's TestManagedFields: (id, modified, previous, current, next, expected)
MERGE = [
    (
        "fully matching",
        False,
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
        None,
    ),
    (
        "all eno managed fields lost",
        True,
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
        [fields("notEno", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
    ),
    (
        "all eno managed fields lost, some fields collide with another manager",
        True,
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz", "foo"])],
        [fields("notEno", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("notEno", ["baz"])],
    ),
    (
        "field removed, owned by another field manager",
        True,
        [fields("eno", ["foo", "bar"])],
        [fields("eno", ["foo"]), fields("notEno", ["bar"])],
        [fields("eno", ["foo"])],
        [fields("eno", ["foo", "bar"])],
    ),
    (
        "field removed, already owned by eno",
        False,
        [fields("eno", ["foo", "bar"])],
        [fields("eno", ["foo", "bar"])],
        [fields("eno", ["foo"])],
        None,
    ),
    (
        "field removed, missing from current state",
        False,
        [fields("eno", ["foo", "bar"])],
        [fields("eno", ["foo"])],
        [fields("eno", ["foo"])],
        None,
    ),
    ("empty previous managed fields", False, [], [fields("eno", ["foo"])], [fields("eno", ["foo"])], None),
    (
        "nil FieldsV1 entries",
        False,
        [NIL_ENO, fields("other", ["foo"])],
        [NIL_ENO, fields("other", ["foo"])],
        [NIL_ENO, fields("other", ["foo"])],
        None,
    ),
    (
        "non-Apply operation for eno manager",
        False,
        [UPDATE_ENO, fields("other", ["bar"])],
        [UPDATE_ENO, fields("other", ["bar"])],
        [UPDATE_ENO, fields("other", ["bar"])],
        None,
    ),
    (
        "JSON parsing error in previous fields",
        False,
        [BAD_ENO, fields("other", ["bar"])],
        [BAD_ENO, fields("other", ["bar"])],
        [BAD_ENO, fields("other", ["bar"])],
        None,
    ),
    ("empty next fields", False, [fields("eno", ["foo"])], [fields("eno", ["foo"])], [], None),
    (
        "special branch: prevEno not empty, nextEno not empty, currentEno empty",
        True,
        [fields("eno", ["foo", "bar"]), fields("other", ["baz"])],
        [fields("other", ["baz"])],
        [fields("eno", ["foo"]), fields("other", ["baz"])],
        [fields("eno", ["foo", "bar"]), fields("other", ["baz"])],
    ),
    (
        "unparseable entries are copied as they are",
        True,
        [fields("eno", ["foo", "bar"]), raw("x", None)],
        [fields("eno", ["foo"]), fields("notEno", ["bar"])],
        [fields("eno", ["foo"])],
        [fields("eno", ["foo", "bar"]), raw("x", None)],
    ),
]


@pytest.mark.parametrize(
    ("modified", "previous", "current", "following", "expected"),
    [m[1:] for m in MERGE],
    ids=[m[0] for m in MERGE],
)
def test_merge_eno_managed_fields(
    modified: bool, previous: list[Any], current: list[Any], following: list[Any], expected: list[Any] | None
) -> None:
    before = copy.deepcopy((previous, current, following))
    merged, was_modified = merge_eno_managed_fields(previous, current, following)
    assert was_modified is modified
    assert sets(merged) == sets(expected)
    assert (previous, current, following) == before, "inputs are not mutated"
    if modified:
        assert merged is not None and [e["manager"] for e in merged] == [e["manager"] for e in previous]


SPEC = ["spec", "metadata"]
# Eno's TestNormalizeConflictingManagers, with the field prefixes the spec adds (here `spec` and
# `metadata`): (id, entries, managers, prefixes, modified, managers after)
NORMALIZE = [
    (
        "normalize Go-http-client owning f:spec",
        [
            raw("Go-http-client", {"f:spec": {"f:replicas": {}}}, apiVersion="apps/v1"),
            raw("kube-controller-manager", {"f:status": {"f:replicas": {}}}, apiVersion="apps/v1"),
        ],
        ["Go-http-client"],
        SPEC,
        True,
        ["kube-controller-manager", "eno"],
    ),
    (
        "do not normalize manager owning only f:status",
        [raw("kube-controller-manager", {"f:status": {"f:replicas": {}}})],
        [],
        SPEC,
        False,
        ["kube-controller-manager"],
    ),
    (
        "do not normalize manager owning only f:metadata",
        [raw("kube-controller-manager", {"f:metadata": {"f:ownerReferences": {}}})],
        [],
        SPEC,
        False,
        ["kube-controller-manager"],
    ),
    (
        "normalize manager owning both f:spec and f:metadata",
        [
            raw(
                "Go-http-client",
                {"f:spec": {"f:replicas": {}}, "f:metadata": {"f:labels": {}}},
                apiVersion="v1",
            )
        ],
        ["Go-http-client"],
        SPEC,
        True,
        ["eno"],
    ),
    (
        "keep the part outside the migrating fields",
        [
            raw(
                "Go-http-client",
                {"f:spec": {"f:replicas": {}}, "f:metadata": {"f:labels": {}}},
                apiVersion="v1",
            )
        ],
        ["Go-http-client"],
        ["spec"],
        True,
        ["Go-http-client", "eno"],
    ),
    (
        "skip entry already owned by eno",
        [raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1")],
        [],
        SPEC,
        False,
        ["eno"],
    ),
    (
        "normalize multiple managers owning f:spec",
        [
            raw("Go-http-client", {"f:spec": {"f:template": {}}}, apiVersion="v1"),
            raw("kubectl", {"f:spec": {"f:replicas": {}}}, apiVersion="v1"),
            raw("kube-controller-manager", {"f:status": {"f:ready": {}}}, apiVersion="v1"),
        ],
        ["Go-http-client", "kubectl"],
        SPEC,
        True,
        ["kube-controller-manager", "eno"],
    ),
    ("empty managed fields", [], ["kubectl"], SPEC, False, []),
    ("nil FieldsV1", [raw("Go-http-client", None)], [], SPEC, False, ["Go-http-client"]),
    (
        "nil FieldsV1 of a listed manager is kept",
        [raw("Go-http-client", None)],
        ["Go-http-client"],
        SPEC,
        False,
        ["Go-http-client"],
    ),
    (
        "eno already owns f:spec, other manager owns f:status only - should not normalize",
        [
            raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1"),
            raw("manager", {"f:status": {"f:conditions": {}}}),
        ],
        [],
        SPEC,
        False,
        ["eno", "manager"],
    ),
    (
        "eno already owns f:spec, another eno entry owns different f:spec - should merge into one",
        [
            raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1"),
            raw("eno", {"f:spec": {"f:template": {}}}, "Apply", apiVersion="v1"),
        ],
        [],
        SPEC,
        True,
        ["eno"],
    ),
    (
        "eno already owns f:spec, other manager also owns f:spec - should normalize",
        [
            raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1"),
            raw("kubectl", {"f:spec": {"f:template": {}}}, apiVersion="v1"),
        ],
        ["kubectl"],
        SPEC,
        True,
        ["eno"],
    ),
    (
        "custom migratingManagers with duplicate manager - should not duplicate",
        [
            raw("kubectl", {"f:spec": {"f:replicas": {}}}, apiVersion="v1"),
            raw("Go-http-client", {"f:spec": {"f:template": {}}}, apiVersion="v1"),
        ],
        ["kubectl", "Go-http-client", "kubectl"],
        SPEC,
        True,
        ["eno"],
    ),
    (
        "empty migratingManagers - should not normalize",
        [
            raw("kubectl", {"f:spec": {"f:replicas": {}}}),
            raw("unknown-operator", {"f:spec": {"f:template": {}}}),
        ],
        [],
        SPEC,
        False,
        ["kubectl", "unknown-operator"],
    ),
    (
        "migratingManagers with empty strings - should filter out empty strings",
        [raw("custom-operator", {"f:spec": {"f:replicas": {}}}, apiVersion="v1")],
        ["", "custom-operator", ""],
        SPEC,
        True,
        ["eno"],
    ),
    (
        "eno update entry is kept while its apply entry merges",
        [
            raw("eno", {"f:spec": {"f:a": {}}}, "Apply", apiVersion="v1"),
            raw("eno", {"f:data": {}}, "Update"),
            raw("legacy", {"f:spec": {"f:b": {}}}),
        ],
        ["legacy"],
        SPEC,
        True,
        ["eno", "eno"],
    ),
]


@pytest.mark.parametrize(
    ("entries", "managers", "prefixes", "modified", "after"),
    [n[1:] for n in NORMALIZE],
    ids=[n[0] for n in NORMALIZE],
)
def test_normalize_conflicting_managers(
    entries: list[Any], managers: list[str], prefixes: list[str], modified: bool, after: list[str]
) -> None:
    before = copy.deepcopy(entries)
    result = normalize_conflicting_managers(entries, managers, prefixes)
    assert result.error is None
    assert result.modified is modified
    out = result.managed_fields if result.modified else entries
    assert out is not None and [e["manager"] for e in out] == after
    assert entries == before
    for entry in out:
        if entry["manager"] == "eno" and entry["operation"] == "Apply":
            assert entry["fieldsType"] == "FieldsV1" and entry["apiVersion"]


P = field_path
# Eno's TestNormalizeConflictingManagers_FieldMerging: the fields the single eno entry ends up with.
FIELD_MERGING = [
    (
        "merge two eno entries with different fields",
        [
            raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1"),
            raw("eno", {"f:spec": {"f:template": {"f:metadata": {}}}}, "Apply", apiVersion="v1"),
        ],
        [],
        {P("spec", "replicas"), P("spec", "template", "metadata")},
    ),
    (
        "merge legacy manager fields into existing eno entry",
        [
            raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1"),
            raw("kubectl", {"f:spec": {"f:selector": {}}}),
        ],
        ["kubectl"],
        {P("spec", "replicas"), P("spec", "selector")},
    ),
    (
        "merge multiple legacy managers into eno",
        [
            raw("kubectl", {"f:spec": {"f:replicas": {}}}, apiVersion="v1"),
            raw("Go-http-client", {"f:spec": {"f:template": {}}}),
            raw("custom-operator", {"f:metadata": {"f:labels": {}}}),
        ],
        ["kubectl", "Go-http-client", "custom-operator"],
        {P("spec", "replicas"), P("spec", "template"), P("metadata", "labels")},
    ),
    (
        "merge eno entries and legacy managers together",
        [
            raw("eno", {"f:spec": {"f:replicas": {}}}, "Apply", apiVersion="v1"),
            raw("eno", {"f:spec": {"f:paused": {}}}, "Apply", apiVersion="v1"),
            raw("kubectl", {"f:spec": {"f:selector": {}}}),
            raw("Go-http-client", {"f:metadata": {"f:annotations": {}}}),
        ],
        ["kubectl", "Go-http-client"],
        {P("spec", "replicas"), P("spec", "paused"), P("spec", "selector"), P("metadata", "annotations")},
    ),
    (
        "only merge specified legacy managers, not others",
        [
            raw("kubectl", {"f:spec": {"f:replicas": {}}}, apiVersion="v1"),
            raw("kube-controller-manager", {"f:status": {"f:ready": {}}}),
        ],
        ["kubectl"],
        {P("spec", "replicas")},
    ),
]


@pytest.mark.parametrize(
    ("entries", "managers", "expected"), [f[1:] for f in FIELD_MERGING], ids=[f[0] for f in FIELD_MERGING]
)
def test_normalize_field_merging(entries: list[Any], managers: list[str], expected: set[Any]) -> None:
    result = normalize_conflicting_managers(entries, managers, SPEC)
    assert result.modified and result.managed_fields is not None
    [eno] = [e for e in result.managed_fields if e["manager"] == "eno" and e["operation"] == "Apply"]
    assert parse_fields_v1(eno["fieldsV1"]) == frozenset(expected)
    assert not {e["manager"] for e in result.managed_fields} & set(managers)


def test_normalize_time_is_the_latest() -> None:
    entries = [
        raw("eno", {"f:spec": {"f:a": {}}}, "Apply", apiVersion="v1", time="2026-01-01T00:00:00Z"),
        raw("legacy", {"f:spec": {"f:b": {}}}, time="2026-03-01T00:00:00Z"),
    ]
    result = normalize_conflicting_managers(entries, ["legacy"], ["spec"])
    assert result.managed_fields is not None and result.managed_fields[-1]["time"] == "2026-03-01T00:00:00Z"


def test_normalize_without_any_api_version_is_an_error_value() -> None:
    result = normalize_conflicting_managers([raw("legacy", {"f:spec": {"f:b": {}}})], ["legacy"], ["spec"])
    assert (
        not result.modified and result.error and "cannot synthesize eno managedFields entry" in result.error
    )


def obj(managed: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "x", "uid": "1", "resourceVersion": "5", "generation": 2}
    if managed is not None:
        metadata["managedFields"] = managed
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, **extra}


ENO_A = raw("eno", {"f:data": {"f:a": {}}}, "Apply")
ENO_A_REORDERED = raw("eno", {"f:data": {"f:a": {}, ".": {}}, "f:x": {}}, "Apply")
COMPARE = [
    ("both-null", None, None, True),
    ("one-null", obj(), None, False),
    ("same", obj([ENO_A], data={"a": "1"}), obj([ENO_A], data={"a": "1"}), True),
    (
        "bookkeeping-ignored",
        obj([ENO_A], data={"a": "1"}, status={"x": 1}),
        {
            **obj([ENO_A], data={"a": "1"}),
            "metadata": {"name": "x", "uid": "2", "resourceVersion": "9", "managedFields": [ENO_A]},
        },
        True,
    ),
    ("managed-fields-removed", obj([ENO_A], data={"a": "1"}), obj(None, data={"a": "1"}), False),
    ("eno-fields-differ", obj([ENO_A]), obj([ENO_A_REORDERED]), False),
    ("value-differs", obj([ENO_A], data={"a": "1"}), obj([ENO_A], data={"a": "2"}), False),
    ("no-eno-entries", obj([raw("x", {})], data={}), obj([], data={}), True),
    ("first-eno-entry-counts", obj([ENO_A, raw("eno", {"f:z": {}})]), obj([ENO_A]), True),
]


@pytest.mark.parametrize(("a", "b", "equal"), [c[1:] for c in COMPARE], ids=[c[0] for c in COMPARE])
def test_compare(a: Any, b: Any, equal: bool) -> None:
    assert compare(a, b) is equal
    assert compare(b, a) is equal


_elements = st.one_of(
    st.text(min_size=1, max_size=4).map(lambda s: "f:" + s),
    st.integers(0, 5).map(lambda i: f"i:{i}"),
    st.text(max_size=3).map(lambda s: 'k:{"name":' + json.dumps(s) + "}"),
)


@given(st.sets(st.lists(_elements, min_size=1, max_size=4).map(tuple), max_size=8))
def test_fields_v1_round_trip(paths: set[tuple[str, ...]]) -> None:
    assert parse_fields_v1(to_fields_v1(paths)) == frozenset(paths)
