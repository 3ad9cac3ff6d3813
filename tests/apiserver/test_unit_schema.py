"""Structural schemas: pruning, defaulting, validation, list types, as apiextensions-apiserver does."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.apiserver import errors
from eno.apiserver.schema import (
    apply_defaults,
    list_type,
    map_type,
    prune,
    schema_at,
    strict_decoding_error,
    unknown_fields,
    validate,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "integer", "minimum": 1, "maximum": 10},
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
                "port": {"x-kubernetes-int-or-string": True},
                "when": {"type": "string", "format": "date-time"},
                "maybe": {"type": "string", "nullable": True},
                "ratio": {"type": "number"},
                "tags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "maxItems": 2,
                    "x-kubernetes-list-type": "set",
                },
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string"},
                            "port": {"type": "integer", "default": 80},
                        },
                    },
                },
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}},
                },
                "opaque": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                },
                "nested": {
                    "type": "object",
                    "default": {},
                    "properties": {
                        "inner": {"type": "string", "default": "in"},
                        "deeper": {
                            "type": "object",
                            "default": {},
                            "properties": {"leaf": {"type": "integer", "default": 7}},
                        },
                    },
                },
            },
        },
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    },
}


def obj(spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    if spec is not None:
        out["spec"] = spec
    out.update(extra)
    return out


# --- pruning ---


@pytest.mark.parametrize(
    ("given_obj", "expected", "unknown"),
    [
        pytest.param(obj({"size": 1}), obj({"size": 1}), [], id="nothing-unknown"),
        pytest.param(obj({"size": 1, "bogus": 2}), obj({"size": 1}), ["spec.bogus"], id="unknown-member"),
        pytest.param(obj({"size": 1}, extra=1), obj({"size": 1}), ["extra"], id="unknown-root-member"),
        pytest.param(
            {**obj({"size": 1}), "metadata": {"name": "w", "bogus": 1}},
            obj({"size": 1}),
            ["metadata.bogus"],
            id="unknown-metadata-field",
        ),
        pytest.param(
            obj({"size": 1, "ports": [{"name": "a", "x": 1}]}),
            obj({"size": 1, "ports": [{"name": "a"}]}),
            ["spec.ports[0].x"],
            id="in-list-item",
        ),
        pytest.param(
            obj({"size": 1, "labels": {"a": "b"}}),
            obj({"size": 1, "labels": {"a": "b"}}),
            [],
            id="additional",
        ),
        pytest.param(
            obj({"size": 1, "free": {"anything": {"goes": [1]}}}),
            obj({"size": 1, "free": {"anything": {"goes": [1]}}}),
            [],
            id="preserve-unknown-fields",
        ),
        pytest.param(
            obj(
                {
                    "size": 1,
                    "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "y": 1},
                }
            ),
            obj({"size": 1, "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}}),
            ["spec.template.y"],
            id="embedded-keeps-type-meta",
        ),
        pytest.param(
            obj({"size": 1, "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"q": 1}}}),
            obj({"size": 1, "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {}}}),
            ["spec.template.metadata.q"],
            id="embedded-metadata-is-object-meta",
        ),
        pytest.param(
            obj({"size": 1, "opaque": {"apiVersion": "v1", "kind": "X", "z": {"a": 1}}}),
            obj({"size": 1, "opaque": {"apiVersion": "v1", "kind": "X", "z": {"a": 1}}}),
            [],
            id="embedded-preserving",
        ),
        pytest.param(
            obj({"size": 1, "name": None}),
            obj({"size": 1}),
            [],
            id="non-nullable-null-without-default-dropped",
        ),
        pytest.param(
            obj({"size": 1, "maybe": None}), obj({"size": 1, "maybe": None}), [], id="nullable-null-kept"
        ),
    ],
)
def test_prune(given_obj: dict[str, Any], expected: dict[str, Any], unknown: list[str]) -> None:
    before = copy.deepcopy(given_obj)
    assert prune(given_obj, SCHEMA) == expected
    assert unknown_fields(given_obj, SCHEMA) == unknown
    assert given_obj == before


def test_preserve_unknown_fields_still_prunes_described_members() -> None:
    schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    result = prune({"kind": "X", "other": 1, "spec": {"a": "x", "b": 1}}, schema)
    assert result == {"kind": "X", "other": 1, "spec": {"a": "x"}}


def test_prune_never_touches_root_type_meta() -> None:
    assert prune({"apiVersion": "v1", "kind": "K", "metadata": {"name": "n"}}, {"type": "object"}) == {
        "apiVersion": "v1",
        "kind": "K",
        "metadata": {"name": "n"},
    }


# --- defaulting ---


@pytest.mark.parametrize(
    ("given_obj", "expected_spec"),
    [
        pytest.param(
            obj({"size": 1}),
            {"size": 1, "mode": "a", "nested": {"inner": "in", "deeper": {"leaf": 7}}},
            id="absent-members-defaulted-recursively",
        ),
        pytest.param(
            obj({"size": 1, "mode": "b", "nested": {"inner": "x"}}),
            {"size": 1, "mode": "b", "nested": {"inner": "x", "deeper": {"leaf": 7}}},
            id="present-values-kept",
        ),
        pytest.param(
            obj({"size": 1, "mode": None}),
            {"size": 1, "mode": "a", "nested": {"inner": "in", "deeper": {"leaf": 7}}},
            id="non-nullable-null-defaulted",
        ),
        pytest.param(
            obj({"size": 1, "ports": [{"name": "a"}, {"name": "b", "port": 1}]}),
            {
                "size": 1,
                "mode": "a",
                "nested": {"inner": "in", "deeper": {"leaf": 7}},
                "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 1}],
            },
            id="list-items-defaulted",
        ),
    ],
)
def test_apply_defaults(given_obj: dict[str, Any], expected_spec: dict[str, Any]) -> None:
    before = copy.deepcopy(given_obj)
    assert apply_defaults(given_obj, SCHEMA)["spec"] == expected_spec
    assert given_obj == before


def test_defaults_only_inside_present_objects() -> None:
    assert "spec" not in apply_defaults(obj(), SCHEMA)


def test_nullable_null_not_defaulted() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "nullable": True, "default": "d"}}}
    assert apply_defaults({"a": None}, schema) == {"a": None}


def test_additional_properties_defaults() -> None:
    schema = {
        "type": "object",
        "properties": {
            "m": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"x": {"type": "integer", "default": 1}},
                },
            }
        },
    }
    assert apply_defaults({"m": {"k": {}}}, schema) == {"m": {"k": {"x": 1}}}


def test_defaults_inside_a_defaulted_list_item() -> None:
    schema = {
        "type": "object",
        "properties": {
            "l": {
                "type": "array",
                "items": {
                    "type": "object",
                    "default": {},
                    "properties": {"x": {"type": "integer", "default": 1}},
                },
            }
        },
    }
    assert apply_defaults({"l": [None, {"x": 2}]}, schema) == {"l": [{"x": 1}, {"x": 2}]}


def test_default_is_copied() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "object", "default": {"l": [1]}}}}
    first = apply_defaults({}, schema)
    first["a"]["l"].append(2)
    assert apply_defaults({}, schema) == {"a": {"l": [1]}}


# --- validation ---


def messages(causes: list[dict[str, Any]]) -> list[str]:
    return [errors.field_error_string(c) for c in causes]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"size": 3}, [], id="valid"),
        pytest.param({}, ["spec.size: Required value"], id="required"),
        pytest.param(
            {"size": "three"},
            ['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'],
            id="type",
        ),
        pytest.param({"size": 3.0}, [], id="integral-float-is-integer"),
        pytest.param(
            {"size": 1.5},
            ['spec.size: Invalid value: "number": spec.size in body must be of type integer: "number"'],
            id="fractional-float",
        ),
        pytest.param(
            {"size": True},
            ['spec.size: Invalid value: "boolean": spec.size in body must be of type integer: "boolean"'],
            id="bool-is-not-integer",
        ),
        pytest.param({"size": 3, "ratio": 1}, [], id="integer-is-number"),
        pytest.param(
            {"size": 0},
            ["spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"],
            id="minimum",
        ),
        pytest.param(
            {"size": 11},
            ["spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"],
            id="maximum",
        ),
        pytest.param(
            {"size": 1, "mode": "c"},
            ['spec.mode: Unsupported value: "c": supported values: "a", "b"'],
            id="enum",
        ),
        pytest.param(
            {"size": 1, "name": "abcdef"},
            ["spec.name: Too long: may not be more than 5 bytes"],
            id="max-length",
        ),
        pytest.param(
            {"size": 1, "name": "AB"},
            ["spec.name: Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'"],
            id="pattern",
        ),
        pytest.param({"size": 1, "port": 80}, [], id="int-or-string-int"),
        pytest.param({"size": 1, "port": "http"}, [], id="int-or-string-string"),
        pytest.param(
            {"size": 1, "port": True},
            [
                'spec.port: Invalid value: "boolean": '
                'spec.port in body must be of type integer,string: "boolean"'
            ],
            id="int-or-string-bool",
        ),
        pytest.param({"size": 1, "when": "2024-01-02T03:04:05Z"}, [], id="date-time"),
        pytest.param(
            {"size": 1, "when": "yesterday"},
            [
                'spec.when: Invalid value: "yesterday": '
                'spec.when in body must be of type date-time: "yesterday"'
            ],
            id="date-time-bad",
        ),
        pytest.param({"size": 1, "maybe": None}, [], id="nullable"),
        pytest.param(
            {"size": 1, "tags": ["a", None]},
            ['spec.tags[1]: Invalid value: "null": spec.tags[1] in body must be of type string: "null"'],
            id="null-in-list",
        ),
        pytest.param(
            {"size": 1, "tags": ["a", "b", "c"]},
            ["spec.tags: Too many: 3: must have at most 2 items"],
            id="max-items",
        ),
        pytest.param(
            {"size": 1, "tags": ["a", "a"]}, ['spec.tags[1]: Duplicate value: "a"'], id="set-duplicate"
        ),
        pytest.param(
            {"size": 1, "ports": [{"name": "a", "port": 1}, {"name": "a", "port": 2}]},
            ['spec.ports[1]: Duplicate value: {"name":"a","port":2}'],
            id="map-duplicate-key",
        ),
        pytest.param(
            {"size": 1, "ports": [{}]}, ["spec.ports[0].name: Required value"], id="required-in-item"
        ),
        pytest.param(
            {"size": 1, "labels": {"a": 1}},
            [
                'spec.labels.a: Invalid value: "integer": '
                'spec.labels.a in body must be of type string: "integer"'
            ],
            id="additional-properties-type",
        ),
        pytest.param(
            {"size": 1, "template": {"kind": "Pod"}},
            ["spec.template.apiVersion: Required value: must not be empty"],
            id="embedded-requires-api-version",
        ),
        pytest.param(
            {"size": 1, "template": {"apiVersion": "v1", "kind": ""}},
            ['spec.template.kind: Invalid value: "": must not be empty'],
            id="embedded-empty-kind",
        ),
    ],
)
def test_validate(spec: dict[str, Any], expected: list[str]) -> None:
    assert messages(validate(obj(spec), SCHEMA)) == expected


def test_validate_causes_have_kube_reasons() -> None:
    causes = validate(obj({"size": "x", "mode": "z"}), SCHEMA)
    assert [c["reason"] for c in causes] == ["FieldValueTypeInvalid", "FieldValueNotSupported"]
    assert [c["field"] for c in causes] == ["spec.size", "spec.mode"]


def test_validate_message_through_invalid() -> None:
    causes = validate(obj({"size": "x"}), SCHEMA)
    err = errors.invalid("example.com", "Widget", "w", causes)
    assert err.message == (
        'Widget.example.com "w" is invalid: spec.size: Invalid value: "string": '
        'spec.size in body must be of type integer: "string"'
    )


def test_validate_root_required() -> None:
    schema = {"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}
    assert messages(validate(obj(), schema)) == ["spec: Required value"]


def test_enum_of_numbers_listed_as_strings() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}
    assert messages(validate({"n": 3}, schema)) == ['n: Unsupported value: 3: supported values: "1", "2"']


def test_any_of_and_not() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^x"}]},
            "b": {"type": "string", "not": {"enum": ["bad"]}},
        },
    }
    assert validate({"a": 1, "b": "ok"}, schema) == []
    assert messages(validate({"a": "y", "b": "bad"}, schema)) == [
        'a: Invalid value: "y": "a" must validate at least one schema (anyOf)',
        'b: Invalid value: "bad": "b" must not validate the schema (not)',
    ]


@pytest.mark.parametrize(
    ("keyword", "value", "data", "message"),
    [
        pytest.param("minLength", 2, "a", "should be at least 2 chars long", id="min-length"),
        pytest.param("minItems", 1, [], "should have at least 1 items", id="min-items"),
        pytest.param("multipleOf", 2, 3, "should be a multiple of 2", id="multiple-of"),
        pytest.param("minProperties", 1, {}, "should have at least 1 properties", id="min-properties"),
    ],
)
def test_other_limits(keyword: str, value: int, data: Any, message: str) -> None:
    schema = {"type": "object", "properties": {"v": {keyword: value}}}
    [text] = messages(validate({"v": data}, schema))
    assert message in text


def test_exclusive_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {"v": {"type": "number", "minimum": 1, "exclusiveMinimum": True, "maximum": 2.5}},
    }
    assert messages(validate({"v": 1}, schema)) == ["v: Invalid value: 1: v in body should be greater than 1"]
    assert messages(validate({"v": 3}, schema)) == [
        "v: Invalid value: 3: v in body should be less than or equal to 2.5"
    ]


# --- strict decoding, list types, navigation ---


def test_strict_decoding_error() -> None:
    err = strict_decoding_error("Widget", "v1", ["spec.a", "spec.b"])
    assert err.code == 400
    assert err.message == (
        'Widget in version "v1" cannot be handled as a Widget: strict decoding error: '
        'unknown field "spec.a", unknown field "spec.b"'
    )


def test_list_and_map_types() -> None:
    spec = SCHEMA["properties"]["spec"]
    assert list_type(spec["properties"]["ports"]) == ("map", ("name",))
    assert list_type(spec["properties"]["tags"]) == ("set", ())
    assert list_type({"type": "array"}) == ("atomic", ())
    assert list_type(None) == ("atomic", ())
    assert map_type({"x-kubernetes-map-type": "atomic"}) == "atomic"
    assert map_type({}) == "granular"


def test_schema_at() -> None:
    assert schema_at(SCHEMA, ["spec", "ports", 0, "port"]) == {"type": "integer", "default": 80}
    assert schema_at(SCHEMA, ["spec", "labels", "anything"]) == {"type": "string"}
    assert schema_at(SCHEMA, ["spec", "nope", "x"]) is None


_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.sampled_from(["size", "x", "mode"]), c, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.sampled_from(["spec", "status", "junk"]), _values, max_size=3))
def test_prune_is_idempotent_and_reports_what_it_drops(data: dict[str, Any]) -> None:
    once = prune(data, SCHEMA)
    assert prune(once, SCHEMA) == once
    assert unknown_fields(once, SCHEMA) == []
    assert (unknown_fields(data, SCHEMA) == []) or once != data


# --- structural schema checks ---

ROOT = "spec.versions[0].schema.openAPIV3Schema"


@pytest.mark.parametrize(
    ("given_schema", "expected"),
    [
        pytest.param(SCHEMA, [], id="structural"),
        pytest.param(
            {"type": "object", "properties": {"spec": {"properties": {}}}},
            [f"{ROOT}.properties[spec].type: Required value: must not be empty for specified object fields"],
            id="missing-type",
        ),
        pytest.param(
            {"properties": {}}, [f"{ROOT}.type: Required value: must not be empty at the root"], id="root"
        ),
        pytest.param(
            {"type": "string"},
            [f'{ROOT}.type: Invalid value: "string": must be object at the root'],
            id="root-type",
        ),
        pytest.param(
            {"type": "object", "properties": {"l": {"type": "array"}}},
            [f"{ROOT}.properties[l].items: Required value: must be specified"],
            id="array-without-items",
        ),
        pytest.param(
            {"type": "object", "properties": {"l": {"type": "array", "items": {}}}},
            [f"{ROOT}.properties[l].items.type: Required value: must not be empty for specified array items"],
            id="item-type",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {
                    "m": {
                        "type": "object",
                        "properties": {"a": {"type": "string"}},
                        "additionalProperties": {"type": "string"},
                    }
                },
            },
            [
                f"{ROOT}.properties[m].additionalProperties: Forbidden: "
                "additionalProperties and properties are mutual exclusive"
            ],
            id="properties-and-additional",
        ),
        pytest.param(
            {"type": "object", "properties": {"p": {"type": "string", "x-kubernetes-int-or-string": True}}},
            [
                f'{ROOT}.properties[p].type: Invalid value: "string": '
                "must be empty if x-kubernetes-int-or-string is true"
            ],
            id="int-or-string-with-type",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {"p": {"type": "object", "x-kubernetes-preserve-unknown-fields": False}},
            },
            [
                f"{ROOT}.properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: false: "
                "must be true or undefined"
            ],
            id="preserve-false",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}},
            },
            [
                f"{ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and "
                "generateName, "
                "but metadata is implicitly specified"
            ],
            id="metadata",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {
                    "metadata": {
                        "type": "object",
                        "properties": {"name": {"type": "string", "maxLength": 10}},
                    }
                },
            },
            [],
            id="metadata-name-ok",
        ),
        pytest.param(
            {"type": "object", "properties": {"r": {"$ref": "#/x"}}},
            [
                f"{ROOT}.properties[r].$ref: Forbidden: $ref is not supported",
                f"{ROOT}.properties[r].type: Required value: must not be empty for specified object fields",
            ],
            id="ref",
        ),
        pytest.param(
            {"type": "object", "properties": {"n": {"type": "integer", "default": "x"}}},
            [
                f'{ROOT}.properties[n].default: Invalid value: "string": '
                f'{ROOT}.properties[n].default in body must be of type integer: "string"'
            ],
            id="bad-default",
        ),
        pytest.param(
            {
                "type": "object",
                "properties": {
                    "free": {"x-kubernetes-preserve-unknown-fields": True},
                    "ios": {"x-kubernetes-int-or-string": True},
                },
            },
            [],
            id="untyped-allowed",
        ),
    ],
)
def test_structural_errors(given_schema: dict[str, Any], expected: list[str]) -> None:
    from eno.apiserver.schema import structural_errors

    assert messages(structural_errors(given_schema, ROOT)) == expected


# --- properties over generated schemas ---

_names = st.sampled_from(["a", "b", "c", "d"])
_leaf_schemas = st.one_of(
    st.just({"type": "string"}),
    st.just({"type": "integer"}),
    st.just({"type": "number"}),
    st.just({"type": "boolean"}),
    st.just({"type": "string", "enum": ["x", "y"]}),
    st.just({"x-kubernetes-int-or-string": True}),
    st.just({"type": "string", "nullable": True}),
    st.just({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
)
_schemas = st.recursive(
    _leaf_schemas,
    lambda inner: st.one_of(
        st.dictionaries(_names, inner, max_size=3).map(lambda p: {"type": "object", "properties": p}),
        inner.map(lambda i: {"type": "array", "items": i}),
        inner.map(lambda i: {"type": "object", "additionalProperties": i}),
    ),
    max_leaves=6,
)


@st.composite
def _conforming(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    """A value the schema accepts and describes completely (nothing to prune)."""
    if schema.get("x-kubernetes-int-or-string"):
        return draw(st.one_of(st.integers(), st.text(max_size=3)))
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return draw(st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    kind = schema.get("type")
    if kind == "string":
        return draw(st.none() if schema.get("nullable") and draw(st.booleans()) else st.text(max_size=3))
    if kind == "integer":
        return draw(st.integers())
    if kind == "number":
        return draw(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "array":
        return [draw(_conforming(schema["items"])) for _ in range(draw(st.integers(0, 2)))]
    if "additionalProperties" in schema:
        keys = draw(st.lists(_names, max_size=2, unique=True))
        return {k: draw(_conforming(schema["additionalProperties"])) for k in keys}
    props = schema.get("properties", {})
    keys = draw(st.lists(st.sampled_from(sorted(props)), unique=True)) if props else []
    return {k: draw(_conforming(props[k])) for k in keys}


@st.composite
def _schema_and_object(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    spec_schema = draw(_schemas)
    root = {"type": "object", "properties": {"spec": spec_schema}}
    return root, {
        "apiVersion": "v1",
        "kind": "K",
        "metadata": {"name": "n"},
        "spec": draw(_conforming(spec_schema)),
    }


@given(_schema_and_object())
def test_conforming_objects_validate_and_survive_pruning(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    schema, obj = case
    assert validate(obj, schema) == []
    assert unknown_fields(obj, schema) == []
    assert prune(obj, schema) == obj
    assert apply_defaults(obj, schema) == obj


@given(_schema_and_object(), st.text(alphabet="xyz", min_size=1, max_size=2))
def test_an_added_unknown_member_is_reported_and_pruned(
    case: tuple[dict[str, Any], dict[str, Any]], extra: str
) -> None:
    schema, obj = case
    with_extra = {**obj, extra: 1}
    assert unknown_fields(with_extra, schema) == [extra]
    assert prune(with_extra, schema) == obj


# --- ratcheting (updates) ---

RATCHET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["must"],
            "properties": {
                "name": {"type": "string", "maxLength": 3},
                "other": {"type": "string"},
                "must": {"type": "string"},
                "byIndex": {"type": "array", "items": {"type": "string", "maxLength": 1}},
                "byKey": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["k"],
                    "items": {
                        "type": "object",
                        "properties": {"k": {"type": "string"}, "v": {"type": "string", "maxLength": 1}},
                    },
                },
                "atomic": {
                    "type": "array",
                    "x-kubernetes-list-type": "atomic",
                    "items": {"type": "string", "maxLength": 1},
                },
                "ruled": {
                    "type": "object",
                    "x-kubernetes-validations": [{"rule": "self.n > 0", "message": "n must be positive"}],
                    "properties": {"n": {"type": "integer"}},
                },
            },
        }
    },
}


def _spec(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "K", "metadata": {"name": "n"}, "spec": {"must": "x", **fields}}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            _spec(name="toolong"), _spec(name="toolong", other="changed"), [], id="unchanged-invalid-kept"
        ),
        pytest.param(
            _spec(name="toolong"),
            _spec(name="longer!"),
            ["spec.name: Too long: may not be more than 3 bytes"],
            id="changed-invalid-reported",
        ),
        pytest.param(
            _spec(byIndex=["aa", "b"]), _spec(byIndex=["aa", "c"]), [], id="list-by-index-unchanged-item"
        ),
        pytest.param(
            _spec(byKey=[{"k": "a", "v": "xx"}]),
            _spec(byKey=[{"k": "b", "v": "y"}, {"k": "a", "v": "xx"}]),
            [],
            id="map-list-correlated-by-key",
        ),
        pytest.param(
            _spec(atomic=["aa"]),
            _spec(atomic=["aa", "b"]),
            ["spec.atomic[0]: Too long: may not be more than 1 byte"],
            id="atomic-list-not-correlated",
        ),
        pytest.param(
            {"apiVersion": "v1", "kind": "K", "metadata": {"name": "n"}, "spec": {"name": "a"}},
            {"apiVersion": "v1", "kind": "K", "metadata": {"name": "n"}, "spec": {"name": "b"}},
            ["spec.must: Required value"],
            id="required-on-changed-parent",
        ),
        pytest.param(
            _spec(ruled={"n": 0}), _spec(ruled={"n": 0}, other="x"), [], id="cel-rule-on-unchanged-value"
        ),
        pytest.param(
            _spec(ruled={"n": 0}),
            _spec(ruled={"n": -1}),
            ['spec.ruled: Invalid value: "object": n must be positive'],
            id="cel-rule-on-changed-value",
        ),
    ],
)
def test_validation_ratchets_unchanged_values(
    old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    assert messages(validate(new, RATCHET_SCHEMA, old=old)) == expected


def test_create_reports_everything() -> None:
    assert messages(validate(_spec(name="toolong", ruled={"n": 0}), RATCHET_SCHEMA)) == [
        "spec.name: Too long: may not be more than 3 bytes",
        'spec.ruled: Invalid value: "object": n must be positive',
    ]
