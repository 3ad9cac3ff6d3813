"""Packing a synthesis's outputs into new ResourceSlices (spec synthesis.md §11, api.md §5.3).

Outputs go first, in order, then tombstones: every non-Patch manifest of the previous synthesis whose
identity (group, kind, namespace, name; a Patch's identity is its target's) is missing from the new output
is carried over with `deleted: true`, unless it already was a tombstone (or sat in a deleting slice) and its
status says `reconciled`. Manifests are packed in order; a new slice starts once the running total of
manifest bytes in the current one reaches the limit, so a slice may exceed it by its last manifest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.composition import Composition
from eno.api.v1.resourceslice import Manifest, ResourceSlice, ResourceSliceSpec
from eno.resource.errors import ResourceError
from eno.resource.identity import parse_group_version
from eno.resource.patch import is_patch

MAX_SLICE_BYTES = c.MAX_SLICE_BYTES  # 512 KiB

Identity = tuple[str, str, str, str]  # (group, kind, namespace, name)


@attrs.frozen
class SlicingResult:
    slices: tuple[ResourceSlice, ...]  # to create, in order (named by generateName); none when `failed`
    errors: tuple[ResourceError, ...]  # previous manifests that could not be read (no tombstone for them),
    # or outputs that cannot be encoded as JSON
    failed: bool = False  # an output could not be encoded: write nothing


def encode_manifest(obj: Any) -> str:
    """The manifest text stored in a slice: compact JSON with sorted keys, like Go's json.Marshal."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def identity(obj: Mapping[str, Any]) -> Identity:
    """The slicing identity of a manifest; missing or mistyped fields read as ""."""

    def text(value: Any) -> str:
        return value if isinstance(value, str) else ""

    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    source: Mapping[str, Any] = obj
    if is_patch(obj) and isinstance(obj.get("patch"), Mapping):
        source = obj["patch"]
    try:
        group, _ = parse_group_version(text(source.get("apiVersion")))
    except ValueError:
        group = text(source.get("apiVersion"))
    return group, text(source.get("kind")), text(metadata.get("namespace")), text(metadata.get("name"))


def slice_outputs(
    composition: Composition,
    previous: Sequence[ResourceSlice],
    outputs: Sequence[Mapping[str, Any]],
    max_bytes: int = MAX_SLICE_BYTES,
) -> SlicingResult:
    """The slices for `outputs`, with tombstones for what `previous` (the current synthesis's slices, in
    order) had and the outputs no longer have. Never raises."""
    manifests: list[Manifest] = []
    errors: list[ResourceError] = []
    for index, out in enumerate(outputs):
        if not isinstance(out, Mapping):
            errors.append(ResourceError(f"items[{index}]", "manifest", "an output must be a JSON object"))
            continue
        try:
            manifests.append(Manifest(manifest=encode_manifest(out), deleted=False))
        except (TypeError, ValueError, RecursionError) as err:
            errors.append(ResourceError(f"items[{index}]", "manifest", f"cannot be encoded as JSON: {err}"))
    if errors:
        return SlicingResult((), tuple(errors), failed=True)
    wanted = {identity(out) for out in outputs}
    for prev in previous:
        statuses = prev.status.resources
        slice_deleting = bool(prev.metadata.get("deletionTimestamp"))
        for index, manifest in enumerate(prev.spec.resources):
            slot = f"{prev.namespace}/{prev.name}[{index}]"
            try:
                obj = json.loads(manifest.manifest)
            except (ValueError, RecursionError) as err:
                errors.append(ResourceError(slot, "manifest", f"invalid JSON, no tombstone written: {err}"))
                continue
            if not isinstance(obj, Mapping):
                errors.append(ResourceError(slot, "manifest", "not a JSON object, no tombstone written"))
                continue
            if is_patch(obj) or identity(obj) in wanted:
                continue  # removing a Patch reverts nothing; a kept identity needs no tombstone
            reconciled = index < len(statuses) and statuses[index].reconciled
            if (manifest.deleted or slice_deleting) and reconciled:
                continue  # the deletion is done: forget it
            manifests.append(Manifest(manifest=manifest.manifest, deleted=True))
    return SlicingResult(tuple(_pack(composition, manifests, max_bytes)), tuple(errors))


def _pack(composition: Composition, manifests: list[Manifest], max_bytes: int) -> list[ResourceSlice]:
    batches: list[list[Manifest]] = []
    size = 0
    for manifest in manifests:
        if not batches or size >= max_bytes:
            batches.append([])
            size = 0
        batches[-1].append(manifest)
        size += len(manifest.manifest.encode())
    return [_new_slice(composition, batch) for batch in batches]


def _new_slice(composition: Composition, manifests: list[Manifest]) -> ResourceSlice:
    current = composition.status.current_synthesis
    return ResourceSlice(
        metadata={
            "generateName": f"{composition.name}-",
            "namespace": composition.namespace,
            "finalizers": [c.FINALIZER_CLEANUP],
            "ownerReferences": [
                {
                    "apiVersion": c.API_VERSION,
                    "kind": "Composition",
                    "name": composition.name,
                    "uid": composition.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        # Eno stamps the *outgoing* synthesis's UUID here (api.md §10.3); kept, tests assert it.
        spec=ResourceSliceSpec(
            synthesis_uuid=current.uuid if current is not None else "", resources=tuple(manifests)
        ),
    )
