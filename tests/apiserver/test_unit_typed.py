"""Built-in kinds' bodies of the wrong JSON type: the Go decoder's 400 and the typed-patch 500."""

from __future__ import annotations

from typing import Any

import pytest

from eno.apiserver import typed

QUANTITY = {"name": "a", "resources": {"limits": {"cpu": 1}}}

CASES: list[tuple[str, str, str, Any, str | None, str | None]] = [
    (
        "configmap-data-string",
        "",
        "ConfigMap",
        {"data": "wrongType"},
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go '
        "struct field ConfigMap.data of type map[string]string",
        "failed to create typed patch object (/v1, Kind=ConfigMap): .data: expected map, "
        "got &{wrongType} string",
    ),
    (
        "replicas-string",
        "apps",
        "Deployment",
        {"spec": {"replicas": "three"}},
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go '
        "struct field DeploymentSpec.spec.replicas of type int32",
        "failed to create typed patch object (apps/v1, Kind=Deployment): .spec.replicas: "
        "expected numeric (int or float), got &{three} string",
    ),
    (
        "containers-object",
        "apps",
        "Deployment",
        {"spec": {"template": {"spec": {"containers": {"name": "a"}}}}},
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal object into Go '
        "struct field PodSpec.spec.template.spec.containers of type []v1.Container",
        "failed to create typed patch object (apps/v1, Kind=Deployment): .spec.template.spec.containers: "
        "expected list, got &{map[name:a]} map[string]interface {}",
    ),
    (
        "container-port-string",
        "apps",
        "Deployment",
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": "80"}]}]}}}},
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go '
        "struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32",
        "failed to create typed patch object (apps/v1, Kind=Deployment): "
        '.spec.template.spec.containers[name="a"].ports[0].containerPort: expected numeric (int or float), '
        "got &{80} string",
    ),
    (
        "fraction-for-int64",
        "",
        "Pod",
        {"spec": {"terminationGracePeriodSeconds": 1.5}},
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 1.5 into Go struct '
        "field PodSpec.spec.terminationGracePeriodSeconds of type int64",
        None,
    ),
    (
        "bool-from-string",
        "",
        "ConfigMap",
        {"immutable": "yes"},
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go '
        "struct field ConfigMap.immutable of type bool",
        "failed to create typed patch object (/v1, Kind=ConfigMap): .immutable: expected boolean, got &{yes} "
        "string",
    ),
    (
        "quantity-number",
        "apps",
        "Deployment",
        _q := {
            "spec": {
                "template": {"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": 1}}}]}}
            }
        },
        None,
        None,
    ),
    ("int-or-string", "", "Service", {"spec": {"ports": [{"port": 80, "targetPort": "http"}]}}, None, None),
    ("nulls", "", "ConfigMap", {"data": None, "metadata": None}, None, None),
    ("unknown-fields", "", "ConfigMap", {"bogus": {"x": 1}}, None, None),
]


@pytest.mark.parametrize(
    ("group", "kind", "obj", "decode", "patch"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_type_problems(group: str, kind: str, obj: Any, decode: str | None, patch: str | None) -> None:
    problem = typed.find_problem(group, "v1", kind, obj)
    if decode is None:
        assert problem is None
    else:
        assert problem is not None
        err = typed.decode_error(kind, "v1", problem)
        assert (err.code, err.reason, err.message) == (400, "BadRequest", decode)
    applied = typed.find_problem(group, "v1", kind, obj, typed_patch=True)
    if patch is None:
        assert applied is None
    else:
        assert applied is not None
        err = typed.typed_patch_error(group, "v1", kind, applied)
        assert (err.code, err.message) == (500, patch)


def test_custom_kinds_have_no_go_types() -> None:
    assert typed.find_problem("example.com", "v1", "Widget", {"spec": "x"}) is None
