"""The KRM ResourceList and the Patch pseudo-kind."""

from __future__ import annotations

from typing import Any

import pytest

from eno.api.v1.krm import ResourceList, function_config
from eno.api.v1.patch import Patch, is_patch, parse_api_version


def test_resource_list_output_with_results() -> None:
    doc = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}],
        "results": [
            {"message": "note"},
            {"message": "bad", "severity": "error", "field": {"path": "x"}},
        ],
    }
    rl = ResourceList.from_dict(doc)
    assert rl.failed
    assert [r.is_error for r in rl.results] == [False, True]  # no severity is not an error (quirk 11)
    assert rl.results[1].unknown_fields == {"field": {"path": "x"}}
    assert rl.to_dict() == doc


def test_function_config_has_top_level_optional_refs() -> None:
    rl = ResourceList(items=(), function_config=function_config(["a", "b"]))
    assert rl.to_dict() == {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": [],
        "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap", "optionalRefs": ["a", "b"]},
    }


def patch(ops: list[dict[str, Any]], api_version: str = "apps/v1") -> Patch:
    return Patch.from_dict(
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Patch",
            "metadata": {"name": "target", "namespace": "ns"},
            "patch": {"apiVersion": api_version, "kind": "Deployment", "ops": ops},
        }
    )


@pytest.mark.parametrize(
    ("ops", "deletes"),
    [
        pytest.param([], False, id="no-ops"),
        pytest.param(
            [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "2024-01-01T00:00:00Z"}],
            True,
            id="add",
        ),
        pytest.param(
            [{"op": "test", "path": "/metadata/deletionTimestamp", "value": "x"}], True, id="op-type-ignored"
        ),
        pytest.param(
            [{"op": "add", "path": "/metadata/deletionTimestamp", "value": ""}], False, id="empty-string"
        ),
        pytest.param(
            [{"op": "add", "path": "/metadata/deletionTimestamp", "value": 1}], False, id="not-a-string"
        ),
        pytest.param([{"op": "remove", "path": "/spec/replicas"}], False, id="other-path"),
    ],
)
def test_patch_deletes_target(ops: list[dict[str, Any]], deletes: bool) -> None:
    assert patch(ops).deletes_target is deletes


def test_patch_keeps_explicit_null_values() -> None:
    p = patch([{"op": "replace", "path": "/spec/x", "value": None}])
    assert p.to_dict()["patch"]["ops"] == [{"op": "replace", "path": "/spec/x", "value": None}]
    assert (p.target_name, p.target_namespace) == ("target", "ns")
    assert is_patch(p.to_dict())
    assert not is_patch({"apiVersion": "v1", "kind": "Patch"})


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("v1", ("", "v1")),
        ("apps/v1", ("apps", "v1")),
        ("", None),
        ("a/b/c", None),
        ("/v1", None),
        ("apps/", None),
    ],
)
def test_parse_api_version(text: str, parsed: tuple[str, str] | None) -> None:
    assert parse_api_version(text) == parsed
    assert patch([], api_version=text).target_group_version() == parsed
