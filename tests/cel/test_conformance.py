"""One conformance table for Eno's CEL environment, run against every installed engine."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from eno.cel.engine import CelError, available_engines, engine_named


@attrs.frozen
class Raises:
    """The expression must raise CelError whose message contains `fragment`."""

    fragment: str = ""


DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "labels": {"app": "web"},
        "annotations": {"eno.azure.io/replace": "true"},
    },
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "app", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
                ]
            }
        },
    },
    "status": {
        "availableReplicas": 3,
        "ratio": 0.5,
        "conditions": [
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "lastTransitionTime": "2024-01-02T03:04:05Z",
            },
        ],
    },
}

COMPOSITION: dict[str, Any] = {
    "metadata": {
        "name": "comp",
        "namespace": "default",
        "labels": {"team": "a"},
        "annotations": {"eno.azure.io/owner": "a", "empty": ""},
        "deletionTimestamp": None,
    }
}

VARIABLES: dict[str, Any] = {"self": DEPLOYMENT, "composition": COMPOSITION, "pathManagedByEno": False}

AVAILABLE = DEPLOYMENT["status"]["conditions"][1]

# (id, expression, expected); variables are VARIABLES unless the id says otherwise (see OVERRIDES).
CASES: list[tuple[str, str, Any]] = [
    # Override conditions.
    ("override-owner-annotation", 'composition.metadata.annotations["eno.azure.io/owner"] == "a"', True),
    ("override-not-managed", "!pathManagedByEno", True),
    ("override-replicas-gt", "self.spec.replicas > 2", True),
    ("override-has-field", "has(self.spec.replicas)", True),
    ("override-has-missing-field", "has(self.spec.paused)", False),
    ("override-name", 'composition.metadata.name == "comp"', True),
    ("override-deletion-timestamp-null", "composition.metadata.deletionTimestamp == null", True),
    ("override-value-expression-scalar", "self.spec.replicas * 2", 6),
    ("override-value-expression-map", "self.metadata.labels", {"app": "web"}),
    (
        "override-vpa-floor",
        "compareResourceQuantities("
        'self.spec.template.spec.containers[0].resources.requests.cpu, "100m") >= 0',
        True,
    ),
    # Readiness.
    ("readiness-replicas", "self.status.availableReplicas == self.spec.replicas", True),
    (
        "readiness-condition-object",
        'self.status.conditions.filter(c, c.type == "Available")[0]',
        AVAILABLE,
    ),
    (
        "readiness-condition-list",
        'self.status.conditions.filter(c, c.type == "Available")',
        [AVAILABLE],
    ),
    (
        "readiness-exists",
        'self.status.conditions.exists(c, c.type == "Available" && c.status == "True")',
        True,
    ),
    ("readiness-missing-status-field", "self.status.readyReplicas == 3", Raises("readyReplicas")),
    ("macro-map-filter", "[1, 2, 3].map(x, x > 1, x * 10)", [20, 30]),
    ("macro-all", "self.status.conditions.all(c, c.status == 'True')", True),
    ("macro-exists-one", "self.status.conditions.exists_one(c, c.type == 'Available')", True),
    ("macro-over-map-keys", "self.metadata.labels.exists(k, k == 'app')", True),
    ("type-of-object-is-map", "type(self) == map && type(self.spec.replicas) == int", True),
    ("ternary", 'self.spec.replicas > 1 ? "many" : "one"', "many"),
    ("string-of-bool", "string(self.spec.replicas > 1)", "true"),
    (
        "string-of-double",
        "[string(self.status.ratio), string(double(self.spec.replicas) * 1e6)]",
        ["0.5", "3e+06"],
    ),
    ("string-of-whole-double", "string(double(self.spec.replicas) * 100.0)", "300"),
    ("string-of-null-errors", "string(composition.metadata.deletionTimestamp)", Raises()),
    ("int-of-bool-errors", "int(self.spec.replicas > 1)", Raises()),
    ("int-of-string", 'int("42") + self.spec.replicas', 45),
    ("type-names", "type(self.metadata.name) == string && type(self.status.ratio) == double", True),
    # Numeric heterogeneity (cel-go compares numbers of different types by value).
    ("numeric-int-eq-double", "self.spec.replicas == 3.0", True),
    ("numeric-int-ne-double", "self.spec.replicas != 3.0", False),
    ("numeric-int-gt-double", "self.spec.replicas > 2.5", True),
    ("numeric-int-le-double", "self.spec.replicas <= 2.5", False),
    ("numeric-double-lt-int", "self.status.ratio < 1", True),
    ("numeric-int-eq-uint", "self.spec.replicas == 3u", True),
    ("numeric-uint-lt-double", "dyn(2u) < 2.5", True),
    ("numeric-in-list", "self.spec.replicas in [1.0, 3.0]", True),
    ("numeric-list-equality", "dyn([1, 2]) == [1.0, 2.0]", True),
    ("numeric-map-equality", 'dyn({"a": 1}) == {"a": 1.0}', True),
    ("mixed-kinds-equal-is-false", 'dyn(self.spec.replicas) == "3"', False),
    ("mixed-kinds-not-equal-is-true", 'dyn(self.spec.replicas) != "3"', True),
    ("mixed-kinds-ordering-errors", 'dyn(self.spec.replicas) < "3"', Raises("no such overload")),
    ("null-equals-null", "null == null", True),
    # Absent labels and annotations on `composition` read as "".
    ("absent-annotation-index", 'composition.metadata.annotations["missing"] == ""', True),
    ("absent-annotation-recipe", 'composition.metadata.annotations["eno.azure.io/other"] != "true"', True),
    ("absent-label-dot", 'composition.metadata.labels.missing == ""', True),
    ("absent-annotation-in-is-exact", '"missing" in composition.metadata.annotations', False),
    ("present-empty-annotation-in", '"empty" in composition.metadata.annotations', True),
    ("absent-annotation-has-is-exact", "has(composition.metadata.annotations.missing)", False),
    ("present-annotation-has", "has(composition.metadata.labels.team)", True),
    ("absent-annotation-size-unchanged", "size(composition.metadata.annotations)", 2),
    (
        "absent-annotation-split",
        'string(composition.metadata.annotations["orphan-resources"]).split(",")',
        [""],
    ),
    ("absent-key-elsewhere-still-errors", 'self.metadata.annotations["missing"]', Raises("missing")),
    ("absent-composition-field-still-errors", "composition.metadata.uid", Raises("uid")),
    # Strings extension.
    ("strings-split", '"a,b,c".split(",")', ["a", "b", "c"]),
    ("strings-split-limit", '"a,b,c".split(",", 2)', ["a", "b,c"]),
    ("strings-split-limit-zero", '"a,b,c".split(",", 0)', []),
    ("strings-join", '["a", "b"].join("-")', "a-b"),
    ("strings-join-no-separator", '["a", "b"].join()', "ab"),
    ("strings-lower-ascii", '"TacoCÆt".lowerAscii()', "tacocÆt"),
    ("strings-upper-ascii", '"TacoCat".upperAscii()', "TACOCAT"),
    ("strings-replace", '"hello hello".replace("he", "we")', "wello wello"),
    ("strings-replace-limit", '"hello hello".replace("he", "we", 1)', "wello hello"),
    ("strings-trim", '"  \\ttrim\\n ".trim()', "trim"),
    ("strings-index-of", '"hello mellow".indexOf("ello")', 1),
    ("strings-index-of-offset", '"hello mellow".indexOf("ello", 2)', 7),
    ("strings-index-of-missing", '"hello".indexOf("x")', -1),
    ("strings-index-of-out-of-range", '"hello".indexOf("l", 20)', Raises()),
    ("strings-last-index-of", '"hello mellow".lastIndexOf("ello")', 7),
    ("strings-last-index-of-offset", '"hello mellow".lastIndexOf("ello", 6)', 1),
    ("strings-substring", '"tacocat".substring(4)', "cat"),
    ("strings-substring-range", '"tacocat".substring(0, 4)', "taco"),
    ("strings-substring-bad-range", '"tacocat".substring(2, 1)', Raises()),
    ("strings-char-at", '"hello".charAt(4)', "o"),
    ("strings-char-at-end", '"hello".charAt(5)', ""),
    ("strings-char-at-negative", '"hello".charAt(-1)', Raises()),
    ("strings-quote", 'strings.quote("a\\"b\\n")', '"a\\"b\\n"'),
    (
        "strings-format",
        '"%s has %d replicas".format([self.metadata.name, self.spec.replicas])',
        "web has 3 replicas",
    ),
    ("strings-format-fixed", '"%.2f".format([1.5])', "1.50"),
    ("strings-reverse", '"gums".reverse()', "smug"),
    ("strings-wrong-argument-type", '"a,b".split(1)', Raises("no such overload")),
    # Lists extension.
    ("lists-slice", "[1, 2, 3, 4].slice(1, 3)", [2, 3]),
    ("lists-flatten", "[1, [2, 3], [4]].flatten()", [1, 2, 3, 4]),
    ("lists-flatten-depth", "[1, [2, [3, [4]]]].flatten(2)", [1, 2, 3, [4]]),
    ("lists-sort", '["b", "c", "a"].sort()', ["a", "b", "c"]),
    ("lists-sort-mixed-errors", '[1, "b"].sort()', Raises()),
    ("lists-distinct", "[1, 2, 2, 1.0].distinct()", [1, 2]),
    ("lists-reverse", "[1, 2, 3].reverse()", [3, 2, 1]),
    ("lists-range", "lists.range(3)", [0, 1, 2]),
    # Encoders extension.
    ("base64-encode", 'base64.encode(b"hello")', "aGVsbG8="),
    ("base64-decode", 'base64.decode("aGVsbG8=")', b"hello"),
    ("base64-decode-invalid", 'base64.decode("!!!")', Raises()),
    # compareResourceQuantities.
    ("quantity-milli-equal", 'compareResourceQuantities("1", "1000m")', 0),
    ("quantity-binary-equal", 'compareResourceQuantities("1Gi", "1073741824")', 0),
    ("quantity-micro-equal", 'compareResourceQuantities("1000u", "1m")', 0),
    ("quantity-less", 'compareResourceQuantities("500Mi", "1Gi")', -1),
    ("quantity-greater", 'compareResourceQuantities("2", "1500m")', 1),
    ("quantity-negative", 'compareResourceQuantities("-1", "0")', -1),
    ("quantity-exponent", 'compareResourceQuantities("1e3", "1k")', 0),
    ("quantity-empty-errors", 'compareResourceQuantities("", "1")', Raises()),
    ("quantity-garbage-errors", 'compareResourceQuantities("lots", "1")', Raises()),
    ("quantity-not-a-string-errors", 'compareResourceQuantities(1, "1")', Raises()),
    # Results come back as plain Python values.
    ("result-null", "null", None),
    ("result-bytes", 'b"abc"', b"abc"),
    ("result-double", "1.5", 1.5),
    ("result-nested", '{"a": [1, true, "x", null]}', {"a": [1, True, "x", None]}),
    ("result-timestamp", 'timestamp("2024-01-02T03:04:05Z")', "2024-01-02T03:04:05Z"),
    # Errors.
    ("error-syntax", "self.spec.replicas ==", Raises("syntax")),
    ("error-unbalanced", "(self.spec", Raises("syntax")),
    ("error-no-such-key", "self.spec.missing", Raises("no such key: 'missing'")),
    ("error-index-missing-key", 'self.spec["missing"]', Raises("no such key: 'missing'")),
    ("error-list-out-of-range", "self.status.conditions[5]", Raises("index out of range")),
    ("error-undeclared-variable", "replicas > 2", Raises("undeclared reference to 'replicas'")),
    ("error-undeclared-function", "frobnicate(self)", Raises("undeclared reference to 'frobnicate'")),
    ("error-type-mismatch-add", '1 + "a"', Raises()),
    ("error-int-plus-double", "self.spec.replicas + 1.5", Raises("no such overload")),
    ("error-overflow", "9223372036854775807 + self.spec.replicas", Raises("overflow")),
    ("error-division-by-zero", "1 / 0", Raises()),
    ("error-field-of-scalar", "self.spec.replicas.count", Raises()),
    ("error-has-on-missing-parent", "has(self.missing.field)", Raises("missing")),
]

ENGINES = available_engines()


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize(("expression", "expected"), [pytest.param(e, x, id=i) for i, e, x in CASES])
def test_conformance(engine_name: str, expression: str, expected: Any) -> None:
    engine = engine_named(engine_name)
    if isinstance(expected, Raises):
        with pytest.raises(CelError) as caught:
            engine.compile(expression).evaluate(VARIABLES)
        assert expected.fragment in caught.value.message
        assert caught.value.expression == expression
        return
    result = engine.compile(expression).evaluate(VARIABLES)
    assert result == expected
    assert type(result) is type(expected)


# Variables other than VARIABLES.
SPECIAL: list[tuple[str, str, dict[str, Any], Any]] = [
    ("self-absent-is-empty-map", "has(self.metadata)", {"self": None, "composition": COMPOSITION}, False),
    (
        "empty-composition-for-readiness",
        'composition.metadata.name == ""',
        {"self": DEPLOYMENT, "composition": {"metadata": {"name": ""}}},
        True,
    ),
    (
        "composition-without-annotations",
        'composition.metadata.annotations["eno.azure.io/owner"] != "true"',
        {"self": DEPLOYMENT, "composition": {"metadata": {"name": "c"}}},
        True,
    ),
    (
        "lazy-path-managed-by-eno",
        "!pathManagedByEno",
        {"self": DEPLOYMENT, "composition": COMPOSITION, "pathManagedByEno": lambda: True},
        False,
    ),
    (
        "path-managed-by-eno-unbound",
        "pathManagedByEno",
        {"self": DEPLOYMENT, "composition": COMPOSITION},
        Raises("pathManagedByEno"),
    ),
]


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize(
    ("expression", "variables", "expected"), [pytest.param(e, v, x, id=i) for i, e, v, x in SPECIAL]
)
def test_conformance_with_variables(
    engine_name: str, expression: str, variables: dict[str, Any], expected: Any
) -> None:
    program = engine_named(engine_name).compile(expression)
    if isinstance(expected, Raises):
        with pytest.raises(CelError, match=expected.fragment):
            program.evaluate(variables)
        return
    assert program.evaluate(variables) == expected


@pytest.mark.parametrize("engine_name", ENGINES)
def test_lazy_variable_is_not_called_when_unreferenced(engine_name: str) -> None:
    calls: list[str] = []

    def managed() -> bool:
        calls.append("called")
        return True

    program = engine_named(engine_name).compile("self.spec.replicas == 3")
    assert program.evaluate({**VARIABLES, "pathManagedByEno": managed}) is True
    assert calls == []
