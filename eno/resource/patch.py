"""The Patch pseudo-kind (spec api.md §6.2, reconciliation.md §3.10).

    {apiVersion: eno.azure.io/v1, kind: Patch, metadata: {name, namespace, annotations},
     patch: {apiVersion, kind, ops: [RFC 6902 ops]}}

It targets the object of the patch's GVK with the Patch's own name and namespace; it never creates it. A
non-empty string value at `/metadata/deletionTimestamp` (any op verb) means "delete the target".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eno.api.v1.constants import API_VERSION, PATCH_KIND
from eno.api.v1.patch import DELETION_TIMESTAMP_PATH
from eno.resource.identity import GroupVersionKind, parse_group_version


def is_patch(obj: Mapping[str, Any]) -> bool:
    return obj.get("apiVersion") == API_VERSION and obj.get("kind") == PATCH_KIND


def patch_target(obj: Mapping[str, Any]) -> GroupVersionKind:
    """The GVK a Patch targets. Raises ValueError when `patch.apiVersion` or `patch.kind` is unusable."""
    patch = obj.get("patch")
    if not isinstance(patch, Mapping):
        raise ValueError("a Patch needs a `patch` object with apiVersion, kind and ops")
    api_version = patch.get("apiVersion")
    kind = patch.get("kind")
    if not isinstance(api_version, str) or not api_version:
        raise ValueError("patch.apiVersion must be a non-empty string")
    if not isinstance(kind, str) or not kind:
        raise ValueError("patch.kind must be a non-empty string")
    group, version = parse_group_version(api_version)
    return GroupVersionKind(group, version, kind)


def patch_ops(obj: Mapping[str, Any]) -> list[Any]:
    """The JSON Patch ops of a (snapshotted) Patch document; [] when missing or not a list ("empty patch")."""
    patch = obj.get("patch")
    ops = patch.get("ops") if isinstance(patch, Mapping) else None
    return list(ops) if isinstance(ops, list | tuple) else []


def sets_deletion_timestamp(ops: list[Any]) -> bool:
    """Whether the ops delete the target: any op on the deletionTimestamp with a non-empty string."""
    return any(
        isinstance(op, Mapping)
        and op.get("path") == DELETION_TIMESTAMP_PATH
        and isinstance(op.get("value"), str)
        and op["value"] != ""
        for op in ops
    )
