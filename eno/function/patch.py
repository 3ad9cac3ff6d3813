"""Patch objects: outputs that edit (or delete) an object Eno does not own, with JSON Patch (api.md §6.2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from eno.api.v1.patch import DELETION_TIMESTAMP_PATH, Patch, PatchSpec
from eno.api.v1.patch import parse_api_version as _parse_api_version
from eno.function.outputs import Obj

# Any non-empty string on this path makes Eno delete the target instead of patching it.
DELETE_OP: Final = {"op": "add", "path": DELETION_TIMESTAMP_PATH, "value": "deleted-by-eno"}


def patch(
    api_version: str,
    kind: str,
    name: str,
    ops: Iterable[Mapping[str, Any]],
    *,
    namespace: str = "",
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    """A Patch applying `ops` (RFC 6902) to the existing `kind` `name`. A missing target is left alone."""
    if _parse_api_version(api_version) is None:
        raise ValueError(f"invalid apiVersion {api_version!r}")
    if not kind or not name:
        raise ValueError("a patch needs the target's kind and name")
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    spec = PatchSpec(api_version=api_version, kind=kind, ops=tuple(dict(op) for op in ops))
    return Patch(metadata=metadata, patch=spec).to_dict()


def delete_patch(
    api_version: str,
    kind: str,
    name: str,
    *,
    namespace: str = "",
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    """A Patch that deletes the existing `kind` `name` (if it exists)."""
    return patch(api_version, kind, name, [DELETE_OP], namespace=namespace, annotations=annotations)
