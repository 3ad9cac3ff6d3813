"""Differential test: cel-python (with our cel-go fixes) against Google's runtime on generated expressions.

The generator is seeded, so the run is deterministic. Expressions the C++ runtime rejects when
type-checking are skipped (cel-python has no type checker); for the rest both engines must give the same
value, or both an error. Known divergences are left out of the generator: `int(bool)` (the C++ runtime
accepts it, cel-go does not) and iteration order over maps.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from eno.cel.engine import CelError, available_engines, engine_named

pytestmark = pytest.mark.skipif(
    "cel-expr-python" not in available_engines(), reason="cel-expr-python is not installed"
)

SELF: dict[str, Any] = {
    "i": 3, "n": -7, "z": 0, "d": 2.5, "nd": -0.5, "s": "Hello,World", "e": "", "b": True,
    "l": [1, 2.0, 3], "ls": ["b", "a", "c"], "m": {"k": "v"}, "nul": None, "big": 9223372036854775807,
    "q": "250m", "ll": [[1], [2, [3]]],
    "lm": [{"type": "Ready", "status": "True"}, {"type": "X", "status": "False"}],
}  # fmt: skip
COMPOSITION = {
    "metadata": {
        "name": "c",
        "namespace": "ns",
        "labels": {"a": "1"},
        "annotations": {"o": "true"},
        "deletionTimestamp": None,
    }
}
LEAVES = [
    "self.i", "self.n", "self.z", "self.d", "self.nd", "self.s", "self.e", "self.b", "self.l", "self.ls",
    "self.m", "self.nul", "self.big", "self.missing", "1", "2.0", "3u", "'a'", "'1Gi'", "true", "null",
    "[]", "{}", "self.m.k", "self.l[0]", "self.ls[1]", "self.q", "self.ll", "self.lm", "self.lm[0]",
    "composition.metadata.annotations.o", "composition.metadata.annotations['zz']",
    "composition.metadata.labels", "composition.metadata.name", "b'ab'", "[1, 'a']", "{'a': 1}", "-1", "0.0",
]  # fmt: skip
OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&&", "||", "in"]
METHODS = [
    "lowerAscii()", "upperAscii()", "split(',')", "split(',', 1)", "size()", "contains('l')",
    "startsWith('H')", "endsWith('d')", "filter(x, x == 1)", "exists(x, x == 'a')", "all(x, x != 2)",
    "exists_one(x, x == 1)", "join('-')", "join()", "trim()", "indexOf('o')", "lastIndexOf('o')",
    "reverse()", "sort()", "distinct()", "flatten()", "slice(0, 1)", "substring(1)", "charAt(1)",
    "replace('l', 'L')", "replace('l', 'L', 1)", "matches('^H')", "format(['x'])",
]  # fmt: skip
FUNCTIONS = [
    "size", "string", "double", "uint", "bytes", "bool", "base64.encode", "base64.decode",
    "strings.quote", "lists.range",
]  # fmt: skip
HAS = ["has(self.m.k)", "has(self.missing)", "has(self.nul.x)", "has(composition.metadata.annotations.zz)"]


def generate(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.3:
        return rng.choice(LEAVES)
    r = rng.random()
    if r < 0.4:
        return f"({generate(rng, depth - 1)} {rng.choice(OPERATORS)} {generate(rng, depth - 1)})"
    if r < 0.45:
        return f"!({generate(rng, depth - 1)})"
    if r < 0.5:
        return f"({generate(rng, depth - 1)} ? {generate(rng, depth - 1)} : {generate(rng, depth - 1)})"
    if r < 0.55:
        return f"[{generate(rng, depth - 1)}, {generate(rng, depth - 1)}]"
    if r < 0.6:
        return f"compareResourceQuantities({generate(rng, depth - 1)}, {generate(rng, depth - 1)})"
    if r < 0.65:
        return rng.choice(HAS)
    if r < 0.8:
        return f"{rng.choice(FUNCTIONS)}({generate(rng, depth - 1)})"
    return f"dyn({generate(rng, depth - 1)}).{rng.choice(METHODS)}"


def outcome(engine_name: str, expression: str) -> tuple[str, Any]:
    try:
        return "value", engine_named(engine_name).compile(expression).evaluate(
            {"self": SELF, "composition": COMPOSITION}
        )
    except CelError:
        return "error", None


def test_engines_agree_on_generated_expressions() -> None:
    rng = random.Random(20240601)
    reference = engine_named("cel-expr-python")
    compared, disagreements = 0, []
    for _ in range(1500):
        expression = generate(rng, 3)
        try:
            reference.compile(expression)
        except CelError:
            continue  # a type error cel-go would also report at compile time
        compared += 1
        expected, actual = outcome("cel-expr-python", expression), outcome("cel-python", expression)
        same_kind = expected[0] == actual[0]
        if not same_kind or (expected[1] != actual[1] or type(expected[1]) is not type(actual[1])):
            disagreements.append((expression, expected, actual))
    assert compared > 500
    assert disagreements == []
