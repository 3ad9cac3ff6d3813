"""ResourceSlice: one part of a synthesis's output, written only by Eno (spec api.md §5)."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import attrs

from eno.api.v1.kind import Kind
from eno.api.v1.model import BOOL, STRING, TIME, List, Model, Obj, prop


@attrs.frozen
class Manifest(Model):
    """One synthesized object as JSON text; `deleted` marks a tombstone.

    `parsed_kind`/`parsed_name` are an in-memory cache (Go's ParsedKind/ParsedName): never serialized,
    not part of equality.
    """

    manifest: str = prop("manifest", STRING, doc="The object as JSON.")
    deleted: bool = prop("deleted", BOOL, doc="A tombstone: the object must not exist.")
    parsed_kind: str = attrs.field(default="", kw_only=True, eq=False, repr=False)
    parsed_name: str = attrs.field(default="", kw_only=True, eq=False, repr=False)


@attrs.frozen
class ResourceSliceSpec(Model):
    synthesis_uuid: str = prop("synthesisUUID", STRING)
    resources: tuple[Manifest, ...] = prop("resources", List(Obj(Manifest)))


@attrs.frozen
class ResourceState(Model):
    """Reconciliation state of `spec.resources[i]` (entry i of `status.resources`)."""

    reconciled: bool = prop("reconciled", BOOL)
    ready: str | None = prop("ready", TIME, pointer=True)
    deleted: bool = prop("deleted", BOOL, doc="A tombstone: the object must not exist.")
    reconciliation_error: str = prop("reconciliationError", STRING)


@attrs.frozen
class ResourceSliceStatus(Model):
    resources: tuple[ResourceState, ...] = prop("resources", List(Obj(ResourceState)))


@attrs.frozen
class ResourceSlice(Kind):
    kind = "ResourceSlice"
    plural = "resourceslices"
    singular = "resourceslice"
    list_kind = "ResourceSliceList"
    description = "Part of a synthesis's output, written only by Eno."

    spec: ResourceSliceSpec = prop("spec", Obj(ResourceSliceSpec), doc="Synthesized manifests, in order.")
    status: ResourceSliceStatus = prop(
        "status", Obj(ResourceSliceStatus), doc="Per-manifest reconciliation state."
    )
