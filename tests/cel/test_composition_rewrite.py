"""The source rewrite that gives cel-expr-python the composition absent-key rule."""

from __future__ import annotations

import pytest

from eno.cel.composition_rewrite import STRING_MAP_GET, rewrite_composition_reads

G = STRING_MAP_GET

CASES = [
    ("no-composition", "self.spec.replicas > 2", "self.spec.replicas > 2"),
    (
        "index",
        'composition.metadata.annotations["k"] == "x"',
        f'{G}(composition.metadata.annotations, "k") == "x"',
    ),
    ("single-quoted", "composition.metadata.labels['k']", f"{G}(composition.metadata.labels, 'k')"),
    ("dot", "composition.metadata.labels.team", f'{G}(composition.metadata.labels, "team")'),
    (
        "bracketed-path",
        'composition["metadata"]["annotations"]["k"]',
        f'{G}(composition["metadata"]["annotations"], "k")',
    ),
    (
        "dynamic-key",
        "composition.metadata.annotations[self.metadata.name]",
        f"{G}(composition.metadata.annotations, self.metadata.name)",
    ),
    (
        "nested",
        "composition.metadata.annotations[composition.metadata.labels.k]",
        f'{G}(composition.metadata.annotations, {G}(composition.metadata.labels, "k"))',
    ),
    ("in-stays-exact", '"k" in composition.metadata.annotations', '"k" in composition.metadata.annotations'),
    (
        "has-stays-exact",
        "has(composition.metadata.labels.k) && composition.metadata.labels.k == 'v'",
        f"has(composition.metadata.labels.k) && {G}(composition.metadata.labels, \"k\") == 'v'",
    ),
    ("other-metadata-untouched", "composition.metadata.name == 'c'", "composition.metadata.name == 'c'"),
    ("whole-map-untouched", "size(composition.metadata.labels)", "size(composition.metadata.labels)"),
    ("unparseable-unchanged", "composition.metadata.labels[", "composition.metadata.labels["),
]


@pytest.mark.parametrize(("expression", "expected"), [pytest.param(e, x, id=i) for i, e, x in CASES])
def test_rewrite(expression: str, expected: str) -> None:
    assert rewrite_composition_reads(expression) == expected
