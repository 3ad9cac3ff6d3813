"""Would a composition write an object? Its overrides evaluated against the composition's metadata as it
would be after a step (the owner key set or removed) and the live object, exactly as the reconciler
evaluates them. A tombstone that is not disabled deletes the object: a delete counts as a write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eno.api.v1.constants import ANNOTATION_DISABLE_RECONCILIATION, ANNOTATION_OVERRIDES
from eno.cel.engine import Engine
from eno.migrate.observed import Synthesized, annotations_of
from eno.resource.overrides import CompositionMetadata, apply_overrides, parse_overrides


def with_key(comp: Mapping[str, Any] | None, key: str, value: str | None) -> CompositionMetadata:
    """The composition's metadata with `key` set to `value`, or absent when `value` is None or ""
    (the symphony controller prunes "" to absent)."""
    meta = CompositionMetadata.from_object(comp)
    annotations = dict(meta.annotations)
    annotations.pop(key, None)
    if value:
        annotations[key] = value
    return CompositionMetadata(meta.name, meta.namespace, meta.labels, annotations, meta.deletion_timestamp)


def writes(
    entry: Synthesized | None,
    composition: CompositionMetadata,
    live: Mapping[str, Any] | None,
    engine: Engine,
) -> bool:
    """Whether the composition would apply (or, for a tombstone, delete) the object."""
    if entry is None:
        return False
    obj = dict(entry.obj)
    text = annotations_of(obj).get(ANNOTATION_OVERRIDES)
    if text:
        ops, _ = parse_overrides(str(text), engine, "")
        obj = apply_overrides(obj, ops, composition, live, "").obj
    disabled = annotations_of(obj).get(ANNOTATION_DISABLE_RECONCILIATION) == "true"
    return not disabled
