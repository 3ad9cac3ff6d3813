"""Parsing synthesized manifests into Resources: Eno's newResourceTests and kind_ordering tables, annotation
errors as values, and the snapshot (cascading flags, Eno metadata stripped)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.cel.engine import Engine, default_engine
from eno.resource.errors import ResourceError, Severity
from eno.resource.identity import GroupVersionKind, ManifestRef, Ref
from eno.resource.overrides import CompositionMetadata
from eno.resource.resource import MANAGED_KINDS, Resource, fnv1_64, parse_manifest, parse_object, preflight
from eno.resource.snapshot import snapshot

SLOT = ManifestRef("ns", "slice-1", 0)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


def parse(engine: Engine, obj: dict[str, Any], **kwargs: Any) -> Resource:
    resource = parse_manifest(json.dumps(obj), engine, SLOT, **kwargs)
    assert isinstance(resource, Resource), resource
    return resource


def cm(
    annotations: dict[str, str] | None = None, kind: str = "ConfigMap", api: str = "v1", **extra: Any
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "foo", "namespace": "bar"}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **extra}


def test_configmap(engine: Engine) -> None:
    r = parse(
        engine,
        cm(
            {
                "foo": "bar",
                "eno.azure.io/reconcile-interval": "10s",
                "eno.azure.io/readiness-group": "250",
                "eno.azure.io/readiness": "true",
                "eno.azure.io/readiness-test": "false",
                "eno.azure.io/replace": "true",
                "eno.azure.io/disable-updates": "true",
            }
        ),
    )
    assert r.gvk == GroupVersionKind("", "v1", "ConfigMap")
    assert r.ref == Ref("", "ConfigMap", "bar", "foo")
    assert str(r.ref) == "(.ConfigMap)/bar/foo"
    assert [c.name for c in r.readiness_checks] == ["default", "test"]
    assert r.readiness_group == 250
    assert r.deletion_group == 100  # managed kind, key absent
    assert r.errors == ()
    snap = snapshot(r, CompositionMetadata(), None)
    assert snap.reconcile_interval == datetime.timedelta(seconds=10)
    assert snap.replace and snap.disable_updates and not snap.disable


GROUPS = [
    ("zero-readiness-group", cm({"eno.azure.io/readiness-group": "0"}, kind="Thing"), 0, None),
    ("negative-readiness-group", cm({"eno.azure.io/readiness-group": "-10"}, kind="Thing"), -10, None),
    ("plus-sign", cm({"eno.azure.io/readiness-group": "+3"}, kind="Thing"), 3, None),
    ("deployment-defaults", cm(kind="Deployment", api="apps/v1"), 0, None),
    ("explicit-deletion-group", cm({"eno.azure.io/deletion-group": "7"}, kind="Deployment"), 0, 7),
    # kind_ordering_test: managed kinds default each group separately; an explicit annotation wins.
    ("managed-kind-defaults", cm(kind="Secret"), -100, 100),
    ("managed-readiness-annotation-wins", cm({"eno.azure.io/readiness-group": "5"}, kind="Secret"), 5, 100),
    ("managed-deletion-annotation-wins", cm({"eno.azure.io/deletion-group": "10"}, kind="Secret"), -100, 10),
    (
        "managed-both-annotations-win",
        cm({"eno.azure.io/readiness-group": "5", "eno.azure.io/deletion-group": "10"}, kind="Secret"),
        5,
        10,
    ),
    ("managed-any-group", cm(kind="Namespace", api="whatever.io/v9"), -100, 100),
    (
        "patch-target-kind-counts",
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Patch",
            "metadata": {"name": "x"},
            "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": []},
        },
        -100,
        100,
    ),
    # Our fix: an invalid value is ignored like an absent one (Eno gave 0, or panicked for deletion groups).
    (
        "invalid-readiness-on-managed-kind",
        cm({"eno.azure.io/readiness-group": "x"}, kind="Secret"),
        -100,
        100,
    ),
    (
        "invalid-deletion-on-managed-kind",
        cm({"eno.azure.io/deletion-group": "1.5"}, kind="Secret"),
        -100,
        100,
    ),
    ("invalid-readiness", cm({"eno.azure.io/readiness-group": " 1"}, kind="Thing"), 0, None),
    ("int64-overflow", cm({"eno.azure.io/readiness-group": "9223372036854775808"}, kind="Thing"), 0, None),
]


@pytest.mark.parametrize(
    ("obj", "readiness", "deletion"), [g[1:] for g in GROUPS], ids=[g[0] for g in GROUPS]
)
def test_groups(engine: Engine, obj: dict[str, Any], readiness: int, deletion: int | None) -> None:
    r = parse(engine, obj)
    assert (r.readiness_group, r.deletion_group) == (readiness, deletion)


@pytest.mark.parametrize("kind", sorted(MANAGED_KINDS))
def test_every_managed_kind(engine: Engine, kind: str) -> None:
    r = parse(engine, cm(kind=kind))
    assert (r.readiness_group, r.deletion_group) == (-100, 100)


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "Job", "Ingress", "Pod", "APIService"])
def test_unmanaged_kinds(engine: Engine, kind: str) -> None:
    r = parse(engine, cm(kind=kind))
    assert (r.readiness_group, r.deletion_group) == (0, None)


def test_patch(engine: Engine) -> None:
    obj = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": "foo", "namespace": "bar"},
        "patch": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "ops": [{"op": "add", "path": "/data/foo", "value": "bar"}],
        },
    }
    r = parse(engine, obj)
    assert r.is_patch
    assert r.ref == Ref("eno.azure.io", "Patch", "bar", "foo")
    assert r.gvk == GroupVersionKind("apps", "v1", "Deployment")
    snap = snapshot(r, CompositionMetadata(), None)
    assert len(snap.patch_ops) == 1 and not snap.deleted


PATCH_DELETION = [
    (
        "deletion-timestamp-add",
        [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "anything"}],
        True,
    ),
    ("any-verb", [{"op": "test", "path": "/metadata/deletionTimestamp", "value": "x"}], True),
    (
        "empty-string-is-not-deletion",
        [{"op": "add", "path": "/metadata/deletionTimestamp", "value": ""}],
        False,
    ),
    ("non-string-is-not-deletion", [{"op": "add", "path": "/metadata/deletionTimestamp", "value": 1}], False),
    ("other-path", [{"op": "add", "path": "/metadata/labels", "value": "x"}], False),
    ("no-ops", [], False),
]


@pytest.mark.parametrize(
    ("ops", "deleted"), [p[1:] for p in PATCH_DELETION], ids=[p[0] for p in PATCH_DELETION]
)
def test_patch_deletion(engine: Engine, ops: list[Any], deleted: bool) -> None:
    obj = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": "foo"},
        "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": ops},
    }
    assert snapshot(parse(engine, obj), CompositionMetadata(), None).deleted is deleted


def test_crd(engine: Engine) -> None:
    obj = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "foo"},
        "spec": {"group": "test-group", "names": {"kind": "TestKind"}},
    }
    assert parse(engine, obj).defined_group_kind == ("test-group", "TestKind")
    del obj["spec"]
    assert parse(engine, obj).defined_group_kind == ("", "")
    assert parse(engine, cm()).defined_group_kind is None


def test_status_and_creation_timestamp_dropped(engine: Engine) -> None:
    obj = cm(status={"x": 1})
    obj["metadata"]["creationTimestamp"] = None
    r = parse(engine, obj)
    assert r.manifest == cm()


INVALID = [
    ("bad-json", "{", "manifest", "invalid JSON"),
    ("not-an-object", "[]", "manifest", "JSON object"),
    (
        "missing-name",
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
        "metadata.name",
        "required",
    ),
    ("missing-kind", json.dumps({"apiVersion": "v1", "metadata": {"name": "x"}}), "kind", "required"),
    ("missing-api-version", json.dumps({"kind": "X", "metadata": {"name": "x"}}), "apiVersion", "required"),
    (
        "name-wrong-type",
        json.dumps({"apiVersion": "v1", "kind": "X", "metadata": {"name": 1}}),
        "metadata.name",
        "string",
    ),
    (
        "bad-api-version",
        json.dumps({"apiVersion": "a/b/c", "kind": "X", "metadata": {"name": "x"}}),
        "apiVersion",
        "GroupVersion",
    ),
    (
        "patch-without-target",
        json.dumps({"apiVersion": "eno.azure.io/v1", "kind": "Patch", "metadata": {"name": "x"}}),
        "patch",
        "patch",
    ),
    (
        "patch-bad-api-version",
        json.dumps(
            {
                "apiVersion": "eno.azure.io/v1",
                "kind": "Patch",
                "metadata": {"name": "x"},
                "patch": {"apiVersion": "a/b/c", "kind": "X"},
            }
        ),
        "patch",
        "GroupVersion",
    ),
]


@pytest.mark.parametrize(("text", "field", "message"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_manifest_is_an_error_value(engine: Engine, text: str, field: str, message: str) -> None:
    result = parse_manifest(text, engine, SLOT)
    assert isinstance(result, ResourceError)
    assert result.field == field and message in result.message
    assert result.resource in (str(SLOT), "(eno.azure.io.Patch)//x")


ANNOTATION_ERRORS = [
    ("bad-fail-open", {"eno.azure.io/fail-open": "yes"}, "fail-open", Severity.ERROR),
    ("bad-readiness-group", {"eno.azure.io/readiness-group": "one"}, "readiness-group", Severity.ERROR),
    ("bad-deletion-group", {"eno.azure.io/deletion-group": ""}, "deletion-group", Severity.ERROR),
    ("bad-readiness-cel", {"eno.azure.io/readiness-x": "self.("}, "readiness-x", Severity.ERROR),
    ("bad-overrides", {"eno.azure.io/overrides": "nope"}, "overrides", Severity.ERROR),
    ("unknown-annotation", {"eno.azure.io/extra-annotation": "x"}, "extra-annotation", Severity.WARNING),
    (
        "reserved-readiness-group",
        {"eno.azure.io/readiness-group": "-60"},
        "readiness-group",
        Severity.WARNING,
    ),
    ("reserved-deletion-group", {"eno.azure.io/deletion-group": "60"}, "deletion-group", Severity.WARNING),
    ("flag-not-exactly-true", {"eno.azure.io/replace": "True"}, "replace", Severity.WARNING),
    (
        "bad-interval",
        {"eno.azure.io/reconcile-interval": "5 minutes"},
        "reconcile-interval",
        Severity.WARNING,
    ),
    ("unknown-strategy", {"eno.azure.io/deletion-strategy": "keep"}, "deletion-strategy", Severity.WARNING),
]


@pytest.mark.parametrize(
    ("annotations", "key", "severity"),
    [a[1:] for a in ANNOTATION_ERRORS],
    ids=[a[0] for a in ANNOTATION_ERRORS],
)
def test_annotation_errors_are_values(
    engine: Engine, annotations: dict[str, str], key: str, severity: Severity
) -> None:
    r = parse(engine, cm(annotations, kind="Thing"))
    [error] = r.errors
    assert error.resource == "(.Thing)/bar/foo"
    assert error.field == f'metadata.annotations["eno.azure.io/{key}"]'
    assert error.severity is severity
    assert (r.strict_errors == ()) is (severity is Severity.WARNING)


def test_annotations_of_wrong_type(engine: Engine) -> None:
    obj = cm(kind="Thing")
    obj["metadata"]["annotations"] = {"eno.azure.io/readiness-group": 3, "other": 1}
    r = parse(engine, obj)
    assert r.readiness_group == 0
    assert [e.field for e in r.errors] == ['metadata.annotations["eno.azure.io/readiness-group"]']
    obj["metadata"]["annotations"] = ["x"]
    assert [e.field for e in parse(engine, obj).errors] == ["metadata.annotations"]


FAIL_OPEN = [("true", True), ("T", True), ("1", True), ("False", False), ("0", False), ("f", False)]


@pytest.mark.parametrize(("value", "expected"), FAIL_OPEN, ids=[v for v, _ in FAIL_OPEN])
def test_fail_open_go_bools(engine: Engine, value: str, expected: bool) -> None:
    assert parse(engine, cm({"eno.azure.io/fail-open": value})).fail_open is expected
    assert parse(engine, cm()).fail_open is None


def test_readiness_checks_sorted_and_named(engine: Engine) -> None:
    r = parse(
        engine,
        cm(
            {
                "eno.azure.io/readiness-zeta": "true",
                "eno.azure.io/readiness": "true",
                "eno.azure.io/readiness-alpha": "true",
                "eno.azure.io/readinessodd": "true",
                "eno.azure.io/readiness-group": "1",
            }
        ),
    )
    assert [c.name for c in r.readiness_checks] == ["alpha", "default", "eno.azure.io/readinessodd", "zeta"]


def test_manifest_hash_is_fnv1_of_the_text(engine: Engine) -> None:
    text = json.dumps(cm())
    r = parse_manifest(text, engine, SLOT)
    assert isinstance(r, Resource) and r.manifest_hash == fnv1_64(text.encode())
    assert fnv1_64(b"") == 0xCBF29CE484222325
    assert fnv1_64(b"a") == 0xAF63BD4C8601B7BE  # FNV-1 (not 1a) test vector


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )
)
def test_parse_never_raises(obj: Any) -> None:
    engine = default_engine()
    for candidate in (obj, {"apiVersion": "v1", "kind": "K", "metadata": {"name": "n", "annotations": obj}}):
        result = parse_object(candidate, engine, SLOT)
        assert isinstance(result, Resource | ResourceError)


# --- Snapshot: cascading flags read after overrides, composition fallback, metadata stripping ---


def flags(
    engine: Engine, annotations: dict[str, str], composition: dict[str, str] | None = None
) -> dict[str, Any]:
    snap = snapshot(
        parse(engine, cm(annotations, kind="Thing")), CompositionMetadata(annotations=composition or {}), None
    )
    return {
        "disable": snap.disable,
        "disable_updates": snap.disable_updates,
        "replace": snap.replace,
        "orphan": snap.orphan,
        "foreground": snap.foreground,
        "interval": snap.reconcile_interval,
        "use_default": snap.use_default_interval,
    }


CASCADES = [
    ("resource-flag", {"eno.azure.io/disable-reconciliation": "true"}, {}, "disable", True),
    ("composition-flag", {}, {"eno.azure.io/replace": "true"}, "replace", True),
    (
        "resource-empty-value-wins",
        {"eno.azure.io/replace": ""},
        {"eno.azure.io/replace": "true"},
        "replace",
        False,
    ),
    ("exact-true-only", {"eno.azure.io/disable-updates": "True"}, {}, "disable_updates", False),
    ("orphan-case-insensitive", {"eno.azure.io/deletion-strategy": "Orphan"}, {}, "orphan", True),
    ("foreground", {"eno.azure.io/deletion-strategy": "FOREGROUND"}, {}, "foreground", True),
    (
        "interval",
        {"eno.azure.io/reconcile-interval": "1h30m"},
        {},
        "interval",
        datetime.timedelta(minutes=90),
    ),
    (
        "interval-from-composition",
        {},
        {"eno.azure.io/reconcile-interval": "100ms"},
        "interval",
        datetime.timedelta(milliseconds=100),
    ),
    # Our fix: Eno turned an unparseable interval into 0 (then the 1s floor); we ignore it.
    ("invalid-interval-ignored", {"eno.azure.io/reconcile-interval": "soon"}, {}, "interval", None),
    ("use-default", {}, {"eno.azure.io/use-default-reconcile-interval": "true"}, "use_default", True),
]


@pytest.mark.parametrize(
    ("annotations", "composition", "flag", "value"), [c[1:] for c in CASCADES], ids=[c[0] for c in CASCADES]
)
def test_cascading_flags(engine: Engine, annotations: Any, composition: Any, flag: str, value: Any) -> None:
    assert flags(engine, annotations, composition)[flag] == value


def test_overrides_can_flip_cascading_flags(engine: Engine) -> None:
    overrides = json.dumps(
        [
            {
                "path": "self.metadata.annotations['eno.azure.io/disable-reconciliation']",
                "value": "true",
                "condition": "composition.metadata.annotations['owner'] != 'true'",
            }
        ]
    )
    r = parse(engine, cm({"eno.azure.io/overrides": overrides}))
    assert snapshot(r, CompositionMetadata(annotations={"owner": "false"}), None).disable
    assert not snapshot(r, CompositionMetadata(annotations={"owner": "true"}), None).disable
    # The non-owner composition has no annotation at all: an absent key reads as "" (migration.md).
    assert snapshot(r, CompositionMetadata(), None).disable


PATCH_ORPHAN = [
    ("plain-patch-target-kept", [{"op": "add", "path": "/data/a", "value": "b"}], {}, True),
    ("empty-patch-target-kept", [], {}, True),
    (
        "delete-patch-deletes",
        [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "now"}],
        {},
        False,
    ),
    (
        "strategy-has-no-effect-on-patches",
        [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "now"}],
        {"eno.azure.io/deletion-strategy": "orphan"},
        False,
    ),
]


@pytest.mark.parametrize(
    ("ops", "composition", "orphan"), [p[1:] for p in PATCH_ORPHAN], ids=[p[0] for p in PATCH_ORPHAN]
)
def test_patch_targets_survive_composition_deletion(
    engine: Engine, ops: list[Any], composition: dict[str, str], orphan: bool
) -> None:
    # Our fix (api.md §10.10): Eno deleted the target of every Patch when the composition was deleted.
    obj = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": "x"},
        "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": ops},
    }
    snap = snapshot(
        parse(engine, obj, composition_deleted=True), CompositionMetadata(annotations=composition), None
    )
    assert snap.deleted
    assert snap.orphan is orphan


def test_override_can_turn_a_patch_into_a_delete_patch(engine: Engine) -> None:
    # PatchDeleteOnCompositionDeletion: the deletion op is injected only while the composition is deleting.
    overrides = json.dumps(
        [
            {
                "path": "self.patch.ops",
                "value": [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "now"}],
                "condition": "composition.metadata.deletionTimestamp != null",
            }
        ]
    )
    obj = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": "x", "annotations": {"eno.azure.io/overrides": overrides}},
        "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": []},
    }
    live = snapshot(parse(engine, obj), CompositionMetadata(), {})
    assert not live.deleted and live.patch_ops == []
    deleting = CompositionMetadata(deletion_timestamp="2026-01-01T00:00:00Z")
    gone = snapshot(parse(engine, obj, composition_deleted=True), deleting, {})
    assert gone.deleted and not gone.orphan


def test_eno_metadata_stripped(engine: Engine) -> None:
    obj = cm(
        {
            "test-annotation": "keep",
            "eno.azure.io/extra-annotation": "drop",
            "eno.azure.io/reconcile-interval": "10s",
        }
    )
    obj["metadata"]["labels"] = {"test-label": "keep", "eno.azure.io/extra-label": "drop"}
    snap = snapshot(parse(engine, obj), CompositionMetadata(), None)
    assert snap.obj["metadata"] == {
        "name": "foo",
        "namespace": "bar",
        "annotations": {"test-annotation": "keep"},
        "labels": {"test-label": "keep"},
    }
    only_eno = cm({"eno.azure.io/replace": "true"})
    only_eno["metadata"]["labels"] = {"eno.azure.io/x": "y"}
    assert snapshot(parse(engine, only_eno), CompositionMetadata(), None).obj["metadata"] == {
        "name": "foo",
        "namespace": "bar",
    }


DELETED = [
    ("plain", {}, {}, False),
    ("tombstone", {"deleted": True}, {}, True),
    ("composition-deleted", {"composition_deleted": True}, {}, True),
    ("disabled", {}, {"eno.azure.io/disable-reconciliation": "true"}, True),
]


@pytest.mark.parametrize(
    ("kwargs", "annotations", "deleted"), [d[1:] for d in DELETED], ids=[d[0] for d in DELETED]
)
def test_deleted(engine: Engine, kwargs: dict[str, bool], annotations: dict[str, str], deleted: bool) -> None:
    assert snapshot(parse(engine, cm(annotations), **kwargs), CompositionMetadata(), None).deleted is deleted


def test_snapshot_of_previous_manifest_with_new_overrides(engine: Engine) -> None:
    new = parse(
        engine,
        cm(
            {"eno.azure.io/overrides": json.dumps([{"path": "self.data.a", "value": "o"}])}, data={"a": "new"}
        ),
    )
    snap = snapshot(new, CompositionMetadata(), None, manifest=cm(data={"a": "old", "b": "old"}))
    assert snap.obj["data"] == {"a": "o", "b": "old"}


PREFLIGHT = [
    ("valid", cm({"eno.azure.io/readiness": "true", "eno.azure.io/unknown": "x"}), []),
    ("missing-name", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, ["items[2]: metadata.name"]),
    (
        "bad-overrides",
        cm({"eno.azure.io/overrides": "[1]"}),
        ["(.ConfigMap)/bar/foo: " + 'metadata.annotations["eno.azure.io/overrides"][0]'],
    ),
    (
        "bad-group",
        cm({"eno.azure.io/deletion-group": "x"}),
        ["(.ConfigMap)/bar/foo: " + 'metadata.annotations["eno.azure.io/deletion-group"]'],
    ),
    (
        "bad-patch-target",
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Patch",
            "metadata": {"name": "p"},
            "patch": {"apiVersion": "a/b/c", "kind": "X"},
        },
        ["(eno.azure.io.Patch)//p: patch"],
    ),
]


@pytest.mark.parametrize(("obj", "problems"), [p[1:] for p in PREFLIGHT], ids=[p[0] for p in PREFLIGHT])
def test_preflight(engine: Engine, obj: dict[str, Any], problems: list[str]) -> None:
    assert [f"{e.resource}: {e.field}" for e in preflight(obj, engine, 2)] == problems


def test_snapshot_object_is_the_callers_to_modify(engine: Engine) -> None:
    r = parse(engine, cm(data={"a": "1"}))
    snap = snapshot(r, CompositionMetadata(), None)
    snap.obj["metadata"]["resourceVersion"] = "7"
    snap.obj["data"]["a"] = "changed"
    assert r.manifest == cm(data={"a": "1"})


def test_deep_override_does_not_crash_the_snapshot(engine: Engine) -> None:
    deep = json.dumps([{"path": "self" + ".a" * 3000, "value": 1}])
    snap = snapshot(parse(engine, cm({"eno.azure.io/overrides": deep})), CompositionMetadata(), None)
    assert [o.status.value for o in snap.outcomes] == ["PathTypeMismatch"]
