"""The printer-column JSONPath subset, against kube's jsonpath semantics."""

from __future__ import annotations

from typing import Any

import pytest

from eno.apiserver.jsonpath import JSONPathError, find

OBJ: dict[str, Any] = {
    "metadata": {"name": "w", "labels": {"example.com/tier": "db", "app": "x"}},
    "spec": {"replicas": 3, "items": [{"name": "a", "n": 1}, {"name": "b", "n": 2}, {"name": "c", "n": 3}]},
    "status": {
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "Done"},
            {"type": "Synced", "status": "False"},
        ]
    },
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(".spec.replicas", [3], id="dotted"),
        pytest.param("{.spec.replicas}", [3], id="braces"),
        pytest.param("$.spec.replicas", [3], id="dollar"),
        pytest.param("spec.replicas", [3], id="no-leading-dot"),
        pytest.param(".spec.missing", [], id="missing"),
        pytest.param(".spec.replicas.deeper", [], id="through-scalar"),
        pytest.param(".spec.items[0].name", ["a"], id="index"),
        pytest.param(".spec.items[-1].name", ["c"], id="negative-index"),
        pytest.param(".spec.items[5].name", [], id="index-out-of-range"),
        pytest.param(".spec.items[*].name", ["a", "b", "c"], id="wildcard"),
        pytest.param(".spec.items.*.n", [1, 2, 3], id="dot-wildcard"),
        pytest.param(".spec.items[0:2].name", ["a", "b"], id="slice"),
        pytest.param(".spec.items[::2].name", ["a", "c"], id="slice-step"),
        pytest.param(".spec.items[0,2].name", ["a", "c"], id="union"),
        pytest.param(".metadata['name']", ["w"], id="bracket-name"),
        pytest.param('.metadata.labels["example.com/tier"]', ["db"], id="bracket-dotted-key"),
        pytest.param(".metadata.labels.example\\.com/tier", ["db"], id="escaped-dot"),
        pytest.param(".metadata['name','missing']", ["w"], id="name-union"),
        pytest.param('.status.conditions[?(@.type=="Ready")].status', ["True"], id="filter"),
        pytest.param(".status.conditions[?(@.type=='Synced')].status", ["False"], id="filter-single-quotes"),
        pytest.param('.status.conditions[?(@.type!="Ready")].type', ["Synced"], id="filter-not-equal"),
        pytest.param(".status.conditions[?(@.reason)].type", ["Ready"], id="filter-exists"),
        pytest.param(".spec.items[?(@.n>1)].name", ["b", "c"], id="filter-number"),
        pytest.param(".spec.items[?(@.n<=1)].name", ["a"], id="filter-le"),
        pytest.param("..name", ["w", "a", "b", "c"], id="recursive"),
    ],
)
def test_find(path: str, expected: list[Any]) -> None:
    assert find(OBJ, path) == expected


@pytest.mark.parametrize("path", ["[1", ".a[?(@.x==)]", ".a[x]"])
def test_bad_paths(path: str) -> None:
    with pytest.raises(JSONPathError):
        find(OBJ, path)
