"""Structural-schema operations on custom resources: pruning, defaulting, validation, list types.

Schemas are CRD `openAPIV3Schema` dicts. The order kube-apiserver uses, and callers should too:
`prune` (drops unknown fields and non-nullable nulls that have no default), then `apply_defaults`, then
`validate`. `unknown_fields` reports what `prune` would drop, for `fieldValidation=Strict|Warn`.

Behaviour follows apiextensions-apiserver's structural pruning/defaulting and kube-openapi's validator:
- the object root is an embedded resource: `apiVersion`, `kind` and `metadata` are never pruned by the
  schema; `metadata` (at the root and in every `x-kubernetes-embedded-resource`) keeps only ObjectMeta's
  fields, as kube's typed round trip does;
- `x-kubernetes-preserve-unknown-fields` keeps unknown members at that level (and in arrays below it),
  while members the schema does describe are still pruned by their own schema;
- defaults apply to absent members of objects that are present, recursively (including inside objects
  that were themselves just defaulted), and replace a non-nullable null;
- validation messages use kube-openapi's wording wrapped in field errors, e.g.
  `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`;
  x-kubernetes-validations (CEL) run after it (celrules.py), and on updates errors in unchanged values
  are ratcheted away as kube does since 1.33.
`structural_errors` holds what CRD creation refuses in a schema that is not structural.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from eno.apiserver import celrules, errors
from eno.apiserver.celrules import NO_OLD, correlate_item

Schema = Mapping[str, Any]

OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_RESOURCE_FIELDS = ("apiVersion", "kind", "metadata")


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars); several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def _properties(s: Schema | None) -> Mapping[str, Schema]:
    if s is None:
        return {}
    props = s.get("properties")
    return props if isinstance(props, Mapping) else {}


def _additional(s: Schema | None) -> Schema | bool | None:
    """additionalProperties: a schema, True (anything goes), or None (not allowed)."""
    if s is None:
        return None
    extra = s.get("additionalProperties")
    if isinstance(extra, Mapping):
        return extra
    if extra is True:
        return True
    return None


def _preserves(s: Schema | None) -> bool:
    return s is not None and s.get("x-kubernetes-preserve-unknown-fields") is True


def _embedded(s: Schema | None) -> bool:
    return s is not None and s.get("x-kubernetes-embedded-resource") is True


def _nullable(s: Schema | None) -> bool:
    return s is not None and s.get("nullable") is True


def _has_default(s: Schema | None) -> bool:
    return s is not None and "default" in s and s["default"] is not None


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


# --- pruning ---


class _Pruner:
    def __init__(self, track: bool) -> None:
        self.track = track
        self.unknown: list[str] = []

    def record(self, path: str) -> None:
        if self.track:
            self.unknown.append(path)

    def prune(self, x: Any, s: Schema | None, path: str, resource_root: bool = False) -> Any:
        if _preserves(s):
            return self.skip_prune(x, s, path, resource_root)
        if isinstance(x, Mapping):
            if s is None and not resource_root:
                for key in x:
                    self.record(_child_path(path, key))
                return {}
            props = _properties(s)
            extra = _additional(s)
            resource = resource_root or _embedded(s)
            out: dict[str, Any] = {}
            for key, value in x.items():
                child = _child_path(path, key)
                if resource and key in _RESOURCE_FIELDS:
                    out[key] = self.resource_field(key, value, child)
                elif key in props:
                    out[key] = self.prune(value, props[key], child)
                elif isinstance(extra, Mapping):
                    out[key] = self.prune(value, extra, child)
                elif extra is True:
                    out[key] = copy_json(value)
                else:
                    self.record(child)
            return out
        if isinstance(x, list):
            items = s.get("items") if s is not None else None
            item_schema = items if isinstance(items, Mapping) else None
            return [self.prune(v, item_schema, _index_path(path, i)) for i, v in enumerate(x)]
        return x

    def skip_prune(self, x: Any, s: Schema | None, path: str, resource_root: bool = False) -> Any:
        """Under x-kubernetes-preserve-unknown-fields: keep unknown members, prune the described ones."""
        if s is None:
            return copy_json(x)
        if isinstance(x, Mapping):
            props = _properties(s)
            extra = _additional(s)
            resource = resource_root or _embedded(s)
            out: dict[str, Any] = {}
            for key, value in x.items():
                child = _child_path(path, key)
                if resource and key in _RESOURCE_FIELDS:
                    out[key] = self.resource_field(key, value, child)
                elif key in props:
                    out[key] = self.prune(value, props[key], child)
                elif isinstance(extra, Mapping):
                    out[key] = self.prune(value, extra, child)
                else:
                    out[key] = copy_json(value)
            return out
        if isinstance(x, list):
            items = s.get("items")
            item_schema = items if isinstance(items, Mapping) else None
            return [self.skip_prune(v, item_schema, _index_path(path, i)) for i, v in enumerate(x)]
        return x

    def resource_field(self, key: str, value: Any, path: str) -> Any:
        """apiVersion/kind/metadata of a resource are never pruned by the schema; metadata goes through
        ObjectMeta instead (kube round-trips it through the typed struct, dropping unknown fields)."""
        if key == "metadata" and isinstance(value, Mapping):
            return self.object_meta(value, path)
        return copy_json(value)

    def object_meta(self, meta: Mapping[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in meta.items():
            if key in OBJECT_META_FIELDS:
                out[key] = copy_json(value)
            else:
                self.record(_child_path(path, key))
        return out


def prune(obj: Mapping[str, Any], schema: Schema | None) -> dict[str, Any]:
    """Drop fields the schema does not describe, and non-nullable nulls without a default. New object."""
    pruned: dict[str, Any] = _Pruner(track=False).prune(obj, schema, "", resource_root=True)
    _drop_non_nullable_nulls(pruned, schema)
    return pruned


def unknown_fields(obj: Mapping[str, Any], schema: Schema | None) -> list[str]:
    """Paths `prune` would drop (`spec.foo`, `spec.items[0].bar`, `metadata.foo`), sorted."""
    pruner = _Pruner(track=True)
    pruner.prune(obj, schema, "", resource_root=True)
    return sorted(set(pruner.unknown))


def strict_decoding_error(kind: str, version: str, paths: Sequence[str]) -> errors.ApiError:
    """The 400 kube-apiserver returns for unknown fields under fieldValidation=Strict (create/update)."""
    detail = ", ".join(f'unknown field "{p}"' for p in paths)
    return errors.bad_request(
        f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: {detail}'
    )


def unknown_field_warnings(paths: Sequence[str]) -> list[str]:
    """Warning texts for fieldValidation=Warn (one `Warning` header each)."""
    return [f'unknown field "{p}"' for p in paths]


# --- defaulting ---


def _drop_non_nullable_nulls(x: Any, s: Schema | None) -> None:
    """structuraldefaulting.PruneNonNullableNullsWithoutDefaults, in place."""
    if s is None:
        return
    if isinstance(x, dict):
        props = _properties(s)
        extra = _additional(s)
        for key in list(x):
            value = x[key]
            prop: Schema | None = props.get(key)
            if prop is None and isinstance(extra, Mapping):
                prop = extra
            if prop is None:
                continue
            if value is None and not _nullable(prop) and not _has_default(prop):
                del x[key]
            else:
                _drop_non_nullable_nulls(value, prop)
    elif isinstance(x, list):
        items = s.get("items")
        if isinstance(items, Mapping):
            for value in x:
                _drop_non_nullable_nulls(value, items)


def _is_non_nullable_null(value: Any, s: Schema | None) -> bool:
    return value is None and s is not None and not _nullable(s)


def _default(x: Any, s: Schema | None) -> None:
    if s is None:
        return
    if isinstance(x, dict):
        props = _properties(s)
        for key, prop in props.items():
            if not _has_default(prop):
                continue
            if key not in x or _is_non_nullable_null(x[key], prop):
                x[key] = copy_json(prop["default"])
        extra = _additional(s)
        for key, value in list(x.items()):
            if key in props:
                _default(value, props[key])
            elif isinstance(extra, Mapping):
                if _is_non_nullable_null(value, extra) and _has_default(extra):
                    x[key] = copy_json(extra["default"])
                _default(x[key], extra)
    elif isinstance(x, list):
        items = s.get("items")
        if not isinstance(items, Mapping):
            return
        for i, value in enumerate(x):
            if _is_non_nullable_null(value, items) and _has_default(items):
                x[i] = copy_json(items["default"])
            _default(x[i], items)  # defaults inside a default apply too


def apply_defaults(obj: Mapping[str, Any], schema: Schema | None) -> dict[str, Any]:
    """Apply `default`s to absent (or non-nullable null) members of present objects. New object."""
    out: dict[str, Any] = copy_json(dict(obj))
    _drop_non_nullable_nulls(out, schema)
    _default(out, schema)
    return out


# --- validation ---


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(value: Any, want: str) -> bool:
    have = json_type(value)
    if have == want:
        return True
    if want == "number" and have == "integer":
        return True
    # A JSON number with an integral value (1.0) is an integer, as kube-openapi treats it.
    return want == "integer" and isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_values_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _go_v(value: Any) -> str:
    """Go's %v for a schema limit (a float64 in kube-openapi)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_DATE_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DURATION_RE = re.compile(r"([0-9]+(\.[0-9]+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+")


def _format_ok(fmt: str, value: str) -> bool:
    """The string formats kube validates; unknown formats pass, as in kube."""
    try:
        if fmt in ("date-time", "datetime"):
            return bool(_DATE_TIME_RE.fullmatch(value))
        if fmt == "date":
            return bool(_DATE_RE.fullmatch(value))
        if fmt == "byte":
            base64.b64decode(value, validate=True)
            return True
        if fmt in ("uuid", "uuid3", "uuid4", "uuid5"):
            uuid.UUID(value)
            return True
        if fmt == "ipv4":
            ipaddress.IPv4Address(value)
            return True
        if fmt == "ipv6":
            ipaddress.IPv6Address(value)
            return True
        if fmt == "cidr":
            ipaddress.ip_network(value, strict=False)
            return True
        if fmt == "duration":
            return bool(_DURATION_RE.fullmatch(value))
    except (ValueError, binascii.Error):
        return False
    return True


class _Validator:
    def __init__(self) -> None:
        self.causes: list[dict[str, Any]] = []
        self.ratcheted: list[dict[str, Any]] = []

    def add(self, cause: dict[str, Any]) -> None:
        self.causes.append(cause)

    def validate(
        self, x: Any, s: Schema | None, path: str, resource_root: bool = False, old: Any = NO_OLD
    ) -> None:
        """Validate x against s. With a correlated `old` value (an update), errors found at or below this
        node are dropped when the value did not change: kube's CRD validation ratcheting."""
        start = len(self.causes)
        self._validate_node(x, s, path, resource_root, old)
        if old is not NO_OLD and len(self.causes) > start and _values_equal(old, x):
            self.ratcheted.extend(self.causes[start:])
            del self.causes[start:]

    def _validate_node(self, x: Any, s: Schema | None, path: str, resource_root: bool, old: Any) -> None:
        if s is None:
            return
        name = path  # kube-openapi names the value by its path ("spec.replicas")
        if x is None:
            if _nullable(s):
                return
            types = self._types(s)
            if types:
                self.add(
                    errors.type_invalid(
                        path, "null", f'{name} in body must be of type {",".join(types)}: "null"'
                    )
                )
            return
        types = self._types(s)
        if types and not any(_type_ok(x, t) for t in types):
            have = json_type(x)
            self.add(
                errors.type_invalid(path, have, f'{name} in body must be of type {",".join(types)}: "{have}"')
            )
            return
        self._value_checks(x, s, path, name)
        self._combinators(x, s, path, name, old)
        if isinstance(x, Mapping):
            self._object(x, s, path, name, resource_root, old)
        elif isinstance(x, list):
            self._array(x, s, path, name, old)

    @staticmethod
    def _types(s: Schema) -> list[str]:
        if s.get("x-kubernetes-int-or-string") is True:
            return ["integer", "string"]
        t = s.get("type")
        if isinstance(t, str) and t:
            return [t]
        if isinstance(t, list):
            return [str(v) for v in t]
        return []

    def _value_checks(self, x: Any, s: Schema, path: str, name: str) -> None:
        enum = s.get("enum")
        if isinstance(enum, list) and enum and not any(_values_equal(x, e) for e in enum):
            allowed = [e if isinstance(e, str) else errors.go_value(e) for e in enum]
            self.add(errors.not_supported(path, x, allowed))
        if isinstance(x, str):
            self._string_checks(x, s, path, name)
        elif isinstance(x, int | float) and not isinstance(x, bool):
            self._number_checks(x, s, path, name)

    def _string_checks(self, x: str, s: Schema, path: str, name: str) -> None:
        max_length = s.get("maxLength")
        if isinstance(max_length, int) and len(x) > max_length:
            self.add(errors.too_long(path, max_length))
        min_length = s.get("minLength")
        if isinstance(min_length, int) and len(x) < min_length:
            self.add(
                errors.invalid_value(path, x, f"{name} in body should be at least {min_length} chars long")
            )
        pattern = s.get("pattern")
        if isinstance(pattern, str):
            try:
                matched = re.search(pattern, x) is not None
            except re.error:
                matched = True  # a pattern Python cannot compile was accepted by kube at CRD creation
            if not matched:
                self.add(errors.invalid_value(path, x, f"{name} in body should match '{pattern}'"))
        fmt = s.get("format")
        if isinstance(fmt, str) and fmt and not _format_ok(fmt, x):
            self.add(errors.invalid_value(path, x, f'{name} in body must be of type {fmt}: "{x}"'))

    def _number_checks(self, x: float, s: Schema, path: str, name: str) -> None:
        minimum = s.get("minimum")
        if isinstance(minimum, int | float):
            if s.get("exclusiveMinimum") is True and x <= minimum:
                self.add(
                    errors.invalid_value(path, x, f"{name} in body should be greater than {_go_v(minimum)}")
                )
            elif x < minimum:
                self.add(
                    errors.invalid_value(
                        path, x, f"{name} in body should be greater than or equal to {_go_v(minimum)}"
                    )
                )
        maximum = s.get("maximum")
        if isinstance(maximum, int | float):
            if s.get("exclusiveMaximum") is True and x >= maximum:
                self.add(
                    errors.invalid_value(path, x, f"{name} in body should be less than {_go_v(maximum)}")
                )
            elif x > maximum:
                self.add(
                    errors.invalid_value(
                        path, x, f"{name} in body should be less than or equal to {_go_v(maximum)}"
                    )
                )
        multiple = s.get("multipleOf")
        if isinstance(multiple, int | float) and multiple > 0:
            quotient = x / multiple
            if not math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9):
                self.add(
                    errors.invalid_value(path, x, f"{name} in body should be a multiple of {_go_v(multiple)}")
                )

    def _combinators(self, x: Any, s: Schema, path: str, name: str, old: Any = NO_OLD) -> None:
        for sub in s.get("allOf") or []:
            if isinstance(sub, Mapping):
                self.validate(x, sub, path, old=old)
        any_of = [sub for sub in s.get("anyOf") or [] if isinstance(sub, Mapping)]
        if any_of and not any(_passes(x, sub, path) for sub in any_of):
            self.add(errors.invalid_value(path, x, f'"{name}" must validate at least one schema (anyOf)'))
        one_of = [sub for sub in s.get("oneOf") or [] if isinstance(sub, Mapping)]
        if one_of and sum(1 for sub in one_of if _passes(x, sub, path)) != 1:
            self.add(errors.invalid_value(path, x, f'"{name}" must validate one and only one schema (oneOf)'))
        not_schema = s.get("not")
        if isinstance(not_schema, Mapping) and _passes(x, not_schema, path):
            self.add(errors.invalid_value(path, x, f'"{name}" must not validate the schema (not)'))

    def _object(
        self, x: Mapping[str, Any], s: Schema, path: str, name: str, resource_root: bool, old: Any = NO_OLD
    ) -> None:
        for key in s.get("required") or []:
            if key not in x:
                self.add(errors.required(_child_path(path, key)))
        max_props = s.get("maxProperties")
        if isinstance(max_props, int) and len(x) > max_props:
            self.add(errors.too_many(path, len(x), max_props))
        min_props = s.get("minProperties")
        if isinstance(min_props, int) and len(x) < min_props:
            self.add(
                errors.invalid_value(path, x, f"{name} in body should have at least {min_props} properties")
            )
        if _embedded(s) and not resource_root:
            self._embedded_resource(x, path)
        props = _properties(s)
        extra = _additional(s)
        for key, value in x.items():
            child = _child_path(path, key)
            child_old = old[key] if isinstance(old, Mapping) and key in old else NO_OLD
            if key in props:
                self.validate(value, props[key], child, old=child_old)
            elif isinstance(extra, Mapping):
                self.validate(value, extra, child, old=child_old)

    def _embedded_resource(self, x: Mapping[str, Any], path: str) -> None:
        """apiextensions' validateEmbeddedResource: apiVersion and kind are required non-empty strings."""
        for key in ("apiVersion", "kind"):
            child = _child_path(path, key)
            if key not in x:
                self.add(errors.required(child, "must not be empty"))
            elif not isinstance(x[key], str):
                self.add(errors.invalid_value(child, x[key], "must be a string"))
            elif not x[key]:
                self.add(errors.invalid_value(child, x[key], "must not be empty"))

    def _array(self, x: list[Any], s: Schema, path: str, name: str, old: Any = NO_OLD) -> None:
        max_items = s.get("maxItems")
        if isinstance(max_items, int) and len(x) > max_items:
            self.add(errors.too_many(path, len(x), max_items))
        min_items = s.get("minItems")
        if isinstance(min_items, int) and len(x) < min_items:
            self.add(errors.invalid_value(path, x, f"{name} in body should have at least {min_items} items"))
        if s.get("uniqueItems") is True and _first_duplicate(x) is not None:
            self.add(errors.invalid_value(path, x, f"{name} in body shouldn't contain duplicates"))
        items = s.get("items")
        if isinstance(items, Mapping):
            for i, value in enumerate(x):
                self.validate(value, items, _index_path(path, i), old=correlate_item(old, x, s, i))
        self._list_type(x, s, path)

    def _list_type(self, x: list[Any], s: Schema, path: str) -> None:
        kind, keys = list_type(s)
        if kind == "set":
            seen: list[Any] = []
            for i, value in enumerate(x):
                if any(_values_equal(value, v) for v in seen):
                    self.add(errors.duplicate(_index_path(path, i), value))
                else:
                    seen.append(value)
        elif kind == "map" and keys:
            # kube's listtype validation: items must be objects; two items with equal keys (an absent key
            # counts as one "unspecified" value) are duplicates, reported with the whole item.
            seen_keys: list[dict[str, Any]] = []
            for i, value in enumerate(x):
                if value is None:
                    continue
                if not isinstance(value, Mapping):
                    self.add(
                        errors.invalid_value(
                            _index_path(path, i), value, "must be an object for an array of list-type map"
                        )
                    )
                    continue
                key = {k: value.get(k) for k in keys if k in value}
                if any(_values_equal(key, k) for k in seen_keys):
                    self.add(errors.duplicate(_index_path(path, i), value))
                else:
                    seen_keys.append(key)


def _first_duplicate(values: list[Any]) -> int | None:
    for i, value in enumerate(values):
        if any(_values_equal(value, other) for other in values[:i]):
            return i
    return None


def _passes(x: Any, s: Schema, path: str) -> bool:
    probe = _Validator()
    probe.validate(x, s, path)
    return not probe.causes


def validate(
    obj: Mapping[str, Any],
    schema: Schema | None,
    *,
    old: Mapping[str, Any] | None = None,
    rules: bool = True,
) -> list[dict[str, Any]]:
    """Field-error causes ({reason, message, field}) for `obj` against the schema; empty when valid.

    On an update pass the stored object as `old`: errors in values that did not change are not reported
    (kube's CRD validation ratcheting, GA since 1.33), so tightening a schema does not lock existing objects.
    With `rules`, x-kubernetes-validations (CEL) run afterwards, unless the object already has type or
    enum errors, in which case kube reports that the rules were not checked (celrules.blocked_cause)."""
    validator = _Validator()
    validator.validate(obj, schema, "", resource_root=True, old=NO_OLD if old is None else old)
    causes = validator.causes
    if rules and celrules.has_rules(schema):
        blocking = (errors.FIELD_VALUE_TYPE_INVALID, errors.FIELD_VALUE_NOT_SUPPORTED)
        if any(c["reason"] in blocking for c in causes):
            causes.append(celrules.blocked_cause())
        else:
            causes.extend(celrules.validate_rules(obj, schema, old=old))
    return causes


# --- schema navigation (for server-side apply and printing) ---


def schema_at(schema: Schema | None, path: Sequence[str | int]) -> Schema | None:
    """The sub-schema at a path of member names (str) and list indices (int), or None if undescribed."""
    node = schema
    for part in path:
        if node is None:
            return None
        if isinstance(part, int):
            items = node.get("items")
            node = items if isinstance(items, Mapping) else None
        else:
            props = _properties(node)
            if part in props:
                node = props[part]
            else:
                extra = _additional(node)
                node = extra if isinstance(extra, Mapping) else None
    return node


def list_type(schema: Schema | None) -> tuple[str, tuple[str, ...]]:
    """(`atomic`|`set`|`map`, map keys) for an array schema; arrays are atomic unless marked."""
    if schema is None:
        return "atomic", ()
    kind = schema.get("x-kubernetes-list-type") or "atomic"
    keys = schema.get("x-kubernetes-list-map-keys") or []
    if kind not in ("atomic", "set", "map"):
        kind = "atomic"
    return str(kind), tuple(str(k) for k in keys) if kind == "map" else ()


def map_type(schema: Schema | None) -> str:
    """`granular` (default: members owned separately) or `atomic` for an object schema."""
    if schema is None:
        return "granular"
    kind = schema.get("x-kubernetes-map-type") or "granular"
    return "atomic" if kind == "atomic" else "granular"


# --- structural-schema checks (for CRD creation) ---

_UNSUPPORTED_KEYWORDS = {
    "$ref": "$ref is not supported",
    "definitions": "definitions are not supported",
    "dependencies": "dependencies are not supported",
    "patternProperties": "patternProperties is not supported",
    "additionalItems": "additionalItems is not supported",
    "id": "id is not supported",
    "$schema": "$schema is not supported",
    "uniqueItems": "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
}


class _StructuralChecker:
    def __init__(self) -> None:
        self.causes: list[dict[str, Any]] = []

    def check(self, s: Any, path: str, where: str) -> None:
        """`where` says what the node is: root, property, item, additional."""
        if not isinstance(s, Mapping):
            return
        for key, message in _UNSUPPORTED_KEYWORDS.items():
            if key in s and not (key == "uniqueItems" and s[key] is not True):
                self.causes.append(errors.forbidden_field(f"{path}.{key}", message))
        preserve = s.get("x-kubernetes-preserve-unknown-fields")
        if preserve is False:
            self.causes.append(
                errors.invalid_value(
                    f"{path}.x-kubernetes-preserve-unknown-fields", False, "must be true or undefined"
                )
            )
        int_or_string = s.get("x-kubernetes-int-or-string") is True
        kind = s.get("type") or ""
        if int_or_string and kind:
            self.causes.append(
                errors.invalid_value(
                    f"{path}.type", kind, "must be empty if x-kubernetes-int-or-string is true"
                )
            )
        elif not kind and not int_or_string and preserve is not True:
            detail = {
                "root": "must not be empty at the root",
                "item": "must not be empty for specified array items",
            }.get(where, "must not be empty for specified object fields")
            self.causes.append(errors.required(f"{path}.type", detail))
        if where == "root" and kind and kind != "object":
            self.causes.append(errors.invalid_value(f"{path}.type", kind, "must be object at the root"))
        if s.get("x-kubernetes-embedded-resource") is True and kind and kind != "object":
            self.causes.append(
                errors.invalid_value(
                    f"{path}.type", kind, "must be object if x-kubernetes-embedded-resource is true"
                )
            )
        props = s.get("properties")
        extra = s.get("additionalProperties")
        if isinstance(props, Mapping) and props and extra is not None and extra is not False:
            self.causes.append(
                errors.forbidden_field(
                    f"{path}.additionalProperties", "additionalProperties and properties are mutual exclusive"
                )
            )
        if kind == "array" and not isinstance(s.get("items"), Mapping):
            self.causes.append(errors.required(f"{path}.items", "must be specified"))
        if where == "root" and isinstance(props, Mapping) and "metadata" in props:
            self._root_metadata(props["metadata"], f"{path}.properties[metadata]")
        if "default" in s and s["default"] is not None:
            self._default(s, path)
        if isinstance(props, Mapping):
            for name, prop in props.items():
                if where == "root" and name == "metadata":
                    continue
                self.check(prop, f"{path}.properties[{name}]", "property")
        if isinstance(extra, Mapping):
            self.check(extra, f"{path}.additionalProperties", "additional")
        items = s.get("items")
        if isinstance(items, Mapping):
            self.check(items, f"{path}.items", "item")

    def _root_metadata(self, meta: Any, path: str) -> None:
        if not isinstance(meta, Mapping):
            return
        allowed = {"type", "properties", "description"}
        props = meta.get("properties") or {}
        extra_keys = set(meta) - allowed
        bad_props = set(props) - {"name", "generateName"} if isinstance(props, Mapping) else set()
        if extra_keys or bad_props or (meta.get("type") not in (None, "object")):
            self.causes.append(
                errors.forbidden_field(
                    path,
                    "must not specify anything other than name and generateName, but metadata is implicitly "
                    "specified",
                )
            )

    def _default(self, s: Mapping[str, Any], path: str) -> None:
        # kube validates a default against its own node's schema, naming it by its place in the CRD.
        probe = _Validator()
        probe.validate(s["default"], s, f"{path}.default")
        self.causes.extend(probe.causes)


def structural_errors(schema: Any, path: str) -> list[dict[str, Any]]:
    """Causes for what kube's CRD validation rejects in a schema that is not structural (missing types,
    properties with additionalProperties, arrays without items, metadata beyond name/generateName,
    unsupported keywords, defaults that do not validate). `path` locates the schema in the CRD, e.g.
    `spec.versions[0].schema.openAPIV3Schema`."""
    checker = _StructuralChecker()
    checker.check(schema, path, "root")
    return checker.causes
