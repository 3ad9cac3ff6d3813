"""OpenAPI schemas for the built-in kinds, derived from kubernetes-asyncio's generated models.

There is no kube-apiserver to copy the real documents from, but the generated client carries every
built-in type's fields (`openapi_types`, `attribute_map`), descriptions (property docstrings) and required
fields (setter checks). That is enough for `kubectl explain` and for clients reading field types. Not
carried: patch strategies and merge keys, int-or-string (the client types those as `object`) and
enums, so these schemas must not drive strategic-merge-patch computation (see openapi.py).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import Any

REF_PREFIX = "#/components/schemas/"

# (group, version, kind) -> the generated model class name, where it is not simply V1<Kind>.
_MODEL_NAMES = {
    ("", "v1", "Event"): "CoreV1Event",
    ("events.k8s.io", "v1", "Event"): "EventsV1Event",
}
# kube's definition-name prefix per API group (the Go package path, reversed).
_GROUP_PACKAGES = {
    "": "io.k8s.api.core",
    "apps": "io.k8s.api.apps",
    "policy": "io.k8s.api.policy",
    "rbac.authorization.k8s.io": "io.k8s.api.rbac",
    "coordination.k8s.io": "io.k8s.api.coordination",
    "events.k8s.io": "io.k8s.api.events",
    "batch": "io.k8s.api.batch",
    "networking.k8s.io": "io.k8s.api.networking",
    "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
}
META_PACKAGE = "io.k8s.apimachinery.pkg.apis.meta.v1"
_META_TYPES = frozenset(
    {
        "ObjectMeta",
        "ListMeta",
        "OwnerReference",
        "ManagedFieldsEntry",
        "LabelSelector",
        "LabelSelectorRequirement",
        "Condition",
        "Status",
        "StatusDetails",
        "StatusCause",
        "DeleteOptions",
        "Preconditions",
    }
)
# The generated client drops the descriptions of fields whose type is another model; the common ones back.
_FALLBACK_DESCRIPTIONS = {
    "metadata": "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    "spec": "Specification of the desired behavior of the object. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
    "status": "Most recently observed status of the object. Populated by the system. Read-only. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
}
# Type descriptions, which the generated client does not carry (kube's, for the kinds we serve).
_TYPE_DESCRIPTIONS = {
    "Pod": (
        "Pod is a collection of containers that can run on a host. This resource is created by clients "
        "and scheduled onto hosts."
    ),
    "ConfigMap": "ConfigMap holds configuration data for pods to consume.",
    "Secret": (
        "Secret holds secret data of a certain type. The total bytes of the values in the Data field must"
        " be less than MaxSecretSize bytes."
    ),
    "Namespace": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    "ServiceAccount": (
        "ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems,"
        " for an identity * a principal that can be authenticated and authorized * a set of secrets"
    ),
    "Service": (
        "Service is a named abstraction of software service (for example, mysql) consisting of local port"
        " (for example 3306) that the proxy listens on, and the selector that determines which pods will "
        "answer requests sent through the proxy."
    ),
    "Event": (
        "Event is a report of an event somewhere in the cluster. Events have a limited retention time and"
        " triggers and messages may evolve with time. Events should be treated as informative, best-"
        "effort, supplemental data."
    ),
    "Lease": "Lease defines a lease concept.",
    "Deployment": "Deployment enables declarative updates for Pods and ReplicaSets.",
    "StatefulSet": (
        "StatefulSet represents a set of pods with consistent identities. Identities are defined as: - "
        "Network: A single stable DNS and hostname. - Storage: As many VolumeClaims as requested. The "
        "StatefulSet guarantees that a given network identity will always map to the same storage "
        "identity."
    ),
    "DaemonSet": "DaemonSet represents the configuration of a daemon set.",
    "PodDisruptionBudget": (
        "PodDisruptionBudget is an object to define the max disruption that can be caused to a collection"
        " of pods"
    ),
    "Role": (
        "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a "
        "RoleBinding."
    ),
    "ClusterRole": (
        "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit"
        " by a RoleBinding or ClusterRoleBinding."
    ),
    "RoleBinding": (
        "RoleBinding references a role, but does not contain it. It can reference a Role in the same "
        "namespace or a ClusterRole in the global namespace. It adds who information via Subjects and "
        "namespace information by which namespace it exists in. RoleBindings in a given namespace only "
        "have effect in that namespace."
    ),
    "ClusterRoleBinding": (
        "ClusterRoleBinding references a ClusterRole, but not contain it. It can reference a ClusterRole "
        "in the global namespace, and adds who information via Subject."
    ),
    "CustomResourceDefinition": (
        "CustomResourceDefinition represents a resource that should be exposed on the API server. Its "
        "name MUST be in the format <.spec.name>.<.spec.group>."
    ),
    "ObjectMeta": (
        "ObjectMeta is metadata that all persisted resources must have, which includes all objects users "
        "must create."
    ),
    "ListMeta": (
        "ListMeta describes metadata that synthetic resources must have, including lists and various "
        "status objects. A resource may have only one of {ObjectMeta, ListMeta}."
    ),
    "Status": "Status is a return value for calls that don't return other objects.",
    "DeleteOptions": "DeleteOptions may be provided when deleting an API object.",
}
_VERSION_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)?V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])")
_LIST_RE = re.compile(r"^list\[(.+)\]$")
_DICT_RE = re.compile(r"^dict\(str, (.+)\)$")
_REQUIRED_RE = re.compile(r"Invalid value for `(\w+)`, must not be `None`")
_PRIMITIVES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    # The client types int-or-string, RawExtension and free-form JSON all as `object`.
    "object": {"x-kubernetes-preserve-unknown-fields": True},
}


def group_package(group: str) -> str:
    return _GROUP_PACKAGES.get(group, "io.k8s.api." + group.split(".")[0])


def _short_name(model_name: str) -> str:
    return _VERSION_PREFIX.sub("", model_name)


def _description(prop: Any) -> str:
    doc = inspect.getdoc(prop) or ""
    lines = doc.split("\n")
    body: list[str] = []
    for line in lines[1:]:
        if line.startswith(":return:") or line.startswith(":rtype:"):
            break
        body.append(line)
    text = " ".join(part.strip() for part in body if part.strip())
    return text.replace("# noqa: E501", "").strip()


@functools.cache
def _module_source(module_name: str) -> str:
    """A generated model's source text, read once (inspect.getsource per class is far slower)."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path:
        return ""
    try:
        return Path(path).read_text()
    except OSError:
        return ""


@functools.cache
def _model_info(model_name: str) -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]] | None:
    """(fields as (json name, client type, description), required json names) of a generated model."""
    models = importlib.import_module("kubernetes_asyncio.client.models")
    cls = getattr(models, model_name, None)
    if cls is None:
        return None
    fields = []
    for attr, type_name in cls.openapi_types.items():
        json_name = cls.attribute_map[attr]
        description = _description(getattr(cls, attr, None)) or _FALLBACK_DESCRIPTIONS.get(json_name, "")
        fields.append((json_name, type_name, description))
    source = _module_source(cls.__module__)
    required = sorted({cls.attribute_map[a] for a in _REQUIRED_RE.findall(source) if a in cls.attribute_map})
    return tuple(fields), tuple(required)


class _Builder:
    def __init__(self, package: str, version: str) -> None:
        self.package = package
        self.version = version
        self.schemas: dict[str, dict[str, Any]] = {}

    def definition_name(self, model_name: str, in_meta: bool = False) -> str:
        short = _short_name(model_name)
        if short in _META_TYPES or in_meta:
            return f"{META_PACKAGE}.{short}"
        return f"{self.package}.{self.version}.{short}"

    def type_schema(self, type_name: str, in_meta: bool = False) -> dict[str, Any]:
        if type_name in _PRIMITIVES:
            return dict(_PRIMITIVES[type_name])
        m = _LIST_RE.match(type_name)
        if m:
            return {"type": "array", "items": self.type_schema(m.group(1), in_meta)}
        m = _DICT_RE.match(type_name)
        if m:
            return {"type": "object", "additionalProperties": self.type_schema(m.group(1), in_meta)}
        return {"$ref": REF_PREFIX + self.model(type_name, in_meta)}

    def model(self, model_name: str, in_meta: bool = False) -> str:
        """Register a model's definition; types only meta types refer to live in the meta package too."""
        name = self.definition_name(model_name, in_meta)
        in_meta = name.startswith(META_PACKAGE)
        if name in self.schemas:
            return name
        info = _model_info(model_name)
        if info is None:
            self.schemas[name] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            return name
        fields, required = info
        schema: dict[str, Any] = {"type": "object"}
        description = _TYPE_DESCRIPTIONS.get(_short_name(model_name))
        if description:
            schema["description"] = description
        self.schemas[name] = schema  # registered before recursing: models refer to themselves
        properties: dict[str, Any] = {}
        for json_name, type_name, description in fields:
            prop = self.type_schema(type_name, in_meta)
            if "$ref" in prop:
                # OpenAPI v3 forbids siblings of $ref; kube wraps it in allOf to keep the description.
                prop = {"allOf": [prop]}
            if description:
                prop["description"] = description
            properties[json_name] = prop
        schema["properties"] = properties
        if required:
            schema["required"] = list(required)
        return name


@functools.cache
def builtin_schemas(group: str, version: str, kind: str) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """(definition name of the kind, every definition it needs), or None if the client has no model."""
    model_name = _MODEL_NAMES.get((group, version, kind), f"{version.capitalize()}{kind}")
    builder = _Builder(group_package(group), version)
    if _model_info(model_name) is None:
        return None
    root = builder.model(model_name)
    return root, builder.schemas


@functools.cache
def model_schemas(model_names: tuple[str, ...], group: str, version: str) -> dict[str, dict[str, Any]]:
    """Definitions for the given generated models (and everything they refer to)."""
    builder = _Builder(group_package(group), version)
    for model_name in model_names:
        builder.model(model_name)
    return builder.schemas
