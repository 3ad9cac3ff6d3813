"""`drops_fields`: the pure test that lets a changed manifest be applied without reading the object."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.reconciler.pruning import drops_fields


@pytest.mark.parametrize(
    ("previous", "desired", "expected"),
    [
        pytest.param({"a": 1}, {"a": 2}, False, id="value-changed"),
        pytest.param({"a": 1}, {"a": 1, "b": 2}, False, id="field-added"),
        pytest.param({"a": 1, "b": 2}, {"a": 1}, True, id="field-removed"),
        pytest.param({"m": {"x": 1}}, {"m": {"x": 1, "y": 2}}, False, id="nested-added"),
        pytest.param({"m": {"x": 1}}, {"m": {}}, True, id="nested-removed"),
        pytest.param({"m": {"x": 1}}, {"m": "flat"}, True, id="map-replaced-by-scalar"),
        pytest.param({"m": {}}, {"m": "flat"}, False, id="empty-map-replaced"),
        pytest.param({"l": [1, 2]}, {"l": [1, 2]}, False, id="same-list"),
        pytest.param({"l": [1, 2]}, {"l": [2]}, True, id="list-changed"),
        pytest.param({"l": [1]}, {"l": [1, 2]}, True, id="list-grown-counts-too"),
        pytest.param({"s": "x"}, {"s": {"k": 1}}, False, id="scalar-to-map"),
    ],
)
def test_drops_fields(previous: dict[str, Any], desired: dict[str, Any], expected: bool) -> None:
    assert drops_fields(previous, desired) is expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=10,
)


@given(
    st.dictionaries(st.text(max_size=2), json_values, max_size=4),
    st.dictionaries(st.text(max_size=2), json_values, max_size=4),
)
def test_adding_fields_never_drops(base: dict[str, Any], extra: dict[str, Any]) -> None:
    assert not drops_fields(base, {**extra, **base})
    assert not drops_fields(base, base)
