"""ObjectMeta and write-option validation as kube-apiserver does it (apimachinery's ValidateObjectMeta*,
ValidateCreate/Update/PatchOptions), returning field-error causes for `errors.invalid`.

Paths and messages follow kube, including its quirks: label, annotation and finalizer errors name the map
or list (`metadata.labels`, `metadata.finalizers`), not the entry; owner-reference errors are not indexed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from eno.apiserver import errors, names

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
FIELD_MANAGER_MAX_LENGTH = 128
MAX_SUBRESOURCE_NAME_LENGTH = 256
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
# Kinds that may never be owners (apimachinery's BannedOwners).
_BANNED_OWNERS = frozenset({("", "v1", "Event"), ("events.k8s.io", "v1", "Event")})

Cause = dict[str, Any]


def _go_string_slice(values: Sequence[str]) -> str:
    """Go's %#v of a []string, as kube prints it in some messages."""
    return "[]string{" + ", ".join(json.dumps(v) for v in values) + "}"


def validate_labels(labels: Any, path: str = "metadata.labels") -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(labels, Mapping):
        return causes
    for key, value in labels.items():
        for message in names.is_qualified_name(key):
            causes.append(errors.invalid_value(path, key, message))
        for message in names.is_valid_label_value(value if isinstance(value, str) else str(value)):
            causes.append(errors.invalid_value(path, value, message))
    return causes


def annotations_size(annotations: Mapping[str, Any]) -> int:
    """Bytes counted against the 256 KiB limit: every key plus every value, UTF-8 encoded."""
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())


def validate_annotations(annotations: Any, path: str = "metadata.annotations") -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(annotations, Mapping):
        return causes
    for key in annotations:
        # Annotation keys are qualified names, case-insensitively.
        for message in names.is_qualified_name(str(key).lower()):
            causes.append(errors.invalid_value(path, key, message))
    if annotations_size(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(errors.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return causes


def validate_finalizers(
    finalizers: Any, builtin: bool = False, path: str = "metadata.finalizers"
) -> list[Cause]:
    """Qualified names; `orphan` with `foregroundDeletion` is refused. Built-in kinds go through kube's core
    validation too, which repeats the qualified-name check and refuses an unqualified name that is not a
    standard finalizer (the repeated causes are kube's; the aggregated message shows each once)."""
    causes: list[Cause] = []
    if not isinstance(finalizers, list):
        return causes
    for finalizer in finalizers:
        for message in names.is_qualified_name(finalizer):
            causes.append(errors.invalid_value(path, finalizer, message))
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        causes.append(
            errors.invalid_value(
                path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"
            )
        )
    if builtin:
        for finalizer in finalizers:
            for message in names.is_qualified_name(finalizer):
                causes.append(errors.invalid_value(path, finalizer, message))
            if "/" not in finalizer and finalizer not in STANDARD_FINALIZERS:
                causes.append(
                    errors.invalid_value(
                        path, finalizer, "name is neither a standard finalizer name nor is it fully qualified"
                    )
                )
    return causes


def finalizer_warnings(finalizers: Any) -> list[str]:
    """The warnings kube returns for unqualified finalizer names on custom resources (pass only the newly
    added ones on update), one per distinct name, sorted."""
    if not isinstance(finalizers, list):
        return []
    return [
        f'metadata.finalizers: "{f}": prefer a domain-qualified finalizer name including a path (/) to avoid '
        "accidental conflicts with other finalizer writers"
        for f in sorted({f for f in finalizers if isinstance(f, str)})
        if "/" not in f and f not in STANDARD_FINALIZERS
    ]


def _api_version_has_version(api_version: Any) -> bool:
    if not isinstance(api_version, str) or not api_version:
        return False
    return bool(api_version.rsplit("/", 1)[-1]) and api_version.count("/") <= 1


def validate_owner_references(refs: Any, path: str = "metadata.ownerReferences") -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(refs, list):
        return causes
    controllers: list[str] = []
    for ref in refs:
        if not isinstance(ref, Mapping):
            continue
        api_version = ref.get("apiVersion", "")
        kind = ref.get("kind", "")
        if not _api_version_has_version(api_version):
            causes.append(
                errors.invalid_value(f"{path}.apiVersion", api_version, "version must not be empty")
            )
        if not kind:
            causes.append(errors.invalid_value(f"{path}.kind", kind, "kind must not be empty"))
        if not ref.get("name"):
            causes.append(errors.invalid_value(f"{path}.name", ref.get("name", ""), "name must not be empty"))
        if not ref.get("uid"):
            causes.append(errors.invalid_value(f"{path}.uid", ref.get("uid", ""), "uid must not be empty"))
        group, _, version = str(api_version).rpartition("/")
        if (group, version, kind) in _BANNED_OWNERS:
            gvk = f"{group}/{version}, Kind={kind}"
            causes.append(errors.invalid_value(path, dict(ref), f"{gvk} is disallowed from being an owner"))
        if ref.get("controller") is True:
            controllers.append(f"{kind}/{ref.get('name', '')}")
    if len(controllers) > 1:
        causes.append(
            errors.invalid_value(
                path,
                controllers,
                'Only one reference can have Controller set to true. Found "true" in references for '
                + " and ".join(controllers),
            )
        )
    return causes


def validate_field_manager(manager: str, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if len(manager) > FIELD_MANAGER_MAX_LENGTH:
        causes.append(errors.too_long(path, FIELD_MANAGER_MAX_LENGTH))
    for i, ch in enumerate(manager):
        if not ch.isprintable():
            position = len(manager[:i].encode())  # Go reports the byte offset
            causes.append(
                errors.invalid_value(
                    path, manager, f"invalid character U+{ord(ch):04X} (at position {position})"
                )
            )
    return causes


def validate_managed_fields(entries: Any, path: str = "metadata.managedFields") -> list[Cause]:
    causes: list[Cause] = []
    if not isinstance(entries, list):
        return causes
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        here = f"{path}[{i}]"
        operation = entry.get("operation", "")
        if operation not in ("Apply", "Update"):
            causes.append(errors.invalid_value(f"{here}.operation", operation, "must be `Apply` or `Update`"))
        fields_type = entry.get("fieldsType", "")
        if fields_type and fields_type != "FieldsV1":
            causes.append(errors.invalid_value(f"{here}.fieldsType", fields_type, "must be `FieldsV1`"))
        causes.extend(validate_field_manager(str(entry.get("manager", "")), f"{here}.manager"))
        if len(str(entry.get("subresource", ""))) > MAX_SUBRESOURCE_NAME_LENGTH:
            causes.append(errors.too_long(f"{here}.subresource", MAX_SUBRESOURCE_NAME_LENGTH))
    return causes


def validate_object_meta(
    meta: Mapping[str, Any],
    group: str,
    resource: str,
    *,
    namespaced: bool,
    builtin: bool = True,
) -> list[Cause]:
    """ValidateObjectMetaAccessor for a create: name (or generateName), namespace, generation, labels,
    annotations (incl. the 256 KiB total), ownerReferences, finalizers and managedFields."""
    causes: list[Cause] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        for message in names.validate_name(group, resource, str(generate_name), prefix=True):
            causes.append(errors.invalid_value("metadata.generateName", generate_name, message))
    name = meta.get("name") or ""
    if not name:
        causes.append(errors.required("metadata.name", "name or generateName is required"))
    else:
        for message in names.validate_name(group, resource, str(name)):
            causes.append(errors.invalid_value("metadata.name", name, message))
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            causes.append(errors.required("metadata.namespace"))
        else:
            for message in names.is_dns1123_label(str(namespace)):
                causes.append(errors.invalid_value("metadata.namespace", namespace, message))
    elif namespace:
        causes.append(errors.forbidden_field("metadata.namespace", "not allowed on this type"))
    generation = meta.get("generation")
    if isinstance(generation, int) and generation < 0:
        causes.append(
            errors.invalid_value("metadata.generation", generation, "must be greater than or equal to 0")
        )
    causes.extend(validate_labels(meta.get("labels")))
    causes.extend(validate_annotations(meta.get("annotations")))
    causes.extend(validate_owner_references(meta.get("ownerReferences")))
    causes.extend(validate_finalizers(meta.get("finalizers"), builtin=builtin))
    causes.extend(validate_managed_fields(meta.get("managedFields")))
    return causes


def validate_object_meta_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """ValidateObjectMetaUpdate. Run it after the server has carried over what clients cannot change
    (uid when absent, creationTimestamp, deletionTimestamp, generation), as kube's BeforeUpdate does."""
    causes: list[Cause] = []
    if old.get("deletionTimestamp"):
        added = sorted(set(new.get("finalizers") or []) - set(old.get("finalizers") or []))
        if added:
            causes.append(
                errors.forbidden_field(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    + _go_string_slice(added),
                )
            )
    if not new.get("resourceVersion"):
        causes.append(
            errors.invalid_value(
                "metadata.resourceVersion",
                new.get("resourceVersion") or "",
                "must be specified for an update",
            )
        )
    new_generation = new.get("generation") or 0
    if isinstance(new_generation, int) and new_generation < (old.get("generation") or 0):
        causes.append(errors.invalid_value("metadata.generation", new_generation, "must not be decremented"))
    for field in (
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ):
        if (new.get(field) or None) != (old.get(field) or None):
            causes.append(
                errors.invalid_value(f"metadata.{field}", new.get(field) or "", "field is immutable")
            )
    causes.extend(validate_labels(new.get("labels")))
    causes.extend(validate_annotations(new.get("annotations")))
    causes.extend(validate_owner_references(new.get("ownerReferences")))
    causes.extend(validate_managed_fields(new.get("managedFields")))
    return causes


# --- write options (query parameters) ---

FIELD_VALIDATION_VALUES = ("", "Ignore", "Strict", "Warn")


def validate_write_options(
    kind: str,
    *,
    field_manager: str = "",
    dry_run: Sequence[str] = (),
    field_validation: str = "",
    patch_type: str | None = None,
    force: bool | None = None,
) -> None:
    """ValidateCreateOptions/UpdateOptions/PatchOptions: raises 422 `<Kind>.meta.k8s.io "" is invalid`.

    `kind` is CreateOptions, UpdateOptions or PatchOptions; `patch_type` is the patch's media type (only
    for PatchOptions), `force` the parsed `force` parameter (None when absent)."""
    causes: list[Cause] = []
    if list(dry_run) and any(v != "All" for v in dry_run):
        causes.append(
            {
                "reason": errors.FIELD_VALUE_NOT_SUPPORTED,
                "message": f'Unsupported value: {_go_string_slice(list(dry_run))}: supported values: "All"',
                "field": "dryRun",
            }
        )
    causes.extend(validate_field_manager(field_manager, "fieldManager"))
    if field_validation not in FIELD_VALIDATION_VALUES:
        causes.append(errors.not_supported("fieldValidation", field_validation, FIELD_VALIDATION_VALUES))
    if kind == "PatchOptions" and patch_type is not None:
        if patch_type == "application/apply-patch+yaml":
            if not field_manager:
                causes.append(errors.required("fieldManager", "is required for apply patch"))
        elif force is not None:
            causes.append(errors.forbidden_field("force", "may not be specified for non-apply patch"))
    if causes:
        raise errors.invalid("meta.k8s.io", kind, "", causes)
