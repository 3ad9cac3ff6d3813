"""Overrides (`eno.azure.io/overrides`): parsing the ops and evaluating them against the live object.

Parsing compiles every path, condition and valueExpression once (when a synthesis is loaded). Our rule for
bad ops (spec §2.3, "Our decision"): an op that fails to decode, or whose path, condition or valueExpression
does not compile, is inert -- never unconditional, never a field deletion, never a crash -- while the other
ops of the annotation still apply; each problem is returned as a ResourceError for the resource's status.

Evaluation (spec §6.4) applies the ops in order to the desired object, each seeing the previous ones'
effects. It never fails the snapshot: a condition or valueExpression that errors, or a path that does not fit
the object, skips that op (fail open) and is reported as an outcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1.constants import ANNOTATION_OVERRIDES
from eno.api.v1.kind import Kind
from eno.cel.engine import CelError, Engine, Program
from eno.resource.errors import ResourceError, annotation_field
from eno.resource.mutation import MutationStatus, apply_path
from eno.resource.overridepath import PathExpr, PathSyntaxError, format_path, parse_path
from eno.resource.ownership import path_managed_by_eno

_FIELD = annotation_field(ANNOTATION_OVERRIDES)


@attrs.frozen
class OverrideOp:
    index: int  # position in the annotation's array, for messages
    path: PathExpr
    value: Any = None  # JSON value; None removes the field
    condition: Program | None = attrs.field(default=None, eq=False)
    condition_text: str = ""
    value_expression: Program | None = attrs.field(default=None, eq=False)
    value_expression_text: str = ""


@attrs.frozen
class CompositionMetadata:
    """What the CEL variable `composition` shows of the owning composition (spec §7)."""

    name: str = ""
    namespace: str = ""
    labels: Mapping[str, str] = attrs.field(factory=dict)
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    deletion_timestamp: str | None = None  # RFC 3339

    @classmethod
    def from_object(cls, obj: Mapping[str, Any] | None) -> CompositionMetadata:
        """From a Composition in its JSON form (only `metadata` is read; wrong types read as empty)."""
        metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
        if not isinstance(metadata, Mapping):
            return cls()

        def string(key: str) -> str:
            value = metadata.get(key)
            return value if isinstance(value, str) else ""

        def string_map(key: str) -> dict[str, str]:
            value = metadata.get(key)
            if not isinstance(value, Mapping):
                return {}
            return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

        deletion = metadata.get("deletionTimestamp")
        return cls(
            name=string("name"),
            namespace=string("namespace"),
            labels=string_map("labels"),
            annotations=string_map("annotations"),
            deletion_timestamp=deletion if isinstance(deletion, str) and deletion else None,
        )

    @classmethod
    def from_composition(cls, composition: Kind) -> CompositionMetadata:
        return cls.from_object({"metadata": composition.metadata})

    def to_cel(self) -> dict[str, Any]:
        return {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": dict(self.labels),
                "annotations": dict(self.annotations),
                "deletionTimestamp": self.deletion_timestamp,
            }
        }


# Readiness checks see an empty composition (spec §4, quirk api.md §10.12).
EMPTY_COMPOSITION = CompositionMetadata()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def parse_overrides(
    text: str, engine: Engine, resource: str
) -> tuple[tuple[OverrideOp, ...], tuple[ResourceError, ...]]:
    """The valid ops of an overrides annotation, and one error per problem. Never raises."""
    try:
        decoded = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        return (), (ResourceError(resource, _FIELD, f"invalid JSON: {err}"),)
    if not isinstance(decoded, list):
        return (), (ResourceError(resource, _FIELD, f"must be a JSON array of ops, found {_kind(decoded)}"),)
    ops: list[OverrideOp] = []
    errors: list[ResourceError] = []
    for index, item in enumerate(decoded):
        op = _parse_op(index, item, engine, resource, errors)
        if op is not None:
            ops.append(op)
    return tuple(ops), tuple(errors)


def _parse_op(
    index: int, item: Any, engine: Engine, resource: str, errors: list[ResourceError]
) -> OverrideOp | None:
    field = f"{_FIELD}[{index}]"

    def fail(subfield: str, message: str) -> None:
        errors.append(ResourceError(resource, field + subfield, message))

    if not isinstance(item, dict):
        fail("", f"an op must be a JSON object, found {_kind(item)}; op ignored")
        return None
    item = _go_field_names(item)
    texts: dict[str, str] = {}
    for name in ("path", "condition", "valueExpression"):
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            fail(f".{name}", f"must be a string, found {_kind(value)}; op ignored")
            return None
        texts[name] = value or ""
    value = item.get("value")
    if value is not None and texts["valueExpression"]:
        fail("", "value and valueExpression are mutually exclusive; op ignored")
        return None
    if not texts["path"]:
        fail(".path", "is required; op ignored")
        return None
    try:
        path = parse_path(texts["path"])
    except PathSyntaxError as err:
        fail(".path", f"invalid path {texts['path']!r}: {err}; op ignored")
        return None
    programs: dict[str, Program | None] = {"condition": None, "valueExpression": None}
    for name in programs:
        if texts[name]:
            try:
                programs[name] = engine.compile(texts[name])
            except CelError as err:
                fail(f".{name}", f"invalid CEL: {err.message}; op ignored")
                return None
    return OverrideOp(
        index=index,
        path=path,
        value=value,
        condition=programs["condition"],
        condition_text=texts["condition"],
        value_expression=programs["valueExpression"],
        value_expression_text=texts["valueExpression"],
    )


_OP_FIELDS = ("path", "condition", "value", "valueExpression")


def _go_field_names(item: dict[str, Any]) -> dict[str, Any]:
    # Go's encoding/json also matches field names case-insensitively ("Value"); without this a capitalised
    # `Value` would read as no value, i.e. a removal.
    found: dict[str, Any] = {}
    for name in _OP_FIELDS:
        if name in item:
            found[name] = item[name]
            continue
        for key, value in item.items():
            if key.lower() == name.lower():
                found[name] = value
    return found


@attrs.frozen
class OpOutcome:
    index: int
    path: str
    status: MutationStatus
    message: str | None = None

    def __str__(self) -> str:
        return f"{self.path}={self.status.value}" + (f" ({self.message})" if self.message else "")


@attrs.frozen
class OverridesResult:
    obj: dict[str, Any]  # the desired object after the ops
    outcomes: tuple[OpOutcome, ...]  # one per op, in order
    errors: tuple[ResourceError, ...]  # the outcomes that are failures, as status-ready errors


_FAILED = frozenset(
    {
        MutationStatus.INVALID_CONDITION,
        MutationStatus.INVALID_VALUE_EXPRESSION,
        MutationStatus.MISSING_PARENT,
        MutationStatus.INDEX_OUT_OF_RANGE,
        MutationStatus.PATH_TYPE_MISMATCH,
    }
)


def apply_overrides(
    obj: dict[str, Any],
    ops: tuple[OverrideOp, ...],
    composition: CompositionMetadata,
    current: Mapping[str, Any] | None,
    resource: str,
) -> OverridesResult:
    """Apply `ops` in order to `obj` (not mutated) against the live object `current`. Never raises."""
    outcomes: list[OpOutcome] = []
    errors: list[ResourceError] = []
    comp = composition.to_cel()
    for op in ops:
        status, message, obj = _apply_op(op, obj, comp, current)
        outcome = OpOutcome(op.index, format_path(op.path), status, message)
        outcomes.append(outcome)
        if status in _FAILED:
            errors.append(ResourceError(resource, f"{_FIELD}[{op.index}]", f"{outcome}; op skipped"))
    return OverridesResult(obj, tuple(outcomes), tuple(errors))


def _apply_op(
    op: OverrideOp, obj: dict[str, Any], composition: dict[str, Any], current: Mapping[str, Any] | None
) -> tuple[MutationStatus, str | None, dict[str, Any]]:
    if op.condition is not None:
        variables = {
            "self": current,
            "composition": composition,
            "pathManagedByEno": lambda: path_managed_by_eno(op.path, current),
        }
        try:
            result = op.condition.evaluate(variables)
        except CelError as err:
            return MutationStatus.INVALID_CONDITION, err.message, obj
        if result is not True:
            return MutationStatus.INACTIVE, None, obj
    value = op.value
    if op.value_expression is not None:
        if current is None:
            return MutationStatus.INACTIVE, "no live object for valueExpression", obj
        variables = {
            "self": current,
            "composition": composition,
            "pathManagedByEno": lambda: path_managed_by_eno(op.path, current),
        }
        try:
            value = op.value_expression.evaluate(variables)
        except CelError as err:
            return MutationStatus.INVALID_VALUE_EXPRESSION, err.message, obj
        if value is None:
            return MutationStatus.INACTIVE, None, obj  # a null result skips the op; it never removes
    mutated = apply_path(obj, op.path, value)
    return mutated.status, mutated.error, mutated.obj


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number"
