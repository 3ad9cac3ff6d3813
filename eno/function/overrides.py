"""Overrides: changes to a desired object that the reconciler makes from the live object (api.md §7.2).

`Override` is Go's `overrides.Override`: path and condition are required, value and valueExpression are
mutually exclusive, and everything is checked when the override is made, with the reconciler's own parser.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from eno.api.v1 import constants as c
from eno.cel.engine import CelError, default_engine
from eno.function.outputs import Obj
from eno.resource.overrides import CompositionMetadata, OverrideOp, apply_overrides, parse_overrides

UNSET: Final[Any] = object()  # no value: distinct from None, which removes the field


def _check(override: Override) -> None:
    if not override.path:
        raise ValueError("an override needs a path")
    if not override.condition:
        raise ValueError("an override needs a condition")
    if override.value is not UNSET and override.value is not None and override.value_expression:
        raise ValueError("an override takes a value or a valueExpression, not both")
    _, errors = parse_overrides(json.dumps([override.to_dict()]), default_engine(), "override")
    if errors:
        raise ValueError("; ".join(e.message for e in errors))


@attrs.frozen
class Override:
    path: str
    condition: str
    value: Any = UNSET  # None: remove the field (the live value is kept, no longer owned by Eno)
    value_expression: str = ""

    def __attrs_post_init__(self) -> None:
        _check(self)

    def to_dict(self) -> Obj:
        out: Obj = {"path": self.path, "condition": self.condition}
        if self.value_expression:
            out["valueExpression"] = self.value_expression
        else:
            out["value"] = None if self.value is UNSET else copy.deepcopy(self.value)
        return out

    def test(self, live: Mapping[str, Any] | None, composition: Mapping[str, Any] | None = None) -> bool:
        """Whether the condition holds against this live object (Go's `Override.Test`); a condition that
        fails to evaluate (e.g. a missing field) is not true, as in the reconciler."""
        program = default_engine().compile(self.condition)
        variables = {
            "self": dict(live) if live is not None else None,
            "composition": CompositionMetadata.from_object(composition).to_cel(),
            "pathManagedByEno": False,
        }
        try:
            return program.evaluate(variables) is True
        except CelError:
            return False


def annotate_overrides(manifest: Obj, overrides: Iterable[Override]) -> Obj:
    """Append `overrides` to the manifest's `eno.azure.io/overrides` annotation. Returns `manifest`."""
    annotations = manifest.setdefault("metadata", {}).setdefault("annotations", {})
    existing = json.loads(annotations.get(c.ANNOTATION_OVERRIDES) or "[]")
    if not isinstance(existing, list):
        raise ValueError(f"{c.ANNOTATION_OVERRIDES} is not a JSON array")
    annotations[c.ANNOTATION_OVERRIDES] = json.dumps(existing + [o.to_dict() for o in overrides])
    return manifest


def replace_if(condition: str) -> Override:
    """Replace the object (a full PUT instead of server-side apply) when `condition` holds."""
    return Override(
        path=f'self.metadata.annotations["{c.ANNOTATION_REPLACE}"]', condition=condition, value="true"
    )


def apply_to(
    manifest: Mapping[str, Any], live: Mapping[str, Any] | None, composition: Mapping[str, Any] | None = None
) -> Obj:
    """The desired object after the manifest's overrides, as the reconciler computes it against `live`.
    For tests of overrides; raises ValueError when the annotation does not parse."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    ops: tuple[OverrideOp, ...] = ()
    if c.ANNOTATION_OVERRIDES in annotations:
        ops, errors = parse_overrides(annotations[c.ANNOTATION_OVERRIDES], default_engine(), "manifest")
        if errors:
            raise ValueError("; ".join(str(e) for e in errors))
    meta = CompositionMetadata.from_object(composition)
    return apply_overrides(copy.deepcopy(dict(manifest)), ops, meta, live, "manifest").obj


def allow_vpa(
    container: str,
    *,
    requests: Mapping[str, str] | None = None,
    limits: Mapping[str, str] | None = None,
    pod_spec: str = "self.spec.template.spec",
) -> list[Override]:
    """Let something else (a VerticalPodAutoscaler) raise a container's resources (Go's AllowVPA).

    One override per given request/limit: while the live value is not Eno's (`pathManagedByEno` is false)
    and is at least the synthesized quantity, the field is left out of the desired object, so the live
    value stays. `pod_spec` is the CEL path of the pod spec (a Deployment's by default)."""
    out: list[Override] = []
    for section, values in (("requests", requests or {}), ("limits", limits or {})):
        for resource, quantity in values.items():
            if not quantity:
                continue
            live = f"c.resources.{section}"
            condition = (
                f"!pathManagedByEno && {pod_spec}.containers.exists(c, c.name == {json.dumps(container)} && "
                f"has(c.resources) && has({live}) && {json.dumps(resource)} in {live} && "
                f"compareResourceQuantities({live}[{json.dumps(resource)}], {json.dumps(quantity)}) >= 0)"
            )
            selector = f"containers[name={json.dumps(container)}]"
            path = f"{pod_spec}.{selector}.resources.{section}[{json.dumps(resource)}]"
            out.append(Override(path=path, condition=condition, value=None))
    return out
