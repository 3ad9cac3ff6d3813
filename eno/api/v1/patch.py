"""The Patch pseudo-kind: synthesizer output that edits an existing object with JSON Patch (§6.2).

Eno never stores a Patch in the cluster; it reads one from a manifest. `ops` stay plain dicts because
an op's `value` may be an explicit null, which must survive untouched.
"""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.model import FREE_FORM, STRING, List, Model, Obj, prop

DELETION_TIMESTAMP_PATH = "/metadata/deletionTimestamp"


@attrs.frozen
class PatchSpec(Model):
    api_version: str = prop("apiVersion", STRING)
    kind: str = prop("kind", STRING)
    ops: tuple[dict[str, Any], ...] = prop("ops", List(FREE_FORM))


@attrs.frozen
class Patch(Model):
    api_version: ClassVar[str] = c.API_VERSION
    kind: ClassVar[str] = c.PATCH_KIND
    wire_keys: ClassVar[tuple[str, ...]] = ("apiVersion", "kind")

    metadata: dict[str, Any] = prop("metadata", FREE_FORM, always=True)
    patch: PatchSpec = prop("patch", Obj(PatchSpec))

    def to_dict(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, **super().to_dict()}

    @property
    def target_name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def target_namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    def target_group_version(self) -> tuple[str, str] | None:
        """(group, version) of the target, or None when `patch.apiVersion` cannot be parsed."""
        return parse_api_version(self.patch.api_version)

    @property
    def deletes_target(self) -> bool:
        """Some op sets /metadata/deletionTimestamp to a non-empty string, whatever the op type."""
        return any(
            op.get("path") == DELETION_TIMESTAMP_PATH and isinstance(op.get("value"), str) and op["value"]
            for op in self.patch.ops
        )


def is_patch(manifest: dict[str, Any]) -> bool:
    """The manifest is Eno's Patch pseudo-kind."""
    return manifest.get("apiVersion") == c.API_VERSION and manifest.get("kind") == c.PATCH_KIND


def parse_api_version(api_version: str) -> tuple[str, str] | None:
    """Split `group/version` (or the core group's `version`) as Kubernetes' ParseGroupVersion does."""
    if not api_version:
        return None
    parts = api_version.split("/")
    if len(parts) == 1:
        return ("", parts[0])
    if len(parts) == 2 and parts[0] and parts[1]:
        return (parts[0], parts[1])
    return None
