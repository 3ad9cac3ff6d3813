"""`/openapi/v2` and `/openapi/v3` documents built from the registry's resources.

What kubectl 1.37 reads, and what these documents give it:
- `/openapi/v3` (the per-group-version index, with `?hash=` URLs) and one document per group-version with
  paths whose operations carry `x-kubernetes-group-version-kind`; the PATCH operations list the
  `fieldValidation` parameter, so kubectl's validation leaves checking to the server (fieldValidation=Strict)
  instead of downloading the protobuf v2 document for client-side validation;
- component schemas with `x-kubernetes-group-version-kind` for every kind, so `kubectl explain` works:
  custom resources from their CRD schema (with apiVersion/kind/metadata added as kube does), built-ins from
  the generated client's models (openapi_models.py);
- built-in PATCH operations do not list `application/strategic-merge-patch+json`, so `kubectl apply`
  computes strategic merge patches from its compiled-in Go types rather than from these schemas, which lack
  patch merge keys (decision record 0100).
`/openapi/v2` is the same content as a Swagger 2.0 JSON document (kubectl itself asks v2 for protobuf only).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from eno.apiserver import openapi_models
from eno.apiserver.openapi_models import META_PACKAGE, REF_PREFIX

if TYPE_CHECKING:
    from eno.apiserver.registry import ResourceInfo

Doc = dict[str, Any]
KUBE_VERSION = "v1.37.0"

_API_VERSION_DESCRIPTION = (
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
    "recognized schemas to the latest internal value, and may reject unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
)
_KIND_DESCRIPTION = (
    "Kind is a string value representing the REST resource this object represents. Servers may infer this "
    "from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)
_METADATA_DESCRIPTION = (
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_LIST_METADATA_DESCRIPTION = (
    "Standard list metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)
_COMMON_MODELS = ("V1ObjectMeta", "V1ListMeta", "V1Status", "V1DeleteOptions")
OBJECT_META = f"{META_PACKAGE}.ObjectMeta"
LIST_META = f"{META_PACKAGE}.ListMeta"
STATUS = f"{META_PACKAGE}.Status"
DELETE_OPTIONS = f"{META_PACKAGE}.DeleteOptions"
PATCH = f"{META_PACKAGE}.Patch"
_PATCH_SCHEMA = {
    "type": "object",
    "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
}
PATCH_TYPES_BUILTIN = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
PATCH_TYPES_CUSTOM = PATCH_TYPES_BUILTIN

# Query parameters: name -> (description, JSON type).
_QUERY_PARAMS: dict[str, tuple[str, str]] = {
    "allowWatchBookmarks": ('allowWatchBookmarks requests watch events with type "BOOKMARK".', "boolean"),
    "continue": ("The continue option should be set when retrieving more results from the server.", "string"),
    "dryRun": ("When present, indicates that modifications should not be persisted.", "string"),
    "fieldManager": (
        "fieldManager is a name associated with the actor or entity that is making changes.",
        "string",
    ),
    "fieldSelector": ("A selector to restrict the list of returned objects by their fields.", "string"),
    "fieldValidation": (
        "fieldValidation instructs the server on how to handle objects in the request containing unknown or "
        "duplicate fields. Valid values are: Ignore, Warn (the default), Strict.",
        "string",
    ),
    "force": (
        'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.',
        "boolean",
    ),
    "gracePeriodSeconds": ("The duration in seconds before the object should be deleted.", "integer"),
    "labelSelector": ("A selector to restrict the list of returned objects by their labels.", "string"),
    "limit": ("limit is a maximum number of responses to return for a list call.", "integer"),
    "orphanDependents": ("Deprecated: please use the PropagationPolicy.", "boolean"),
    "pretty": ("If 'true', then the output is pretty printed.", "string"),
    "propagationPolicy": (
        "Whether and how garbage collection will be performed: Orphan, Background or Foreground.",
        "string",
    ),
    "resourceVersion": (
        "resourceVersion sets a constraint on what resource versions a request may be served from.",
        "string",
    ),
    "resourceVersionMatch": (
        "resourceVersionMatch determines how resourceVersion is applied to list calls.",
        "string",
    ),
    "sendInitialEvents": ("`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
    "timeoutSeconds": ("Timeout for the list/watch call.", "integer"),
    "watch": (
        "Watch for changes to the described resources and return them as a stream of events.",
        "boolean",
    ),
}
_LIST_PARAMS = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_DELETE_PARAMS = ("dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy")
_DELETE_COLLECTION_PARAMS = (
    "continue",
    "dryRun",
    "fieldSelector",
    "gracePeriodSeconds",
    "labelSelector",
    "limit",
    "orphanDependents",
    "propagationPolicy",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
)


# --- names ---


def _camel(text: str) -> str:
    parts = [p for p in text.replace("-", ".").split(".") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def _group_camel(group: str) -> str:
    if not group:
        return "Core"
    return _camel(group.removesuffix(".k8s.io"))


def _tag(info: ResourceInfo) -> str:
    name = _group_camel(info.group)
    return f"{name[:1].lower()}{name[1:]}_{info.version}"


def definition_name(info: ResourceInfo, kind: str | None = None) -> str:
    """kube's definition name: io.k8s.api.apps.v1.Deployment; com.example.v1.Widget for a CRD's group."""
    kind = kind or info.kind
    if info.builtin:
        return f"{openapi_models.group_package(info.group)}.{info.version}.{kind}"
    reversed_group = ".".join(reversed(info.group.split(".")))
    return f"{reversed_group}.{info.version}.{kind}"


def gvk(info: ResourceInfo, kind: str | None = None) -> dict[str, str]:
    return {"group": info.group, "kind": kind or info.kind, "version": info.version}


def group_version_key(group: str, version: str) -> str:
    """The key of a group-version in the /openapi/v3 index: `api/v1` or `apis/<group>/<version>`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


# --- schemas ---


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_PREFIX + name}


def _custom_resource_schema(info: ResourceInfo) -> dict[str, Any]:
    """The CRD's schema as kube publishes it: apiVersion, kind and metadata (ObjectMeta) filled in."""
    schema = copy.deepcopy(info.schema) if info.schema else {}
    if not schema:
        schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    schema.setdefault("type", "object")
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "description": _API_VERSION_DESCRIPTION}
    properties["kind"] = {"type": "string", "description": _KIND_DESCRIPTION}
    properties["metadata"] = {"allOf": [_ref(OBJECT_META)], "description": _METADATA_DESCRIPTION}
    return schema


def _list_schema(info: ResourceInfo) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"{info.list_kind_name} is a list of {info.kind}",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string", "description": _API_VERSION_DESCRIPTION},
            "items": {
                "type": "array",
                "description": f"List of {info.resource}.",
                "items": _ref(definition_name(info)),
            },
            "kind": {"type": "string", "description": _KIND_DESCRIPTION},
            "metadata": {"allOf": [_ref(LIST_META)], "description": _LIST_METADATA_DESCRIPTION},
        },
        "x-kubernetes-group-version-kind": [gvk(info, info.list_kind_name)],
    }


def kind_schemas(info: ResourceInfo) -> dict[str, dict[str, Any]]:
    """Component schemas for one resource: its kind, its list kind and what they refer to."""
    schemas: dict[str, dict[str, Any]] = copy.deepcopy(
        openapi_models.model_schemas(_COMMON_MODELS, info.group, info.version)
    )
    schemas[PATCH] = dict(_PATCH_SCHEMA)
    name = definition_name(info)
    root: dict[str, Any] | None = None
    if info.builtin:
        found = openapi_models.builtin_schemas(info.group, info.version, info.kind)
        if found is not None:
            root_name, models = found
            schemas.update(copy.deepcopy(models))
            root = schemas.pop(root_name)
    else:
        root = _custom_resource_schema(info)
    if root is None:
        root = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    root["x-kubernetes-group-version-kind"] = [gvk(info)]
    schemas[name] = root
    schemas[definition_name(info, info.list_kind_name)] = _list_schema(info)
    return schemas


# --- operations ---


@attrs.frozen
class _Operation:
    method: str  # get, post, put, patch, delete
    action: str  # kube's x-kubernetes-action
    operation_id: str
    description: str
    query: tuple[str, ...]
    body: str | None  # "object", "patch", "delete"
    response: str  # "object", "list", "status"


@attrs.frozen
class _PathSpec:
    path: str
    path_params: tuple[str, ...]
    operations: tuple[_Operation, ...]


def _path_specs(info: ResourceInfo) -> list[_PathSpec]:
    prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    verbs = set(info.verbs)
    scope = "Namespaced" if info.namespaced else ""
    base = f"{_group_camel(info.group)}{_camel(info.version)}"
    kind = info.kind
    collection = (
        f"{prefix}/namespaces/{{namespace}}/{info.resource}"
        if info.namespaced
        else f"{prefix}/{info.resource}"
    )
    ns_params: tuple[str, ...] = ("namespace",) if info.namespaced else ()
    specs: list[_PathSpec] = []

    ops: list[_Operation] = []
    if "list" in verbs:
        ops.append(
            _Operation(
                "get",
                "list",
                f"list{base}{scope}{kind}",
                f"list or watch objects of kind {kind}",
                _LIST_PARAMS,
                None,
                "list",
            )
        )
    if "create" in verbs:
        ops.append(
            _Operation(
                "post",
                "post",
                f"create{base}{scope}{kind}",
                f"create a {kind}",
                _WRITE_PARAMS,
                "object",
                "object",
            )
        )
    if "deletecollection" in verbs:
        ops.append(
            _Operation(
                "delete",
                "deletecollection",
                f"deletecollection{base}{scope}{kind}",
                f"delete collection of {kind}",
                _DELETE_COLLECTION_PARAMS,
                "delete",
                "status",
            )
        )
    if ops:
        specs.append(_PathSpec(collection, ns_params, tuple(ops)))

    ops = []
    if "get" in verbs:
        ops.append(
            _Operation(
                "get", "get", f"read{base}{scope}{kind}", f"read the specified {kind}", (), None, "object"
            )
        )
    if "update" in verbs:
        ops.append(
            _Operation(
                "put",
                "put",
                f"replace{base}{scope}{kind}",
                f"replace the specified {kind}",
                _WRITE_PARAMS,
                "object",
                "object",
            )
        )
    if "patch" in verbs:
        ops.append(
            _Operation(
                "patch",
                "patch",
                f"patch{base}{scope}{kind}",
                f"partially update the specified {kind}",
                (*_WRITE_PARAMS, "force"),
                "patch",
                "object",
            )
        )
    if "delete" in verbs:
        ops.append(
            _Operation(
                "delete",
                "delete",
                f"delete{base}{scope}{kind}",
                f"delete a {kind}",
                _DELETE_PARAMS,
                "delete",
                "status",
            )
        )
    if ops:
        specs.append(_PathSpec(f"{collection}/{{name}}", (*ns_params, "name"), tuple(ops)))

    if "status" in info.subresources:
        specs.append(
            _PathSpec(
                f"{collection}/{{name}}/status",
                (*ns_params, "name"),
                (
                    _Operation(
                        "get",
                        "get",
                        f"read{base}{scope}{kind}Status",
                        f"read status of the specified {kind}",
                        (),
                        None,
                        "object",
                    ),
                    _Operation(
                        "put",
                        "put",
                        f"replace{base}{scope}{kind}Status",
                        f"replace status of the specified {kind}",
                        _WRITE_PARAMS,
                        "object",
                        "object",
                    ),
                    _Operation(
                        "patch",
                        "patch",
                        f"patch{base}{scope}{kind}Status",
                        f"partially update status of the specified {kind}",
                        (*_WRITE_PARAMS, "force"),
                        "patch",
                        "object",
                    ),
                ),
            )
        )
    if info.namespaced and "list" in verbs:
        specs.append(
            _PathSpec(
                f"{prefix}/{info.resource}",
                (),
                (
                    _Operation(
                        "get",
                        "list",
                        f"list{base}{kind}ForAllNamespaces",
                        f"list or watch objects of kind {kind}",
                        _LIST_PARAMS,
                        None,
                        "list",
                    ),
                ),
            )
        )
    return specs


def _response_name(info: ResourceInfo, response: str) -> str:
    if response == "list":
        return definition_name(info, info.list_kind_name)
    if response == "status":
        return STATUS
    return definition_name(info)


def _body_name(info: ResourceInfo, body: str) -> str:
    return {"patch": PATCH, "delete": DELETE_OPTIONS}.get(body) or definition_name(info)


def _patch_types(info: ResourceInfo) -> tuple[str, ...]:
    return PATCH_TYPES_BUILTIN if info.builtin else PATCH_TYPES_CUSTOM


# --- v3 ---


def _v3_query_param(name: str) -> dict[str, Any]:
    description, kind = _QUERY_PARAMS[name]
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": kind, "uniqueItems": True},
    }


def _v3_path_param(name: str) -> dict[str, Any]:
    description = "name of the " + ("resource" if name == "name" else "Namespace")
    description = (
        "object name and auth scope, such as for teams and projects" if name == "namespace" else description
    )
    return {
        "name": name,
        "in": "path",
        "description": description,
        "required": True,
        "schema": {"type": "string", "uniqueItems": True},
    }


def _v3_operation(info: ResourceInfo, op: _Operation) -> dict[str, Any]:
    response_ref = _ref(_response_name(info, op.response))
    out: dict[str, Any] = {
        "tags": [_tag(info)],
        "description": op.description,
        "operationId": op.operation_id,
    }
    if op.query:
        out["parameters"] = [_v3_query_param(q) for q in op.query]
    if op.body is not None:
        body_ref = _ref(_body_name(info, op.body))
        types = _patch_types(info) if op.body == "patch" else ("*/*",)
        out["requestBody"] = {
            "content": {t: {"schema": body_ref} for t in types},
            "required": op.body != "delete",
        }
    response_content = {t: {"schema": response_ref} for t in ("application/json", "application/yaml")}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": response_content}}
    if op.method == "post":
        responses["201"] = {"description": "Created", "content": response_content}
        responses["202"] = {"description": "Accepted", "content": response_content}
    if op.method == "put" or op.action == "patch":
        responses["201"] = {"description": "Created", "content": response_content}
    responses["401"] = {"description": "Unauthorized"}
    out["responses"] = responses
    out["x-kubernetes-action"] = op.action
    out["x-kubernetes-group-version-kind"] = gvk(info)
    return out


def _v3_paths(infos: Iterable[ResourceInfo]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for info in infos:
        for spec in _path_specs(info):
            item: dict[str, Any] = {op.method: _v3_operation(info, op) for op in spec.operations}
            item["parameters"] = [_v3_path_param(p) for p in spec.path_params] + [_v3_query_param("pretty")]
            paths[spec.path] = item
    return paths


def _served(resources: Iterable[ResourceInfo], group: str, version: str) -> list[ResourceInfo]:
    return sorted(
        (r for r in resources if r.group == group and r.version == version and "/" not in r.resource),
        key=lambda r: r.resource,
    )


def openapi_v3_group(resources: Iterable[ResourceInfo], group: str, version: str) -> Doc | None:
    """The OpenAPI 3.0 document of one group-version, or None if nothing is served there."""
    infos = _served(resources, group, version)
    if not infos:
        return None
    schemas: dict[str, Any] = {}
    for info in infos:
        schemas.update(kind_schemas(info))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION},
        "paths": _v3_paths(infos),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def document_hash(doc: Mapping[str, Any]) -> str:
    """kube's content hash for the `?hash=` URLs: upper-case hex SHA-512 of the JSON."""
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha512(data).hexdigest().upper()


def openapi_v3_documents(resources: Iterable[ResourceInfo]) -> dict[str, Doc]:
    """Every group-version's v3 document, keyed as in the index (`api/v1`, `apis/apps/v1`)."""
    infos = list(resources)
    out: dict[str, Doc] = {}
    for group, version in sorted({(i.group, i.version) for i in infos}):
        doc = openapi_v3_group(infos, group, version)
        if doc is not None:
            out[group_version_key(group, version)] = doc
    return out


def openapi_v3_paths(resources: Iterable[ResourceInfo], prefix: str = "/openapi/v3") -> Doc:
    """The /openapi/v3 index: {"paths": {"apis/apps/v1": {"serverRelativeURL": ".../apps/v1?hash=H"}}}."""
    docs = openapi_v3_documents(resources)
    return {
        "paths": {
            key: {"serverRelativeURL": f"{prefix}/{key}?hash={document_hash(doc)}"}
            for key, doc in docs.items()
        }
    }


# --- v2 ---


def _v2_schema(schema: Any) -> Any:
    """A v3 schema as Swagger 2.0 accepts it: #/definitions refs, no nullable/anyOf/oneOf/not, and a lone
    allOf-wrapped $ref unwrapped (kube publishes CRD schemas to v2 the same way)."""
    if isinstance(schema, list):
        return [_v2_schema(s) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("nullable", "anyOf", "oneOf", "not"):
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace(REF_PREFIX, "#/definitions/")
        elif key in ("properties", "patternProperties", "definitions") and isinstance(value, Mapping):
            out[key] = {k: _v2_schema(v) for k, v in value.items()}
        elif key in ("x-kubernetes-group-version-kind", "enum", "required", "default", "example"):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _v2_schema(value)
    all_of = out.get("allOf")
    if (
        isinstance(all_of, list)
        and len(all_of) == 1
        and isinstance(all_of[0], Mapping)
        and "$ref" in all_of[0]
    ):
        del out["allOf"]
        out["$ref"] = all_of[0]["$ref"]
    return out


def _v2_operation(info: ResourceInfo, op: _Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"description": op.description}
    if op.body == "patch":
        out["consumes"] = list(_patch_types(info))
    else:
        out["consumes"] = ["*/*"]
    out["produces"] = ["application/json", "application/yaml"]
    out["schemes"] = ["https"]
    out["tags"] = [_tag(info)]
    out["operationId"] = op.operation_id
    params: list[dict[str, Any]] = []
    if op.body is not None:
        params.append(
            {
                "name": "body",
                "in": "body",
                "required": op.body != "delete",
                "schema": {"$ref": "#/definitions/" + _body_name(info, op.body)},
            }
        )
    for name in op.query:
        description, kind = _QUERY_PARAMS[name]
        params.append(
            {"uniqueItems": True, "type": kind, "description": description, "name": name, "in": "query"}
        )
    if params:
        out["parameters"] = params
    schema = {"$ref": "#/definitions/" + _response_name(info, op.response)}
    responses: dict[str, Any] = {"200": {"description": "OK", "schema": schema}}
    if op.method == "post":
        responses["201"] = {"description": "Created", "schema": schema}
    responses["401"] = {"description": "Unauthorized"}
    out["responses"] = responses
    out["x-kubernetes-action"] = op.action
    out["x-kubernetes-group-version-kind"] = gvk(info)
    return out


def openapi_v2(resources: Iterable[ResourceInfo]) -> Doc:
    """The Swagger 2.0 document for everything served."""
    infos = sorted(
        (r for r in resources if "/" not in r.resource), key=lambda r: (r.group, r.version, r.resource)
    )
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for info in infos:
        for name, schema in kind_schemas(info).items():
            definitions[name] = _v2_schema(schema)
        for spec in _path_specs(info):
            item: dict[str, Any] = {op.method: _v2_operation(info, op) for op in spec.operations}
            item["parameters"] = [
                {
                    "uniqueItems": True,
                    "type": "string",
                    "description": p,
                    "name": p,
                    "in": "path",
                    "required": True,
                }
                for p in spec.path_params
            ] + [
                {
                    "uniqueItems": True,
                    "type": "string",
                    "description": "If 'true', then the output is pretty printed.",
                    "name": "pretty",
                    "in": "query",
                }
            ]
            paths[spec.path] = item
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION},
        "paths": paths,
        "definitions": dict(sorted(definitions.items())),
        "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}},
        "security": [{"BearerToken": []}],
    }


# What kubectl asks for (the "@" form) and what kube answers with (Go's mime parser rejects the "@").
OPENAPI_V2_PROTOBUF_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def openapi_v2_protobuf() -> bytes:
    """A minimal /openapi/v2 in the protobuf form kubectl asks for (gnostic's openapi_v2.Document): version
    and info, no definitions. kubectl reads it for client-side validation of `kind: List` manifests and
    for apply's patch computation; with no definitions it skips the former (the server still validates
    every item) and uses its compiled-in types for the latter, which is what we want (decision 0150)."""
    from eno.apiserver.protobuf import encode_fields

    info = encode_fields([(1, "Kubernetes"), (2, KUBE_VERSION)])
    return encode_fields([(1, "2.0"), (2, info), (8, b"")])


def openapi_document(resources: Sequence[ResourceInfo], parts: Sequence[str]) -> Doc | None:
    """Route /openapi/...: parts after "openapi" (["v2"], ["v3"], ["v3", "apis", g, v]); None means 404."""
    parts = [p for p in parts if p]
    if parts == ["v2"]:
        return openapi_v2(resources)
    if parts == ["v3"]:
        return openapi_v3_paths(resources)
    if len(parts) == 3 and parts[:2] == ["v3", "api"]:
        return openapi_v3_group(resources, "", parts[2])
    if len(parts) == 4 and parts[:2] == ["v3", "apis"]:
        return openapi_v3_group(resources, parts[2], parts[3])
    return None
