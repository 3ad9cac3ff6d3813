"""Mungers: edits applied to every output manifest, in registration order (Go's WithMunger).

A munger is a function that edits one manifest dict in place. Each factory here returns one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from eno.api.v1 import constants as c
from eno.api.v1.patch import is_patch
from eno.api.v1.times import format_duration
from eno.function.outputs import Munger, Obj

# Built-in kinds that have no namespace; set_namespace leaves them alone.
CLUSTER_SCOPED_KINDS: Final = frozenset(
    """Namespace Node PersistentVolume StorageClass PriorityClass CustomResourceDefinition ClusterRole
    ClusterRoleBinding IngressClass APIService MutatingWebhookConfiguration ValidatingWebhookConfiguration
    ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding CSIDriver RuntimeClass""".split()
)
MANAGED_BY_ENO: Final = "Eno"  # Go's WithManagedByEno writes a capital E


def _metadata(manifest: Obj) -> dict[str, Any]:
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict):
        metadata = manifest["metadata"] = {}
    return metadata


def _string_map(manifest: Obj, field: str) -> dict[str, str]:
    metadata = _metadata(manifest)
    values = metadata.get(field)
    if not isinstance(values, dict):
        values = metadata[field] = {}
    return values


def set_namespace(namespace: str, *, cluster_scoped: frozenset[str] = CLUSTER_SCOPED_KINDS) -> Munger:
    """Put outputs without a namespace in `namespace`; cluster-scoped kinds (by kind, or a Patch's target
    kind) and outputs that name a namespace are left as they are."""

    def munge(manifest: Obj) -> None:
        kind = manifest.get("kind")
        if is_patch(manifest):
            target = manifest.get("patch")
            kind = target.get("kind") if isinstance(target, dict) else None
        if kind in cluster_scoped:
            return
        metadata = _metadata(manifest)
        if not metadata.get("namespace"):
            metadata["namespace"] = namespace

    return munge


def set_labels(labels: Mapping[str, str], *, overwrite: bool = False) -> Munger:
    """Add `labels` to every output (an output's own value wins unless `overwrite`)."""

    def munge(manifest: Obj) -> None:
        if is_patch(manifest):
            return  # a Patch's labels are not applied to its target
        existing = _string_map(manifest, "labels")
        for key, value in labels.items():
            if overwrite or key not in existing:
                existing[key] = value

    return munge


def set_annotations(annotations: Mapping[str, str], *, overwrite: bool = False) -> Munger:
    """Add `annotations` to every output (an output's own value wins unless `overwrite`)."""

    def munge(manifest: Obj) -> None:
        existing = _string_map(manifest, "annotations")
        for key, value in annotations.items():
            if overwrite or key not in existing:
                existing[key] = value

    return munge


def managed_by_eno() -> Munger:
    """Label `app.kubernetes.io/managed-by: Eno` on every output (Go's WithManagedByEno)."""
    return set_labels({c.MANAGED_BY_LABEL: MANAGED_BY_ENO}, overwrite=True)


def reconcile_interval(interval: dt.timedelta) -> Munger:
    """Re-apply every output periodically (Go's WithReconcilationInterval: annotation
    `eno.azure.io/reconcile-interval` as a Go duration, e.g. `1m0s`)."""
    if interval <= dt.timedelta(0):
        raise ValueError("the reconcile interval must be positive")
    return set_annotations({c.ANNOTATION_RECONCILE_INTERVAL: format_duration(interval)}, overwrite=True)
