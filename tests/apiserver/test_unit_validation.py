"""ObjectMeta and write-option validation: kube's paths, messages and limits."""

from __future__ import annotations

from typing import Any

import pytest

from eno.apiserver import errors
from eno.apiserver.errors import ApiError
from eno.apiserver.validation import (
    TOTAL_ANNOTATION_SIZE_LIMIT,
    annotations_size,
    finalizer_warnings,
    validate_object_meta,
    validate_object_meta_update,
    validate_write_options,
)

UID = "6a7c0f36-1111-2222-3333-444455556666"


def meta(**fields: Any) -> dict[str, Any]:
    return {"name": "x", "namespace": "default", **fields}


def messages(causes: list[dict[str, Any]]) -> list[str]:
    return [errors.field_error_string(c) for c in causes]


def check(m: dict[str, Any], resource: str = "configmaps", group: str = "", **kw: Any) -> list[str]:
    kw.setdefault("namespaced", True)
    kw.setdefault("builtin", False)
    return messages(validate_object_meta(m, group, resource, **kw))


def test_valid_meta() -> None:
    m = meta(
        labels={"app.kubernetes.io/name": "web", "tier": ""},
        annotations={"Example.COM/Key": "v"},
        finalizers=["eno.azure.io/cleanup"],
        ownerReferences=[
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": UID, "controller": True}
        ],
        managedFields=[{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1"}],
        generation=3,
    )
    assert check(m) == []


@pytest.mark.parametrize(
    ("m", "expected"),
    [
        pytest.param(
            {"namespace": "default"},
            ["metadata.name: Required value: name or generateName is required"],
            id="no-name",
        ),
        pytest.param(
            meta(name="Bad_Name"),
            ['metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123'],
            id="name",
        ),
        pytest.param(
            meta(generateName="Web-"),
            ['metadata.generateName: Invalid value: "Web-": a lowercase'],
            id="generate-name",
        ),
        pytest.param({"name": "x"}, ["metadata.namespace: Required value"], id="namespace-required"),
        pytest.param(
            meta(namespace="a.b"),
            ['metadata.namespace: Invalid value: "a.b": a lowercase RFC 1123 label'],
            id="ns",
        ),
        pytest.param(
            meta(generation=-1),
            ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"],
            id="generation",
        ),
        pytest.param(
            meta(labels={"bad key": "v"}),
            ['metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters'],
            id="label-key",
        ),
        pytest.param(
            meta(labels={"k": "-v"}),
            ['metadata.labels: Invalid value: "-v": a valid label must be an empty string'],
            id="label-value",
        ),
        pytest.param(
            meta(annotations={"a/b/c": "v"}),
            ['metadata.annotations: Invalid value: "a/b/c": a qualified name must consist of'],
            id="annotation-key",
        ),
        pytest.param(
            meta(finalizers=["bad finalizer"]),
            ['metadata.finalizers: Invalid value: "bad finalizer": name part must consist'],
            id="finalizer",
        ),
        pytest.param(
            meta(finalizers=["orphan", "foregroundDeletion"]),
            [
                'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and '
                "foregroundDeletion cannot be both set"
            ],
            id="orphan-and-foreground",
        ),
        pytest.param(
            meta(ownerReferences=[{"apiVersion": "", "kind": "", "name": "", "uid": ""}]),
            [
                'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
                'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
                'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
                'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
            ],
            id="owner-reference-fields",
        ),
        pytest.param(
            meta(
                ownerReferences=[
                    {"apiVersion": "v1", "kind": "A", "name": "a", "uid": UID, "controller": True},
                    {"apiVersion": "v1", "kind": "B", "name": "b", "uid": UID, "controller": True},
                ]
            ),
            [
                'metadata.ownerReferences: Invalid value: ["A/a","B/b"]: Only one reference can have '
                'Controller set to true. Found "true" in references for A/a and B/b'
            ],
            id="two-controllers",
        ),
        pytest.param(
            meta(managedFields=[{"manager": "m", "operation": "Patch", "fieldsType": "FieldsV2"}]),
            [
                'metadata.managedFields[0].operation: Invalid value: "Patch": must be `Apply` or `Update`',
                'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
            ],
            id="managed-fields",
        ),
        pytest.param(
            meta(managedFields=[{"manager": "m" * 129, "operation": "Update"}]),
            ["metadata.managedFields[0].manager: Too long: may not be more than 128 bytes"],
            id="manager-too-long",
        ),
    ],
)
def test_object_meta_errors(m: dict[str, Any], expected: list[str]) -> None:
    got = check(m)
    assert len(got) == len(expected), got
    for text, prefix in zip(got, expected, strict=True):
        assert text.startswith(prefix), text


def test_cluster_scoped_forbids_namespace() -> None:
    assert check(meta(), "namespaces", namespaced=False) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]


def test_name_rule_per_resource() -> None:
    assert check(
        meta(name="system:admin"), "clusterroles", "rbac.authorization.k8s.io", namespaced=False
    ) == ["metadata.namespace: Forbidden: not allowed on this type"]
    assert check({"name": "a.b"}, "namespaces", namespaced=False)[0].startswith(
        'metadata.name: Invalid value: "a.b"'
    )


def test_annotation_size_limit() -> None:
    just_fits = {"k": "v" * (TOTAL_ANNOTATION_SIZE_LIMIT - 1)}
    assert annotations_size(just_fits) == TOTAL_ANNOTATION_SIZE_LIMIT
    assert check(meta(annotations=just_fits)) == []
    too_big = {"k": "v" * TOTAL_ANNOTATION_SIZE_LIMIT}
    assert check(meta(annotations=too_big)) == [
        "metadata.annotations: Too long: may not be more than 262144 bytes"
    ]


def test_annotation_size_counts_utf8_bytes() -> None:
    assert annotations_size({"k": "é"}) == 3


def test_builtin_finalizers_must_be_standard_or_qualified() -> None:
    assert check(meta(finalizers=["kubernetes", "orphan"]), builtin=True) == []
    assert check(meta(finalizers=["mine"]), builtin=True) == [
        'metadata.finalizers: Invalid value: "mine": name is neither a standard finalizer name nor is it '
        "fully qualified"
    ]
    assert check(meta(finalizers=["mine"]), "widgets", "example.com", builtin=False) == []


def test_finalizer_warnings_for_custom_resources() -> None:
    assert finalizer_warnings(["eno.azure.io/x", "orphan", "mine", "mine"]) == [
        'metadata.finalizers: "mine": prefer a domain-qualified finalizer name including a path (/) to avoid '
        "accidental conflicts with other finalizer writers"
    ]


def test_invalid_error_built_from_causes() -> None:
    err = errors.invalid(
        "", "ConfigMap", "Bad", validate_object_meta(meta(name="Bad"), "", "configmaps", namespaced=True)
    )
    assert err.code == 422
    assert err.message.startswith(
        'ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase'
    )


OLD = {
    "name": "x",
    "namespace": "default",
    "uid": UID,
    "resourceVersion": "5",
    "creationTimestamp": "2026-01-01T00:00:00Z",
    "generation": 2,
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, [], id="unchanged"),
        pytest.param({"labels": {"a": "b"}}, [], id="labels-change"),
        pytest.param({"name": "y"}, ['metadata.name: Invalid value: "y": field is immutable'], id="name"),
        pytest.param(
            {"uid": "other"}, ['metadata.uid: Invalid value: "other": field is immutable'], id="uid"
        ),
        pytest.param(
            {"resourceVersion": ""},
            ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
            id="rv",
        ),
        pytest.param(
            {"generation": 1},
            ["metadata.generation: Invalid value: 1: must not be decremented"],
            id="generation",
        ),
        pytest.param(
            {"labels": {"a": "-"}},
            ['metadata.labels: Invalid value: "-": a valid label must be an empty string'],
            id="labels-validated",
        ),
    ],
)
def test_object_meta_update(changes: dict[str, Any], expected: list[str]) -> None:
    got = messages(validate_object_meta_update({**OLD, **changes}, OLD))
    assert len(got) == len(expected), got
    for text, prefix in zip(got, expected, strict=True):
        assert text.startswith(prefix), text


def test_no_new_finalizers_while_deleting() -> None:
    old = {**OLD, "deletionTimestamp": "2026-01-02T00:00:00Z", "finalizers": ["a.io/x"]}
    new = {**old, "finalizers": ["a.io/x", "b.io/y"]}
    assert messages(validate_object_meta_update(new, old)) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"b.io/y"}'
    ]
    assert validate_object_meta_update({**old, "finalizers": []}, old) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"kind": "CreateOptions", "dry_run": ["Some"]},
            'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: '
            'supported values: "All"',
            id="dry-run",
        ),
        pytest.param(
            {"kind": "UpdateOptions", "field_validation": "Loud"},
            'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": '
            'supported values: "", "Ignore", "Strict", "Warn"',
            id="field-validation",
        ),
        pytest.param(
            {"kind": "CreateOptions", "field_manager": "m" * 129},
            'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
            id="field-manager-length",
        ),
        pytest.param(
            {"kind": "PatchOptions", "patch_type": "application/apply-patch+yaml"},
            'PatchOptions.meta.k8s.io "" is invalid: '
            "fieldManager: Required value: is required for apply patch",
            id="apply-needs-manager",
        ),
        pytest.param(
            {"kind": "PatchOptions", "patch_type": "application/merge-patch+json", "force": True},
            'PatchOptions.meta.k8s.io "" is invalid: '
            "force: Forbidden: may not be specified for non-apply patch",
            id="force-only-for-apply",
        ),
        pytest.param(
            {"kind": "CreateOptions", "field_manager": "a\x07b"},
            'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\ab": '
            "invalid character U+0007 (at position 1)",
            id="field-manager-unprintable",
        ),
    ],
)
def test_write_options(kwargs: dict[str, Any], message: str) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(ApiError) as info:
        validate_write_options(kind, **kwargs)
    assert info.value.code == 422
    assert info.value.message == message


def test_write_options_valid() -> None:
    validate_write_options(
        "CreateOptions", field_manager="kubectl", dry_run=["All"], field_validation="Strict"
    )
    validate_write_options(
        "PatchOptions", field_manager="eno", patch_type="application/apply-patch+yaml", force=True
    )
