"""CRD validation rules (`x-kubernetes-validations`) evaluated as apiextensions-apiserver does.

Each rule runs with `self` bound to the value at its schema node, for every value present (absent and null
values are not checked). A false rule is a field error at that node (plus the rule's `fieldPath`), with
the rule's `reason` and `message` (or `messageExpression`, or "failed rule: <rule>"); the bad value kube
reports is the node's schema type, e.g. `spec: Invalid value: "object": podTimeout must be greater than
execTimeout`. Rules that read `oldSelf` (transition rules) are skipped: the CEL engine declares only
`self` (recorded in docs/compatibility.md). Cost budgets are not enforced. On an update, a rule failing on
a value that did not change is not reported (kube's validation ratcheting).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eno.apiserver import errors

if TYPE_CHECKING:
    from eno.cel.engine import Engine

Schema = Mapping[str, Any]
Cause = dict[str, Any]

ROOT_PATH = "<nil>"  # how kube prints the path of an error at the object root
BLOCKED_MESSAGE = (
    "some validation rules were not checked because the object was invalid; correct the existing errors to "
    "complete validation"
)
_OLD_SELF = re.compile(r"\boldSelf\b")
_BRACKET_KEY = re.compile(r"\[\s*'([^']*)'\s*\]")


# Whether a schema node's subtree has rules, by node identity; the node is kept alongside so its id cannot be
# reused while cached. Schemas are read-only once registered, and there are few of them.
_HAS_RULES: dict[int, tuple[Any, bool]] = {}
_HAS_RULES_LIMIT = 100_000


def has_rules(schema: Any) -> bool:
    """Whether any node of the schema carries x-kubernetes-validations."""
    if not isinstance(schema, Mapping | list):
        return False
    cached = _HAS_RULES.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    if isinstance(schema, Mapping):
        found = bool(schema.get("x-kubernetes-validations")) or any(
            has_rules(v) for v in schema.values() if isinstance(v, Mapping | list)
        )
    else:
        found = any(has_rules(v) for v in schema)
    if len(_HAS_RULES) >= _HAS_RULES_LIMIT:
        _HAS_RULES.clear()
    _HAS_RULES[id(schema)] = (schema, found)
    return found


# The correlated old value of a node during an update, or NO_OLD when there is none (a create, a new key,
# an item of an atomic or set list).
NO_OLD: Any = object()


def correlate_item(old: Any, new: list[Any], schema: Mapping[str, Any], index: int) -> Any:
    """The old item correlated with new[index], as kube's ratcheting does: by key for list-type map, by
    index for lists without a list type, none for atomic and set lists."""
    if not isinstance(old, list) or index >= len(new):
        return NO_OLD
    kind = schema.get("x-kubernetes-list-type")
    if kind == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        item = new[index]
        if not isinstance(item, Mapping):
            return NO_OLD
        wanted = [item.get(k) for k in keys]
        for candidate in old:
            if isinstance(candidate, Mapping) and [candidate.get(k) for k in keys] == wanted:
                return candidate
        return NO_OLD
    if kind in ("set", "atomic"):
        return NO_OLD
    return old[index] if index < len(old) else NO_OLD


def blocked_cause() -> Cause:
    """What kube adds instead of running rules when the object already has type or enum errors."""
    return errors.field_error(errors.FIELD_VALUE_INVALID, ROOT_PATH, None, BLOCKED_MESSAGE)


def _child(path: str, key: str) -> str:
    return key if path in ("", ROOT_PATH) else f"{path}.{key}"


def _rule_field_path(path: str, field_path: Any) -> str:
    if not isinstance(field_path, str) or not field_path:
        return path
    normalized = _BRACKET_KEY.sub(lambda m: "." + m.group(1), field_path).lstrip(".")
    return _child(path, normalized) if normalized else path


def _rule_error_string(rule: Mapping[str, Any]) -> str:
    message = str(rule.get("message") or "").strip()
    return message or str(rule.get("rule") or "").strip()


def _message(rule: Mapping[str, Any], engine: Engine, self_value: Any) -> str:
    expression = rule.get("messageExpression")
    if isinstance(expression, str) and expression:
        try:
            result = engine.compile(expression).evaluate({"self": self_value})
        except Exception:  # a failing messageExpression falls back to the static message, as in kube
            result = None
        if isinstance(result, str) and result.strip() and "\n" not in result.strip():
            return result.strip()
    message = str(rule.get("message") or "").strip()
    return message or f"failed rule: {_rule_error_string(rule)}"


def _failure(path: str, type_name: str, detail: str, reason: Any) -> Cause:
    if reason == errors.FIELD_VALUE_FORBIDDEN:
        return errors.forbidden_field(path, detail)
    if reason == errors.FIELD_VALUE_REQUIRED:
        return errors.required(path, detail)
    if reason == errors.FIELD_VALUE_DUPLICATE:
        return errors.duplicate(path, type_name)
    return errors.invalid_value(path, type_name, detail)


class _RuleValidator:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.causes: list[Cause] = []

    def check_node(self, value: Any, s: Schema, path: str, old: Any = NO_OLD) -> None:
        rules = s.get("x-kubernetes-validations")
        if not isinstance(rules, list):
            return
        type_name = str(s.get("type") or "")
        for rule in rules:
            if not isinstance(rule, Mapping):
                continue
            text = str(rule.get("rule") or "")
            if not text or _OLD_SELF.search(text):
                continue
            try:
                result = self.engine.compile(text).evaluate({"self": value})
            except Exception as exc:  # CelError, or anything an engine lets escape
                message = getattr(exc, "message", str(exc))
                self.causes.append(
                    errors.invalid_value(
                        path, type_name, f"{message} evaluating rule: {_rule_error_string(rule)}"
                    )
                )
                continue
            if result is True:  # anything else, a non-boolean included, fails the rule (kube: != True)
                continue
            if old is not NO_OLD and old == value:
                continue  # ratcheting: a rule failing on an unchanged value is not an error
            detail = _message(rule, self.engine, value)
            target = _rule_field_path(path, rule.get("fieldPath"))
            self.causes.append(_failure(target, type_name, detail, rule.get("reason")))

    def walk(self, value: Any, s: Schema | None, path: str, old: Any = NO_OLD) -> None:
        if s is None or value is None or not has_rules(s):
            return
        self.check_node(value, s, path, old)
        for sub in s.get("allOf") or []:
            if isinstance(sub, Mapping):
                self.walk(value, sub, path, old)  # rules under allOf apply to the same value, as in kube
        if isinstance(value, Mapping):
            props = s.get("properties")
            props = props if isinstance(props, Mapping) else {}
            extra = s.get("additionalProperties")
            for key, child in value.items():
                child_old = old[key] if isinstance(old, Mapping) and key in old else NO_OLD
                if key in props:
                    self.walk(child, props[key], _child(path, key), child_old)
                elif isinstance(extra, Mapping):
                    self.walk(child, extra, _child(path, key), child_old)
        elif isinstance(value, list):
            items = s.get("items")
            if isinstance(items, Mapping):
                for i, child in enumerate(value):
                    self.walk(child, items, f"{path}[{i}]", correlate_item(old, value, s, i))


def _root_self(obj: Mapping[str, Any]) -> dict[str, Any]:
    """At the root, `self.metadata` exposes only name and generateName, as in kube."""
    out = dict(obj)
    meta = obj.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = {k: meta[k] for k in ("name", "generateName") if k in meta}
    return out


def validate_rules(
    obj: Mapping[str, Any],
    schema: Schema | None,
    engine: Engine | None = None,
    old: Mapping[str, Any] | None = None,
) -> list[Cause]:
    """Causes for every failing x-kubernetes-validations rule in `obj` (with `old`, an update: rules
    failing on unchanged values are not reported, as kube ratchets them)."""
    if schema is None or not has_rules(schema):
        return []
    if engine is None:
        from eno.cel.engine import default_engine

        engine = default_engine()
    validator = _RuleValidator(engine)
    root_old = NO_OLD if old is None else _root_self(old)
    validator.check_node(_root_self(obj), schema, ROOT_PATH, root_old)
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else {}
    extra = schema.get("additionalProperties")
    for key, child in obj.items():
        if key in ("apiVersion", "kind", "metadata"):
            continue
        child_old = old[key] if old is not None and key in old else NO_OLD
        if key in props:
            validator.walk(child, props[key], key, child_old)
        elif isinstance(extra, Mapping):
            validator.walk(child, extra, key, child_old)
    return validator.causes


def compile_errors(schema: Any, path: str, engine: Engine | None = None) -> list[Cause]:
    """For CRD validation: a cause for every rule that does not compile (`path` is where the schema sits,
    e.g. `spec.versions[0].schema.openAPIV3Schema`)."""
    if engine is None:
        from eno.cel.engine import default_engine

        engine = default_engine()
    causes: list[Cause] = []

    def visit(node: Any, here: str) -> None:
        if isinstance(node, Mapping):
            for i, rule in enumerate(node.get("x-kubernetes-validations") or []):
                text = rule.get("rule") if isinstance(rule, Mapping) else None
                rule_path = f"{here}.x-kubernetes-validations[{i}].rule"
                if not isinstance(text, str) or not text:
                    causes.append(errors.required(rule_path))
                    continue
                if _OLD_SELF.search(text):
                    continue
                try:
                    engine.compile(text)
                except Exception as exc:
                    message = getattr(exc, "message", str(exc))
                    causes.append(errors.invalid_value(rule_path, text, f"compilation failed: {message}"))
            for key, child in node.items():
                if key == "properties" and isinstance(child, Mapping):
                    for name, prop in child.items():
                        visit(prop, f"{here}.properties[{name}]")
                elif key in ("items", "additionalProperties") and isinstance(child, Mapping):
                    visit(child, f"{here}.{key}")

    visit(schema, path)
    return causes
