"""Invariants of the CEL engines, checked on generated inputs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eno.cel.engine import CelError, available_engines, engine_named

ENGINES = available_engines()

# No NUL: cel-expr-python 0.1.3 truncates input strings at the first NUL (test_nul_in_strings below);
# no lone surrogates: JSON from the API server never has them.
texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=8)
json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | texts
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(texts, json_values, max_size=5)

# Fragments of Eno-style expressions; random sequences of them are mostly invalid CEL.
TOKENS = [
    "self", "composition", "pathManagedByEno", ".", "spec", "metadata", "annotations", "[", "]", "(", ")",
    '"a"', "'k'", "0", "1", "2.5", "3u", "true", "null", "==", "!=", "<", ">=", "&&", "||", "!", "-", "+",
    "*", "/", "%", "?", ":", ",", "in", "has", "size", "split", "filter", "map", "x", "{", "}",
    "compareResourceQuantities", "base64", "encode", "b'z'", "lists", "range",
]  # fmt: skip
expressions = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map(" ".join)


@pytest.mark.parametrize("engine_name", ENGINES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=json_objects)
def test_self_round_trips_to_plain_python(engine_name: str, obj: dict[str, Any]) -> None:
    assert engine_named(engine_name).compile("self").evaluate({"self": obj}) == obj


@pytest.mark.parametrize("engine_name", ENGINES)
@settings(max_examples=300, deadline=None)
@given(expression=expressions, obj=json_objects)
def test_any_text_either_evaluates_or_raises_cel_error(engine_name: str, expression: str, obj: Any) -> None:
    engine = engine_named(engine_name)
    variables = {
        "self": obj,
        "composition": {"metadata": {"name": "c", "annotations": {"a": "b"}}},
        "pathManagedByEno": True,
    }
    try:
        engine.compile(expression).evaluate(variables)
    except CelError as error:
        assert error.expression == expression
        assert error.message


@pytest.mark.parametrize("engine_name", ENGINES)
@settings(max_examples=150, deadline=None)
@given(a=st.integers(-(2**53), 2**53), b=st.integers(-(2**53), 2**53))
def test_int_and_double_compare_by_value(engine_name: str, a: int, b: int) -> None:
    program = engine_named(engine_name).compile(
        "[self.a == double(self.b), self.a < double(self.b), double(self.a) >= self.b]"
    )
    assert program.evaluate({"self": {"a": a, "b": b}}) == [a == b, a < b, a >= b]


@pytest.mark.parametrize("engine_name", ENGINES)
@settings(max_examples=100, deadline=None)
@given(annotations=st.dictionaries(st.sampled_from(["a", "b", "c"]), texts, max_size=3))
def test_absent_annotation_reads_empty_and_membership_stays_exact(
    engine_name: str, annotations: dict[str, str]
) -> None:
    program = engine_named(engine_name).compile(
        '[composition.metadata.annotations["b"], "b" in composition.metadata.annotations, '
        "has(composition.metadata.annotations.b)]"
    )
    result = program.evaluate({"composition": {"metadata": {"annotations": annotations}}})
    assert result == [annotations.get("b", ""), "b" in annotations, "b" in annotations]


@pytest.mark.parametrize(
    "engine_name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason="cel-expr-python truncates input strings at NUL")
            if name == "cel-expr-python"
            else (),
        )
        for name in ENGINES
    ],
)
def test_nul_in_strings(engine_name: str) -> None:
    assert engine_named(engine_name).compile("self.a.size()").evaluate({"self": {"a": "x\x00y"}}) == 3
