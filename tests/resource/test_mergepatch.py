"""The `--disable-ssa` merge patch: Eno's TestBuildNonStrategicPatch_NilPrevious and the RFC 7386 rules,
checked by applying the patch."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.resource.mergepatch import create_merge_patch


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch, for checking."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


# (id, base, desired, live, live after the patch)
CASES = [
    (
        "no previous adds without removing",
        {},
        {"data": {"added": "value"}},
        {"data": {"original": "value"}},
        {"data": {"added": "value", "original": "value"}},
    ),
    (
        "removed since the previous synthesis is pruned",
        {"data": {"a": "1", "b": "2"}},
        {"data": {"a": "1"}},
        {"data": {"a": "1", "b": "2", "other": "x"}},
        {"data": {"a": "1", "other": "x"}},
    ),
    (
        "changed value is set",
        {"spec": {"replicas": 1}},
        {"spec": {"replicas": 3}},
        {"spec": {"replicas": 1}},
        {"spec": {"replicas": 3}},
    ),
    ("lists replaced wholesale", {"l": [1, 2]}, {"l": [2]}, {"l": [1, 2, 9]}, {"l": [2]}),
    (
        "unchanged fields are not sent, so others' edits survive",
        {"a": "1"},
        {"a": "1"},
        {"a": "edited"},
        {"a": "edited"},
    ),
    ("map replaced by scalar", {"a": {"b": 1}}, {"a": 2}, {"a": {"b": 1, "c": 3}}, {"a": 2}),
    ("scalar replaced by map", {"a": 2}, {"a": {"b": 1}}, {"a": 2}, {"a": {"b": 1}}),
    ("bool and int are different", {"a": 1}, {"a": True}, {"a": 1}, {"a": True}),
]


@pytest.mark.parametrize(
    ("base", "desired", "live", "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_merge_patch(base: Any, desired: Any, live: Any, after: Any) -> None:
    assert apply_merge_patch(live, create_merge_patch(base, desired)) == after


def test_identical_objects_need_an_empty_patch() -> None:
    obj = {"a": {"b": [1, {"c": None}]}}
    assert create_merge_patch(obj, obj) == {}


_keys = st.sampled_from(["a", "b", "c"])
_values = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)
_objects = st.dictionaries(_keys, _values, max_size=3)


@given(_objects, _objects)
def test_patching_the_base_gives_the_desired_object(base: dict[str, Any], desired: dict[str, Any]) -> None:
    assert apply_merge_patch(base, create_merge_patch(base, desired)) == desired
