"""The desired state of one resource for one reconcile: overrides applied, cascading flags read, Eno's
metadata stripped (spec reconciliation.md §3.3).

Cascading keys are read from the object *after* overrides, falling back to the composition's annotations
when the object does not have the key at all (an empty value on the object still wins). Then every
annotation and label whose key starts with `eno.azure.io/` is removed (and the map, if that empties it).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.times import parse_duration
from eno.resource.errors import ResourceError, Severity, annotation_field
from eno.resource.overrides import CompositionMetadata, OpOutcome, apply_overrides
from eno.resource.patch import patch_ops, sets_deletion_timestamp
from eno.resource.resource import Resource


@attrs.frozen
class Snapshot:
    resource: Resource
    obj: dict[
        str, Any
    ]  # what is sent to the API server (a Patch: the Patch document); the caller's to modify
    disable: bool = False  # eno.azure.io/disable-reconciliation
    disable_updates: bool = False
    replace: bool = False
    # Left in place when the composition is deleted: deletion-strategy orphan, or -- our fix of Eno's quirk
    # (api.md §10.10) -- a Patch whose ops do not ask for deletion (Eno deleted such Patches' targets, objects
    # it never created). deletion-strategy has no effect on Patches.
    orphan: bool = False
    foreground: bool = False  # deletion-strategy foreground
    reconcile_interval: datetime.timedelta | None = None
    use_default_interval: bool = False
    outcomes: tuple[OpOutcome, ...] = ()  # one per override op
    errors: tuple[ResourceError, ...] = ()  # failed override ops, invalid cascading values

    @property
    def patch_ops(self) -> list[Any]:
        return patch_ops(self.obj) if self.resource.is_patch else []

    @property
    def deleted(self) -> bool:
        """Whether this resource must not exist: composition deleting, tombstone, disabled, or delete-Patch.

        While the composition is deleting every Patch counts as deleted, as in Eno; `orphan` keeps the
        targets of Patches that do not ask for deletion.
        """
        return (
            self.resource.composition_deleted
            or self.resource.deleted
            or self.disable
            or (self.resource.is_patch and sets_deletion_timestamp(self.patch_ops))
        )


def snapshot(
    resource: Resource,
    composition: CompositionMetadata,
    current: Mapping[str, Any] | None,
    *,
    manifest: dict[str, Any] | None = None,
) -> Snapshot:
    """Apply `resource`'s overrides to its manifest (or to `manifest`, e.g. the previous synthesis's manifest
    with the new overrides, §3.4) against the live object `current`. Never raises."""
    applied = apply_overrides(
        manifest if manifest is not None else resource.manifest,
        resource.overrides,
        composition,
        current,
        str(resource.ref),
    )
    obj = applied.obj
    errors = list(applied.errors)
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    annotations = metadata.get("annotations")
    annotations = annotations if isinstance(annotations, Mapping) else {}

    def value(key: str) -> str:
        if key in annotations:
            found = annotations[key]
            return found if isinstance(found, str) else ""
        return composition.annotations.get(key, "")

    strategy = value(c.ANNOTATION_DELETION_STRATEGY).lower()
    interval: datetime.timedelta | None = None
    interval_text = value(c.ANNOTATION_RECONCILE_INTERVAL)
    if interval_text:
        try:
            interval = parse_duration(interval_text)
        except ValueError:
            # Eno used 0, floored to --min-reconcile-interval: aggressive polling for a typo. We ignore it.
            errors.append(
                ResourceError(
                    str(resource.ref),
                    annotation_field(c.ANNOTATION_RECONCILE_INTERVAL),
                    f"invalid duration {interval_text!r}; ignored",
                    Severity.WARNING,
                )
            )
    return Snapshot(
        resource=resource,
        # A private copy: callers set resourceVersion etc. on it, and it shares subtrees with the cached
        # manifest until then (overrides are copy-on-write).
        obj=_clone(strip_eno_metadata(obj)),
        disable=value(c.ANNOTATION_DISABLE_RECONCILIATION) == "true",
        disable_updates=value(c.ANNOTATION_DISABLE_UPDATES) == "true",
        replace=value(c.ANNOTATION_REPLACE) == "true",
        orphan=_orphaned(resource, obj, strategy),
        foreground=strategy == c.DELETION_STRATEGY_FOREGROUND,
        reconcile_interval=interval,
        use_default_interval=value(c.ANNOTATION_USE_DEFAULT_RECONCILE_INTERVAL) == "true",
        outcomes=applied.outcomes,
        errors=tuple(errors),
    )


def _clone(obj: dict[str, Any]) -> dict[str, Any]:
    def clone(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clone(v) for k, v in value.items()}
        if isinstance(value, list | tuple):  # tuples: frozen by the runtime cache
            return [clone(v) for v in value]
        return value

    try:
        copied: dict[str, Any] = clone(obj)
    except RecursionError:
        return obj  # absurdly deep: share rather than fail the snapshot
    return copied


def _orphaned(resource: Resource, obj: dict[str, Any], strategy: str) -> bool:
    if resource.is_patch:
        return not sets_deletion_timestamp(patch_ops(obj))
    return strategy == c.DELETION_STRATEGY_ORPHAN


def strip_eno_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` without `eno.azure.io/` annotations and labels (maps emptied by that are dropped)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return obj
    new_metadata = dict(metadata)
    changed = False
    for field in ("annotations", "labels"):
        entries = metadata.get(field)
        if not isinstance(entries, Mapping):
            continue
        kept = {k: v for k, v in entries.items() if not (isinstance(k, str) and k.startswith(c.PREFIX))}
        if len(kept) == len(entries):
            continue
        changed = True
        if kept:
            new_metadata[field] = kept
        else:
            del new_metadata[field]
    if not changed:
        return obj
    new = dict(obj)
    new["metadata"] = new_metadata
    return new
