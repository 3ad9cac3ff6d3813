"""CRD x-kubernetes-validations rules, as apiextensions-apiserver reports them."""

from __future__ import annotations

from typing import Any

import pytest

from eno.apiserver import errors
from eno.apiserver.celrules import compile_errors, has_rules, validate_rules
from eno.apiserver.schema import validate

SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-kubernetes-validations": [{"rule": "self.metadata.name != 'forbidden'", "message": "bad name"}],
    "properties": {
        "spec": {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "duration(self.execTimeout) <= duration(self.podTimeout)",
                    "message": "podTimeout must be greater than execTimeout",
                }
            ],
            "properties": {
                "execTimeout": {"type": "string"},
                "podTimeout": {"type": "string"},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "ref": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "labelSelector": {"type": "object"}},
                    "x-kubernetes-validations": [
                        {
                            "rule": "has(self.name) || has(self.labelSelector)",
                            "message": "name or labelSelector",
                        }
                    ],
                },
                "items": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "x-kubernetes-validations": [{"rule": "self.startsWith('x')"}],
                    },
                },
                "limits": {
                    "type": "object",
                    "x-kubernetes-validations": [
                        {
                            "rule": "self.max >= self.min",
                            "fieldPath": ".max",
                            "reason": "FieldValueForbidden",
                        },
                        {"rule": "self.min >= 0", "messageExpression": "' min is ' + string(self.min) + ' '"},
                        {"rule": "self.min", "message": "not a bool"},
                        {"rule": "self.min == oldSelf.min", "message": "immutable"},
                    ],
                    "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
                },
                "broken": {"type": "object", "x-kubernetes-validations": [{"rule": "self.missing == 1"}]},
            },
        }
    },
}


def obj(spec: dict[str, Any], name: str = "w") -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}


def messages(causes: list[dict[str, Any]]) -> list[str]:
    return [errors.field_error_string(c) for c in causes]


@pytest.mark.parametrize(
    ("o", "expected"),
    [
        pytest.param(obj({"execTimeout": "1m", "podTimeout": "2m"}), [], id="passes"),
        pytest.param(
            obj({"execTimeout": "3m", "podTimeout": "2m"}),
            ['spec: Invalid value: "object": podTimeout must be greater than execTimeout'],
            id="spec-rule",
        ),
        pytest.param(
            obj({"execTimeout": "1m", "podTimeout": "2m"}, name="forbidden"),
            ['<nil>: Invalid value: "object": bad name'],
            id="root-rule",
        ),
        pytest.param(
            obj({"execTimeout": "1m", "podTimeout": "2m", "ref": {}}),
            ['spec.ref: Invalid value: "object": name or labelSelector'],
            id="nested-rule",
        ),
        pytest.param(
            obj({"execTimeout": "1m", "podTimeout": "2m", "items": ["xa", "b"]}),
            ["spec.items[1]: Invalid value: \"string\": failed rule: self.startsWith('x')"],
            id="list-item-default-message",
        ),
        pytest.param(
            obj({"execTimeout": "1m", "podTimeout": "2m", "limits": {"min": -1, "max": -2}}),
            [
                "spec.limits.max: Forbidden: failed rule: self.max >= self.min",
                'spec.limits: Invalid value: "object": min is -1',
                'spec.limits: Invalid value: "object": not a bool',
            ],
            id="field-path-reason-message-expression",
        ),
        pytest.param(
            obj({"execTimeout": "1m", "podTimeout": "2m", "broken": {}}),
            ['spec.broken: Invalid value: "object": no such key'],
            id="evaluation-error",
        ),
    ],
)
def test_rules(o: dict[str, Any], expected: list[str]) -> None:
    got = messages(validate_rules(o, SCHEMA))
    assert len(got) == len(expected), got
    for text, prefix in zip(got, expected, strict=True):
        assert text.startswith(prefix), text


def test_transition_rules_skipped_without_old_object() -> None:
    limits = {"min": 1, "max": 2}
    assert messages(
        validate_rules(obj({"execTimeout": "1m", "podTimeout": "2m", "limits": limits}), SCHEMA)
    ) == ['spec.limits: Invalid value: "object": not a bool']


def test_schema_validate_runs_rules_after_structural_checks() -> None:
    causes = validate(obj({"execTimeout": "3m", "podTimeout": "2m"}), SCHEMA)
    assert messages(causes) == ['spec: Invalid value: "object": podTimeout must be greater than execTimeout']
    assert validate(obj({"execTimeout": "3m", "podTimeout": "2m"}), SCHEMA, rules=False) == []


def test_type_errors_block_rules() -> None:
    causes = validate(obj({"execTimeout": "3m", "podTimeout": "2m", "mode": "z"}), SCHEMA)
    assert messages(causes) == [
        'spec.mode: Unsupported value: "z": supported values: "a", "b"',
        '<nil>: Invalid value: "null": some validation rules were not checked because the object was '
        "invalid; correct the existing errors to complete validation",
    ]


def test_has_rules() -> None:
    assert has_rules(SCHEMA)
    assert not has_rules({"type": "object", "properties": {"a": {"type": "string"}}})


def test_compile_errors() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "x-kubernetes-validations": [{"rule": "self.a =="}, {"rule": "true"}]}
        },
    }
    [cause] = compile_errors(schema, "spec.versions[0].schema.openAPIV3Schema")
    assert (
        cause["field"]
        == "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
    )
    assert "compilation failed" in cause["message"]
    assert compile_errors(SCHEMA, "s") == []


def test_rules_under_all_of() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "allOf": [
                    {"x-kubernetes-validations": [{"rule": "has(self.a)", "message": "a is required"}]}
                ],
            }
        },
    }
    assert messages(validate_rules({"spec": {}}, schema)) == ['spec: Invalid value: "": a is required']
    assert validate_rules({"spec": {"a": 1}}, schema) == []
