"""Eno's own CEL unit tables (internal/cel/cel_test.go), against every installed engine."""

from __future__ import annotations

import pytest

from eno.cel.engine import CelError, available_engines, engine_named

ENGINES = available_engines()

# (name, left, right, expected; None means an evaluation error)
QUANTITIES: list[tuple[str, str, str, int | None]] = [
    ("equal decimal values", "100m", "100m", 0),
    ("equal values different formats", "1", "1000m", 0),
    ("equal memory values", "1Gi", "1073741824", 0),
    ("equal zero values", "0", "0m", 0),
    ("left less than right - decimal", "100m", "200m", -1),
    ("left less than right - memory", "1Mi", "1Gi", -1),
    ("left less than right - mixed formats", "0.5", "1000m", -1),
    ("zero less than positive", "0", "1m", -1),
    ("left greater than right - decimal", "200m", "100m", 1),
    ("left greater than right - memory", "1Gi", "1Mi", 1),
    ("left greater than right - mixed formats", "2", "1000m", 1),
    ("positive greater than zero", "1m", "0", 1),
    ("different cpu units - millis vs whole", "500m", "1", -1),
    ("different cpu units - micro vs milli", "1000u", "1m", 0),
    ("Ki vs bytes", "1Ki", "1024", 0),
    ("Ti vs Gi", "1Ti", "1024Gi", 0),
    ("scientific notation equal", "1000m", "1", 0),
    ("large values equal", "999999999999999999", "999999999999999999", 0),
    ("large values different", "999999999999999998", "999999999999999999", -1),
    ("fractional cpu equal", "0.5", "500m", 0),
    ("fractional comparison", "0.25", "0.5", -1),
    ("invalid left quantity", "invalid", "100m", None),
    ("invalid right quantity", "100m", "invalid", None),
    ("both invalid quantities", "invalid1", "invalid2", None),
    ("empty left quantity", "", "100m", None),
    ("empty right quantity", "100m", "", None),
    ("invalid unit", "100xyz", "100m", None),
    ("negative quantities", "-100m", "100m", -1),
]


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize(
    ("left", "right", "expected"), [pytest.param(a, b, x, id=name) for name, a, b, x in QUANTITIES]
)
def test_compare_resource_quantities(engine_name: str, left: str, right: str, expected: int | None) -> None:
    program = engine_named(engine_name).compile("compareResourceQuantities(self.left, self.right)")
    variables = {"self": {"left": left, "right": right}, "composition": {"metadata": {}}}
    if expected is None:
        with pytest.raises(CelError, match=r"parsing (left|right) quantity"):
            program.evaluate(variables)
        return
    result = program.evaluate(variables)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize(
    ("expression", "name", "expected"),
    [
        pytest.param("composition.metadata.name", "test-comp", "test-comp", id="composition basics"),
        pytest.param("int(composition.metadata.name) > 100", "123", True, id="int type coercion"),
        pytest.param("double(composition.metadata.name) < 101.9", "101.8", True, id="float type coercion"),
    ],
)
def test_composition_basics(engine_name: str, expression: str, name: str, expected: object) -> None:
    program = engine_named(engine_name).compile(expression)
    assert program.evaluate({"self": {}, "composition": {"metadata": {"name": name}}}) == expected
