"""Merge patch and JSON patch, including kube-apiserver's json-patch leniencies and error codes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.apiserver.errors import ApiError
from eno.apiserver.patch import apply_json_patch, apply_merge_patch, create_merge_patch, json_equal

DOC: dict[str, Any] = {
    "metadata": {"name": "x", "labels": {"a": "1"}, "annotations": {"k/v": "1", "t~x": "2"}},
    "spec": {"list": [1, 2, 3], "nested": {"n": None}},
}


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        pytest.param({"a": 1}, {"b": 2}, {"a": 1, "b": 2}, id="add-member"),
        pytest.param({"a": 1, "b": 2}, {"a": None}, {"b": 2}, id="null-deletes"),
        pytest.param({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}, {"a": {"b": 1, "c": 3}}, id="nested-merge"),
        pytest.param({"a": [1, 2]}, {"a": [3]}, {"a": [3]}, id="lists-replace"),
        pytest.param({"a": "x"}, {"a": {"b": 1}}, {"a": {"b": 1}}, id="scalar-to-object"),
        pytest.param(
            {"a": 1}, {"b": {"c": None, "d": 1}}, {"a": 1, "b": {"d": 1}}, id="new-object-drops-nulls"
        ),
        pytest.param({"a": 1}, [1], [1], id="non-object-patch-replaces"),
        pytest.param({"a": 1}, {}, {"a": 1}, id="empty-patch"),
        pytest.param({"a": 1}, {"missing": None}, {"a": 1}, id="delete-missing"),
    ],
)
def test_merge_patch(target: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy(target)
    assert apply_merge_patch(target, patch) == expected
    assert target == before


def test_merge_patch_result_shares_nothing() -> None:
    target: dict[str, Any] = {"keep": {"deep": [1]}, "change": {"x": 1}}
    result = apply_merge_patch(target, {"change": {"y": 2}})
    result["keep"]["deep"].append(2)
    assert target["keep"]["deep"] == [1]


_scalars = st.one_of(st.booleans(), st.integers(), st.text(max_size=5))
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=10,
)
_objects = st.dictionaries(st.text(max_size=3), _json, max_size=4)


@given(_objects, _objects)
def test_merge_patch_diff_round_trip(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert apply_merge_patch(a, create_merge_patch(a, b)) == b


@given(_objects)
def test_merge_patch_idempotent(a: dict[str, Any]) -> None:
    patch = {"x": {"y": 1}, "z": None}
    once = apply_merge_patch(a, patch)
    assert apply_merge_patch(once, patch) == once


@pytest.mark.parametrize(
    ("ops", "check"),
    [
        pytest.param([{"op": "add", "path": "/spec/new", "value": 1}], ("spec", "new", 1), id="add-member"),
        pytest.param(
            [{"op": "add", "path": "/spec/list/0", "value": 0}],
            ("spec", "list", [0, 1, 2, 3]),
            id="add-index",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/list/-", "value": 4}], ("spec", "list", [1, 2, 3, 4]), id="add-dash"
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/list/3", "value": 4}],
            ("spec", "list", [1, 2, 3, 4]),
            id="add-at-len",
        ),
        pytest.param([{"op": "remove", "path": "/spec/list/1"}], ("spec", "list", [1, 3]), id="remove-index"),
        pytest.param(
            [{"op": "remove", "path": "/spec/list/-1"}], ("spec", "list", [1, 2]), id="remove-negative"
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/list/0", "value": 9}], ("spec", "list", [9, 2, 3]), id="replace"
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/absent", "value": 1}],
            ("spec", "absent", 1),
            id="replace-adds-missing",
        ),
        pytest.param(
            [{"op": "move", "from": "/spec/list", "path": "/spec/moved"}],
            ("spec", "moved", [1, 2, 3]),
            id="move",
        ),
        pytest.param(
            [{"op": "copy", "from": "/spec/list/2", "path": "/spec/c"}], ("spec", "c", 3), id="copy"
        ),
        pytest.param(
            [{"op": "add", "path": "/metadata/annotations/a~1b", "value": "v"}],
            ("metadata", "annotations", {"k/v": "1", "t~x": "2", "a/b": "v"}),
            id="pointer-escape-slash",
        ),
        pytest.param(
            [{"op": "remove", "path": "/metadata/annotations/t~0x"}],
            ("metadata", "annotations", {"k/v": "1"}),
            id="pointer-escape-tilde",
        ),
        pytest.param(
            [
                {"op": "test", "path": "/metadata/annotations/absent", "value": None},
                {"op": "add", "path": "/metadata/annotations/absent", "value": "now"},
            ],
            ("metadata", "annotations", {"k/v": "1", "t~x": "2", "absent": "now"}),
            id="test-missing-equals-null",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/nested/n", "value": None}],
            ("spec", "nested", {"n": None}),
            id="test-null",
        ),
        pytest.param(
            [{"op": "test", "path": "/metadata/labels", "value": {"a": "1"}}],
            ("metadata", "labels", {"a": "1"}),
            id="test-object",
        ),
    ],
)
def test_json_patch_ops(ops: list[dict[str, Any]], check: tuple[str, str, Any]) -> None:
    before = copy.deepcopy(DOC)
    result = apply_json_patch(DOC, ops)
    assert result[check[0]][check[1]] == check[2]
    assert before == DOC


@pytest.mark.parametrize(
    ("ops", "detail"),
    [
        pytest.param(
            [{"op": "test", "path": "/metadata/name", "value": "y"}],
            "testing value /metadata/name failed: test failed",
            id="test-fails",
        ),
        pytest.param(
            [{"op": "test", "path": "/metadata/absent", "value": "y"}],
            "testing value /metadata/absent failed",
            id="test-missing-non-null",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/list/0", "value": 1.0}], "test failed", id="test-int-vs-float"
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/absent"}],
            "Unable to remove nonexistent key: absent",
            id="remove-missing",
        ),
        pytest.param(
            [{"op": "add", "path": "/nope/x", "value": 1}], "doc is missing path", id="add-missing-parent"
        ),
        pytest.param([{"op": "add", "path": "", "value": {}}], "doc is missing path", id="add-root"),
        pytest.param(
            [{"op": "replace", "path": "/spec/list/9", "value": 1}],
            "invalid index",
            id="replace-out-of-range",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/list/x", "value": 1}], "proper array index", id="bad-index"
        ),
        pytest.param([{"op": "frobnicate", "path": "/a"}], "Unexpected kind: frobnicate", id="unknown-op"),
        pytest.param([{"path": "/a"}], "Unexpected kind: unknown", id="missing-op"),
        pytest.param([{"op": "add", "value": 1}], "missing value", id="missing-path"),
        pytest.param(
            [{"op": "move", "from": "/nope/x", "path": "/a"}], "missing from path", id="move-missing"
        ),
    ],
)
def test_json_patch_failures_are_bare_422(ops: list[dict[str, Any]], detail: str) -> None:
    with pytest.raises(ApiError) as info:
        apply_json_patch(DOC, ops)
    err = info.value
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == "the server rejected our request due to an error in our request"
    assert err.status_body()["details"] == {}
    assert detail in err.internal_detail


def test_failed_patch_leaves_input_untouched() -> None:
    before = copy.deepcopy(DOC)
    with pytest.raises(ApiError):
        apply_json_patch(
            DOC, [{"op": "add", "path": "/spec/x", "value": 1}, {"op": "test", "path": "/a", "value": 1}]
        )
    assert DOC == before


@pytest.mark.parametrize(
    "ops",
    [
        pytest.param({"op": "add"}, id="object"),
        pytest.param("x", id="string"),
        pytest.param([["add"]], id="op-not-object"),
    ],
)
def test_json_patch_document_shape_is_400(ops: Any) -> None:
    with pytest.raises(ApiError) as info:
        apply_json_patch(DOC, ops)
    assert info.value.code == 400


def test_json_patch_too_many_ops_is_413() -> None:
    with pytest.raises(ApiError) as info:
        apply_json_patch({}, [{"op": "test", "path": "", "value": {}}] * 10001)
    assert info.value.code == 413


def test_root_test_op() -> None:
    assert apply_json_patch({"a": 1}, [{"op": "test", "path": "", "value": {"a": 1}}]) == {"a": 1}


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param(1, 1, True, id="ints"),
        pytest.param(1, 1.0, False, id="int-float"),
        pytest.param(True, 1, False, id="bool-int"),
        pytest.param({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}, True, id="nested"),
        pytest.param([1, 2], [2, 1], False, id="list-order"),
    ],
)
def test_json_equal(a: Any, b: Any, equal: bool) -> None:
    assert json_equal(a, b) is equal


def _pointer(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _json_diff(a: Any, b: Any, path: list[str]) -> list[dict[str, Any]]:
    """A JSON patch turning a into b (objects member by member, anything else replaced whole)."""
    if isinstance(a, dict) and isinstance(b, dict):
        ops: list[dict[str, Any]] = []
        for key in sorted(a.keys() - b.keys()):
            ops.append({"op": "remove", "path": _pointer([*path, key])})
        for key in sorted(b.keys()):
            if key not in a:
                ops.append({"op": "add", "path": _pointer([*path, key]), "value": b[key]})
            elif not json_equal(a[key], b[key]):
                ops.extend(_json_diff(a[key], b[key], [*path, key]))
        return ops
    return [{"op": "replace", "path": _pointer(path), "value": b}]


_keys = st.text(alphabet="ab/~-", max_size=3)
_objects_with_odd_keys = st.dictionaries(
    _keys,
    st.recursive(
        _scalars, lambda c: st.dictionaries(_keys, c, max_size=3) | st.lists(c, max_size=2), max_leaves=6
    ),
    max_size=4,
)


@given(_objects_with_odd_keys, _objects_with_odd_keys)
def test_json_patch_diff_round_trip(a: dict[str, Any], b: dict[str, Any]) -> None:
    ops = _json_diff(a, b, [])
    assert apply_json_patch(a, ops) == b


@given(_objects_with_odd_keys)
def test_json_patch_test_of_every_member_passes(a: dict[str, Any]) -> None:
    ops = [{"op": "test", "path": _pointer([k]), "value": v} for k, v in a.items()]
    assert apply_json_patch(a, ops) == a


@given(_objects_with_odd_keys, st.lists(st.integers(), min_size=1, max_size=5), st.integers(0, 5))
def test_json_patch_list_insert_matches_python(a: dict[str, Any], items: list[int], index: int) -> None:
    index = min(index, len(items))
    doc = {**a, "l": items}
    result = apply_json_patch(doc, [{"op": "add", "path": f"/l/{index}", "value": "new"}])
    assert result["l"] == [*items[:index], "new", *items[index:]]
