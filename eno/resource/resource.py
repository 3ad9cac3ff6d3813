"""Parsing one synthesized manifest into a frozen Resource (spec reconciliation.md §2.3, api.md §7.1).

Everything that is read once per synthesis lives here: identity, the Patch target, the CRD's defined
group-kind, overrides, readiness checks, readiness and deletion groups and fail-open. The cascading keys
(disable-reconciliation, replace, ...) are read later, after overrides, by `eno.resource.snapshot`.

Parsing is lenient like Eno's reconciler: an invalid value is ignored (the default applies) and reported as
a ResourceError with severity ERROR, which is exactly what the executor's strict preflight rejects;
suspicious but accepted things (unknown `eno.azure.io/` keys, reserved group ranges) are WARNINGs. Only an
unusable identity makes the whole manifest invalid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.predicates import parse_go_bool, parse_go_int
from eno.api.v1.times import parse_duration
from eno.cel.engine import CelError, Engine
from eno.resource.errors import ResourceError, Severity, annotation_field
from eno.resource.identity import GroupVersionKind, ManifestRef, Ref, parse_group_version
from eno.resource.overrides import OverrideOp, parse_overrides
from eno.resource.patch import is_patch, patch_target
from eno.resource.readiness import DEFAULT_CHECK_NAME, ReadinessCheck

# Infrastructure kinds, matched on kind only (any group, Patch targets included): applied first, deleted last.
MANAGED_KINDS = frozenset(
    """
    PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy PodDisruptionBudget
    ServiceAccount Secret SecretList ConfigMap StorageClass PersistentVolume PersistentVolumeClaim
    CustomResourceDefinition ClusterRole ClusterRoleList ClusterRoleBinding ClusterRoleBindingList Role
    RoleList RoleBinding RoleBindingList Service EtcdCluster
    """.split()
)
MANAGED_READINESS_GROUP = -100
MANAGED_DELETION_GROUP = 100
RESERVED_READINESS_GROUPS = range(-100, -59)  # [-100, -60]: Eno's built-in ordering
RESERVED_DELETION_GROUPS = range(60, 101)  # [60, 100]

CRD_GROUP = "apiextensions.k8s.io"
CRD_KIND = "CustomResourceDefinition"

KNOWN_ANNOTATIONS = frozenset(
    {
        c.ANNOTATION_READINESS_GROUP,
        c.ANNOTATION_DELETION_GROUP,
        c.ANNOTATION_OVERRIDES,
        c.ANNOTATION_FAIL_OPEN,
        *c.CASCADING_ANNOTATIONS,
    }
)


@attrs.frozen
class Resource:
    ref: Ref
    gvk: GroupVersionKind  # for a Patch: the target's GVK (used for API calls)
    manifest: dict[str, Any]  # as synthesized, minus `status` and `metadata.creationTimestamp`
    manifest_ref: ManifestRef
    manifest_text: str = ""  # as stored in the slice; hashed only when two manifests share a Ref
    deleted: bool = False  # a tombstone: the object must no longer exist
    composition_deleted: bool = False  # the composition was deleting when this synthesis was loaded
    is_patch: bool = False
    defined_group_kind: tuple[str, str] | None = None  # (group, kind) a CRD defines
    overrides: tuple[OverrideOp, ...] = ()
    readiness_checks: tuple[ReadinessCheck, ...] = ()
    readiness_group: int = 0
    deletion_group: int | None = None
    fail_open: bool | None = None  # None: use the --fail-open flag
    errors: tuple[ResourceError, ...] = ()  # invalid values (ignored) and warnings

    @property
    def group_kind(self) -> tuple[str, str]:
        """(group, kind) of the object this resource writes (the target's, for a Patch)."""
        return self.gvk.group, self.gvk.kind

    @property
    def manifest_hash(self) -> int:
        """FNV-1 64 of the manifest text: among duplicate Refs the greater wins (computed on demand: it
        costs more than parsing the manifest)."""
        text = self.manifest_text or json.dumps(self.manifest, separators=(",", ":"), sort_keys=True)
        return fnv1_64(text.encode())

    @property
    def strict_errors(self) -> tuple[ResourceError, ...]:
        """What the executor's strict preflight rejects."""
        return tuple(e for e in self.errors if e.severity is Severity.ERROR)


def fnv1_64(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        value ^= byte
    return value


def parse_manifest(
    text: str,
    engine: Engine,
    manifest_ref: ManifestRef,
    *,
    deleted: bool = False,
    composition_deleted: bool = False,
) -> Resource | ResourceError:
    """Parse one `spec.resources[i].manifest`. Never raises: an unusable manifest is a ResourceError."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as err:
        return ResourceError(str(manifest_ref), "manifest", f"invalid JSON: {err}")
    return parse_object(
        obj,
        engine,
        manifest_ref,
        manifest_text=text,
        deleted=deleted,
        composition_deleted=composition_deleted,
    )


def parse_object(
    obj: Any,
    engine: Engine,
    manifest_ref: ManifestRef,
    *,
    manifest_text: str = "",
    deleted: bool = False,
    composition_deleted: bool = False,
) -> Resource | ResourceError:
    """Parse a decoded manifest (e.g. a synthesizer output item). Never raises; never mutates `obj`."""
    slot = str(manifest_ref)
    if not isinstance(obj, dict):
        return ResourceError(slot, "manifest", "a manifest must be a JSON object")
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    name, kind, api_version = metadata.get("name"), obj.get("kind"), obj.get("apiVersion")
    for field, value in (("metadata.name", name), ("kind", kind), ("apiVersion", api_version)):
        if not isinstance(value, str) or not value:
            return ResourceError(slot, field, "is required and must be a non-empty string")
    assert isinstance(name, str) and isinstance(kind, str) and isinstance(api_version, str)
    namespace = metadata.get("namespace")
    if not isinstance(namespace, str):
        namespace = ""
    try:
        group, version = parse_group_version(api_version)
    except ValueError as err:
        return ResourceError(slot, "apiVersion", str(err))
    ref = Ref(group, kind, namespace, name)
    patch = is_patch(obj)
    gvk = GroupVersionKind(group, version, kind)
    if patch:
        try:
            gvk = patch_target(obj)
        except ValueError as err:
            return ResourceError(str(ref), "patch", str(err))

    manifest = {k: v for k, v in obj.items() if k != "status"}
    if "creationTimestamp" in metadata:
        manifest["metadata"] = {k: v for k, v in metadata.items() if k != "creationTimestamp"}

    errors: list[ResourceError] = []
    annotations = _annotations(metadata, str(ref), errors)
    parsed = _parse_annotations(annotations, gvk.kind, engine, str(ref), errors)
    defined = None
    if group == CRD_GROUP and kind == CRD_KIND:
        defined = _defined_group_kind(obj)
    return Resource(
        ref=ref,
        gvk=gvk,
        manifest=manifest,
        manifest_text=manifest_text,
        manifest_ref=manifest_ref,
        deleted=deleted,
        composition_deleted=composition_deleted,
        is_patch=patch,
        defined_group_kind=defined,
        errors=tuple(errors),
        **parsed,
    )


def _annotations(metadata: Mapping[str, Any], resource: str, errors: list[ResourceError]) -> dict[str, str]:
    raw = metadata.get("annotations")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.append(ResourceError(resource, "metadata.annotations", "must be a map of strings; ignored"))
        return {}
    annotations: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            annotations[key] = value
        elif key.startswith(c.PREFIX):
            errors.append(ResourceError(resource, annotation_field(key), "must be a string; ignored"))
    return annotations


def _parse_annotations(
    annotations: Mapping[str, str], kind: str, engine: Engine, resource: str, errors: list[ResourceError]
) -> dict[str, Any]:
    def error(key: str, message: str, severity: Severity = Severity.ERROR) -> None:
        errors.append(ResourceError(resource, annotation_field(key), message, severity))

    managed = kind in MANAGED_KINDS
    parsed: dict[str, Any] = {
        "readiness_group": MANAGED_READINESS_GROUP if managed else 0,
        "deletion_group": MANAGED_DELETION_GROUP if managed else None,
    }
    checks: list[ReadinessCheck] = []
    for key, value in annotations.items():
        if not key.startswith(c.PREFIX):
            continue
        if key == c.ANNOTATION_OVERRIDES:
            ops, op_errors = parse_overrides(value, engine, resource)
            parsed["overrides"] = ops
            errors.extend(op_errors)
        elif key == c.ANNOTATION_FAIL_OPEN:
            fail_open = parse_go_bool(value)
            if fail_open is not None:
                parsed["fail_open"] = fail_open
            else:
                error(key, f"invalid boolean {value!r}; ignored (the --fail-open flag applies)")
        elif key in (c.ANNOTATION_READINESS_GROUP, c.ANNOTATION_DELETION_GROUP):
            readiness = key == c.ANNOTATION_READINESS_GROUP
            group = parse_go_int(value)
            if group is None:
                error(key, f"invalid integer {value!r}; ignored (the default group applies)")
                continue
            parsed["readiness_group" if readiness else "deletion_group"] = group
            reserved = RESERVED_READINESS_GROUPS if readiness else RESERVED_DELETION_GROUPS
            if group in reserved:
                error(key, f"{group} is in the range reserved for Eno's built-in ordering", Severity.WARNING)
        elif key == c.ANNOTATION_READINESS or key.startswith(c.ANNOTATION_READINESS):
            name = _check_name(key)
            try:
                program = engine.compile(value)
            except CelError as err:
                error(key, f"invalid CEL: {err.message}; readiness check {name!r} ignored")
                continue
            checks.append(ReadinessCheck(name, value, program))
        elif key in c.CASCADING_ANNOTATIONS:
            problem = _cascading_value_problem(key, value)
            if problem:
                error(key, problem, Severity.WARNING)
        elif key not in KNOWN_ANNOTATIONS:
            error(key, "unknown eno.azure.io annotation; ignored", Severity.WARNING)
    parsed["readiness_checks"] = tuple(sorted(checks, key=lambda check: check.name))
    return parsed


_FLAG_VALUES = ("true", "false", "")
_STRATEGIES = (c.DELETION_STRATEGY_ORPHAN, c.DELETION_STRATEGY_FOREGROUND, "")


def _cascading_value_problem(key: str, value: str) -> str | None:
    """Why a cascading value as synthesized will not do what it seems to (read again after overrides)."""
    if key == c.ANNOTATION_RECONCILE_INTERVAL:
        if value:
            try:
                parse_duration(value)
            except ValueError:
                return f"invalid duration {value!r}; ignored"
        return None
    if key == c.ANNOTATION_DELETION_STRATEGY:
        if value.lower() not in _STRATEGIES:
            return f"unknown deletion strategy {value!r}; only orphan and foreground have an effect"
        return None
    if value not in _FLAG_VALUES:
        return f'{value!r} is not "true": the flag stays off (only the exact string "true" enables it)'
    return None


def _check_name(key: str) -> str:
    if key == c.ANNOTATION_READINESS:
        return DEFAULT_CHECK_NAME
    if key.startswith(c.ANNOTATION_READINESS_PREFIX):
        return key[len(c.ANNOTATION_READINESS_PREFIX) :]
    return key  # `eno.azure.io/readinessX` keeps its full key as the name (api.md §7.1)


def _defined_group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    spec = obj.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    names = spec.get("names")
    names = names if isinstance(names, Mapping) else {}
    group, kind = spec.get("group"), names.get("kind")
    return (group if isinstance(group, str) else "", kind if isinstance(kind, str) else "")


def preflight(obj: Any, engine: Engine, index: int) -> tuple[ResourceError, ...]:
    """The executor's strict check of synthesizer output `items[index]` (synthesis.md §9 step 5, §12): the
    problems that reject the synthesis. Warnings are not included."""
    slot = ManifestRef("", "items", index)
    parsed = parse_object(obj, engine, slot)
    errors = (parsed,) if isinstance(parsed, ResourceError) else parsed.strict_errors
    return tuple(
        attrs.evolve(e, resource=f"items[{index}]") if e.resource == str(slot) else e for e in errors
    )
