"""The synthesizer's outputs: plain manifests built from whatever the synthesizer returns, munged, and
written as the ResourceList Eno reads from stdout.

An output may be a dict, an object with `to_dict()` (eno.api.v1 types such as Patch), or a
kubernetes-asyncio model. A model without api_version/kind gets them from its class name (`V1ConfigMap` is
`v1` `ConfigMap`; `V1Deployment` is `apps/v1`) when the kind is one of the common built-ins; others must set
them, as Go's SDK needs a scheme for them.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TextIO

import attrs
import yaml

from eno.api.v1 import constants as c

Obj = dict[str, Any]
Munger = Callable[[Obj], None]  # edits one output manifest in place

# Groups of the built-in kinds a kubernetes-asyncio model's class name does not say.
BUILTIN_GROUPS: Final = {
    **dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"), "apps"),
    **dict.fromkeys(("Job", "CronJob"), "batch"),
    **dict.fromkeys(("Ingress", "IngressClass", "NetworkPolicy"), "networking.k8s.io"),
    **dict.fromkeys(
        ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"), "rbac.authorization.k8s.io"
    ),
    "PodDisruptionBudget": "policy",
    "HorizontalPodAutoscaler": "autoscaling",
    "CustomResourceDefinition": "apiextensions.k8s.io",
    "StorageClass": "storage.k8s.io",
    "PriorityClass": "scheduling.k8s.io",
    "Lease": "coordination.k8s.io",
}
CORE_KINDS: Final = frozenset(
    """ConfigMap Secret Service ServiceAccount Namespace Pod PersistentVolume PersistentVolumeClaim
    LimitRange ResourceQuota Endpoints Event""".split()
)
_MODEL_NAME = re.compile(r"^(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$")


class OutputError(Exception):
    """An output cannot be turned into a manifest."""


def to_manifest(obj: Any) -> Obj:
    """A plain JSON-ready dict for one output (a deep copy: mungers never touch the caller's object)."""
    if isinstance(obj, Mapping):
        manifest = copy.deepcopy(dict(obj))
    elif hasattr(obj, "openapi_types") and hasattr(obj, "attribute_map"):
        manifest = _model_manifest(obj)
    elif callable(getattr(obj, "to_dict", None)):
        manifest = obj.to_dict()
        if not isinstance(manifest, dict):
            raise OutputError(
                f"{type(obj).__name__}.to_dict() returned {type(manifest).__name__}, not a dict"
            )
    else:
        raise OutputError(f"cannot output a {type(obj).__name__}: return dicts or Kubernetes models")
    try:
        json.dumps(manifest)
    except (TypeError, ValueError) as err:
        raise OutputError(f"output {_describe(manifest)} is not JSON: {err}") from None
    return manifest


def _model_manifest(model: Any) -> Obj:
    manifest = sanitize(model)
    assert isinstance(manifest, dict)
    if manifest.get("apiVersion") and manifest.get("kind"):
        return manifest
    match = _MODEL_NAME.match(type(model).__name__)
    kind = match.group(2) if match else ""
    if not match or (kind not in CORE_KINDS and kind not in BUILTIN_GROUPS):
        raise OutputError(f"set api_version and kind on the {type(model).__name__} output")
    version = match.group(1).lower()
    group = BUILTIN_GROUPS.get(kind, "")
    return {"apiVersion": f"{group}/{version}" if group else version, "kind": kind, **manifest}


def sanitize(value: Any) -> Any:
    """kubernetes-asyncio's serialization: models to dicts under their JSON keys, unset (None) fields left
    out, datetimes as ISO 8601 text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    if isinstance(value, Mapping):
        return {k: sanitize(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "openapi_types") and hasattr(value, "attribute_map"):
        return {
            value.attribute_map[attr]: sanitize(getattr(value, attr))
            for attr in value.openapi_types
            if getattr(value, attr) is not None
        }
    raise OutputError(f"cannot serialize a {type(value).__name__}")


def _describe(manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return f"{manifest.get('kind') or '?'}/{name or '?'}"


@attrs.define
class OutputWriter:
    """Collects outputs and results, then writes the ResourceList once (Go's NewOutputWriter)."""

    mungers: tuple[Munger, ...] = ()
    items: list[Obj] = attrs.field(factory=list)
    results: list[Obj] = attrs.field(factory=list)
    committed: bool = False

    def add(self, *objs: Any) -> None:
        if self.committed:
            raise OutputError("cannot add to a committed output")
        for obj in objs:
            if obj is None:
                continue
            manifest = to_manifest(obj)
            for munge in self.mungers:
                munge(manifest)
            self.items.append(manifest)

    def add_result(
        self, message: str, severity: str = c.RESULT_SEVERITY_ERROR, tags: Mapping[str, str] | None = None
    ) -> None:
        if self.committed:
            raise OutputError("cannot add to a committed output")
        result: Obj = {"message": message, "severity": severity}
        if tags:
            result["tags"] = dict(tags)
        self.results.append(result)

    def document(self) -> Obj:
        doc: Obj = {"apiVersion": c.KRM_API_VERSION, "kind": c.KRM_KIND, "items": self.items}
        if self.results:
            doc["results"] = self.results
        return doc

    def write(self, stream: TextIO) -> None:
        stream.write(json.dumps(self.document()) + "\n")
        stream.flush()
        self.committed = True

    def fail(self, message: str) -> None:
        """Discard the outputs and report one error result (what Go does when the function errs)."""
        self.items.clear()
        self.add_result(message)


def as_list(outputs: Any) -> Iterable[Any]:
    """A synthesizer may return one object, None, or an iterable of them."""
    if outputs is None:
        return ()
    if isinstance(outputs, Mapping) or hasattr(outputs, "openapi_types") or hasattr(outputs, "to_dict"):
        return (outputs,)
    if isinstance(outputs, str | bytes):
        raise OutputError("a synthesizer returns objects, not text")
    try:
        return list(outputs)
    except TypeError:
        raise OutputError(
            f"a synthesizer returns a list of objects, not a {type(outputs).__name__}"
        ) from None


def read_manifest(path: str | os.PathLike[str]) -> list[Obj]:
    """The objects of a multi-document YAML (or JSON) file, e.g. static manifests shipped beside the
    synthesizer (Go's ReadManifest). Empty documents are skipped; anything else must be an object."""
    objects: list[Obj] = []
    with open(path) as stream:
        for index, doc in enumerate(yaml.safe_load_all(stream)):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise OutputError(f"{path}: document {index} is not an object")
            objects.append(doc)
    return objects
