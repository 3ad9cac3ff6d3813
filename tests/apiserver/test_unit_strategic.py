"""Strategic merge patch for built-in kinds: merge keys, directives and kube's replacement rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eno.apiserver.errors import ApiError
from eno.apiserver.ssa import builtin_list_types
from eno.apiserver.strategic import apply_strategic_merge_patch

APPS = builtin_list_types("apps", "Deployment")
SERVICE = builtin_list_types("", "Service")


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"a": "1", "b": "2"}, "finalizers": ["x.io/a", "x.io/b"]},
        "spec": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "app:1",
                            "args": ["x", "y"],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                        },
                        {"name": "side", "image": "side:1"},
                    ],
                    "volumes": [{"name": "v", "emptyDir": {}}],
                }
            },
        },
    }


def pod_spec(patch: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": patch}}}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return found


CASES: list[tuple[str, dict[str, Any], Any]] = [
    (
        "container-field-merges-by-name",
        pod_spec({"containers": [{"name": "side", "image": "side:2"}]}),
        lambda o: [c["image"] for c in containers(o)] == ["app:1", "side:2"],
    ),
    (
        "new-container-appended",
        pod_spec({"containers": [{"name": "new", "image": "n"}]}),
        lambda o: [c["name"] for c in containers(o)] == ["app", "side", "new"],
    ),
    (
        "delete-directive-removes-item",
        pod_spec({"containers": [{"name": "side", "$patch": "delete"}]}),
        lambda o: [c["name"] for c in containers(o)] == ["app"],
    ),
    (
        "replace-directive-replaces-list",
        pod_spec({"containers": [{"name": "only", "image": "o"}, {"$patch": "replace"}]}),
        lambda o: containers(o) == [{"name": "only", "image": "o"}],
    ),
    (
        "env-merges-by-name",
        pod_spec({"containers": [{"name": "app", "env": [{"name": "B", "value": "3"}, {"name": "C"}]}]}),
        lambda o: (
            containers(o)[0]["env"]
            == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C"}]
        ),
    ),
    (
        "ports-merge-by-container-port",
        pod_spec({"containers": [{"name": "app", "ports": [{"containerPort": 80, "name": "http"}]}]}),
        lambda o: containers(o)[0]["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "http"}],
    ),
    (
        "volume-mounts-merge-by-mount-path",
        pod_spec({"containers": [{"name": "app", "volumeMounts": [{"mountPath": "/w", "name": "w"}]}]}),
        lambda o: [m["mountPath"] for m in containers(o)[0]["volumeMounts"]] == ["/v", "/w"],
    ),
    (
        "atomic-list-replaced",
        pod_spec({"containers": [{"name": "app", "args": ["z"]}]}),
        lambda o: containers(o)[0]["args"] == ["z"],
    ),
    (
        "null-deletes",
        {"metadata": {"labels": {"a": None}}},
        lambda o: o["metadata"]["labels"] == {"b": "2"},
    ),
    (
        "map-replace-directive",
        {"metadata": {"labels": {"$patch": "replace", "c": "3"}}},
        lambda o: o["metadata"]["labels"] == {"c": "3"},
    ),
    (
        "map-delete-directive",
        {"metadata": {"labels": {"$patch": "delete"}}},
        lambda o: o["metadata"]["labels"] == {},
    ),
    (
        "finalizers-union",
        {"metadata": {"finalizers": ["x.io/b", "x.io/c"]}},
        lambda o: o["metadata"]["finalizers"] == ["x.io/a", "x.io/b", "x.io/c"],
    ),
    (
        "delete-from-primitive-list",
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x.io/a"]}},
        lambda o: o["metadata"]["finalizers"] == ["x.io/b"],
    ),
    (
        "retain-keys",
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        lambda o: o["spec"]["strategy"] == {"type": "Recreate"},
    ),
    (
        "set-element-order-tolerated",
        pod_spec({"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}]}),
        lambda o: [c["name"] for c in containers(o)] == ["app", "side"],
    ),
    (
        "new-map-drops-nulls-and-directives",
        {"spec": {"paused": True, "extra": {"a": None, "b": {"$patch": "replace", "c": 1}}}},
        lambda o: o["spec"]["paused"] is True and o["spec"]["extra"] == {"b": {"c": 1}},
    ),
    (
        "type-change-replaces",
        {"spec": {"strategy": "x"}},
        lambda o: o["spec"]["strategy"] == "x",
    ),
]


@pytest.mark.parametrize(("name", "patch", "check"), CASES, ids=[c[0] for c in CASES])
def test_strategic_merge_patch(name: str, patch: dict[str, Any], check: Any) -> None:
    original = deployment()
    snapshot = copy.deepcopy((original, patch))
    result = apply_strategic_merge_patch(original, patch, APPS)
    assert check(result), result
    assert (original, patch) == snapshot, "inputs are not mutated"


def test_service_ports_merge_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}
    result = apply_strategic_merge_patch(
        svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, SERVICE
    )
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]


ERRORS: list[tuple[str, Any, int]] = [
    ("not-an-object", [1], 400),
    ("missing-merge-key", pod_spec({"containers": [{"image": "x"}]}), 500),
    ("unknown-map-directive", {"metadata": {"labels": {"$patch": "sideways"}}}, 400),
    ("unknown-item-directive", pod_spec({"containers": [{"name": "app", "$patch": "merge"}]}), 400),
    ("retain-keys-mismatch", {"spec": {"strategy": {"$retainKeys": ["x"], "type": "Recreate"}}}, 400),
    ("retain-keys-not-a-list", {"spec": {"strategy": {"$retainKeys": "type"}}}, 400),
]


@pytest.mark.parametrize(("name", "patch", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_malformed_patches(name: str, patch: Any, code: int) -> None:
    with pytest.raises(ApiError) as caught:
        apply_strategic_merge_patch(deployment(), patch, APPS)
    assert caught.value.code == code
