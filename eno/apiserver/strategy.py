"""Write semantics shared by every resource, as kube-apiserver's generic registry applies them.

Pure functions from (old object, request body) to the object to store, raising ApiError. They run inside a
store transaction, so what they read cannot change under them. Resource-specific steps are passed in as
`Hooks`: `prepare` hooks (CRD schemas, built-in defaulting, CRD status) shape the object before generation is
computed; `finish` hooks (managedFields) see the final object.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from eno.apiserver import errors, names, validation
from eno.apiserver.registry import ResourceInfo
from eno.apiserver.store import copy_object

Obj = dict[str, Any]

# Fields of metadata that clients cannot set or change; the server owns them.
_SERVER_OWNED = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


def rfc3339(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC)


@attrs.define
class Request:
    """What a write needs to know about its request."""

    info: ResourceInfo
    namespace: str
    name: str = ""
    subresource: str = ""
    now: datetime = attrs.field(factory=utcnow)
    # Strict | Warn | Ignore, as the fieldValidation query parameter.
    field_validation: str = "Warn"
    warnings: list[str] = attrs.field(factory=list)
    # The field manager recorded in managedFields ("" records nothing).
    manager: str = ""
    force: bool = False
    dry_run: bool = False


# A hook rewrites (and may reject) the object about to be stored: (request, old or None, new) -> new.
Hook = Callable[[Request, Obj | None, Obj], Obj]


@attrs.frozen
class Hooks:
    prepare: tuple[Hook, ...] = ()
    finish: tuple[Hook, ...] = ()


def check_type(req: Request, obj: Any) -> Obj:
    """The body must be an object of this endpoint's kind; built-ins may omit apiVersion/kind."""
    info = req.info
    if not isinstance(obj, dict):
        raise errors.bad_request(f"the object provided is unrecognized (must be of type {info.kind})")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not kind or not api_version:
        if not info.builtin:
            raise errors.bad_request(f"Object 'Kind' is missing in '{_short_json(obj)}'")
        obj = {"apiVersion": info.api_version, "kind": info.kind, **obj}
        api_version, kind = info.api_version, info.kind
    if kind != info.kind:
        raise errors.bad_request(
            f"the kind in the body ({kind}) does not match the expected kind ({info.kind})"
        )
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    if group != info.group:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({info.api_version})"
        )
    # Another served version of the same kind is fine: conversion is the identity (strategy None).
    obj["apiVersion"] = info.api_version
    meta = obj.get("metadata")
    if meta is None:
        obj["metadata"] = {}
    elif not isinstance(meta, dict):
        raise errors.bad_request(_decode_error(info, "metadata", "v1.ObjectMeta"))
    else:
        _check_meta_types(info, meta)
    checked: Obj = obj
    return checked


# ObjectMeta members whose JSON type a typed decode would enforce: (field, python type, Go type).
_META_TYPES: tuple[tuple[str, type, str], ...] = (
    ("name", str, "string"),
    ("generateName", str, "string"),
    ("namespace", str, "string"),
    ("labels", dict, "map[string]string"),
    ("annotations", dict, "map[string]string"),
    ("finalizers", list, "[]string"),
    ("ownerReferences", list, "[]v1.OwnerReference"),
)


def _decode_error(info: ResourceInfo, field: str, go_type: str) -> str:
    return (
        f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: json: cannot '
        f"unmarshal into Go struct field ObjectMeta.{field} of type {go_type}"
    )


def _check_meta_types(info: ResourceInfo, meta: Obj) -> None:
    for field, py_type, go_type in _META_TYPES:
        value = meta.get(field)
        if value is None:
            continue
        ok = isinstance(value, py_type)
        if ok and go_type == "map[string]string":
            ok = all(isinstance(v, str) for v in value.values())
        if ok and go_type == "[]string":
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise errors.bad_request(_decode_error(info, f"metadata.{field}", go_type))


def _short_json(obj: Obj) -> str:
    text = json.dumps(obj, separators=(",", ":"))
    return text if len(text) < 200 else text[:200] + "..."


def _check_namespace(req: Request, meta: Obj) -> None:
    if not req.info.namespaced:
        meta.pop("namespace", None)
        return
    ns = meta.get("namespace") or req.namespace
    if ns != req.namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = req.namespace


def prepare_create(req: Request, body: Any, hooks: Hooks = Hooks()) -> Obj:
    info = req.info
    obj = check_type(req, body)
    meta = obj["metadata"]
    _check_namespace(req, meta)
    if not meta.get("name") and isinstance(meta.get("generateName"), str) and meta["generateName"]:
        meta["name"] = names.generate_name(meta["generateName"])
    causes = validation.validate_object_meta(
        _for_validation(meta), info.group, info.resource, namespaced=info.namespaced, builtin=info.builtin
    )
    if causes:
        raise errors.invalid(info.group, info.kind, str(meta.get("name") or ""), causes)
    for field in (*_SERVER_OWNED, "resourceVersion", "selfLink"):
        meta.pop(field, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = rfc3339(req.now)
    if tracks_generation(info):
        meta["generation"] = 1
    if info.status_subresource:
        obj.pop("status", None)
    if not info.builtin:
        req.warnings.extend(validation.finalizer_warnings(meta.get("finalizers")))
    for hook in hooks.prepare:
        obj = hook(req, None, obj)
    for hook in hooks.finish:
        obj = hook(req, None, obj)
    return obj


def _for_validation(meta: Obj) -> Obj:
    """`managedFields: [{}]` asks to clear them; kube's field manager acts on that before validation."""
    if meta.get("managedFields") == [{}]:
        return {k: v for k, v in meta.items() if k != "managedFields"}
    return meta


# Built-in kinds whose registry strategy sets metadata.generation and bumps it on spec changes. The others
# (ConfigMap, Secret, Namespace, Service, ServiceAccount, RBAC, Lease, Event, ...) never carry one, so kube
# shows none and a change to their data moves nothing but resourceVersion. Custom resources always do.
GENERATION_KINDS = frozenset(
    {
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("policy", "poddisruptionbudgets"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "networkpolicies"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        ("", "replicationcontrollers"),
        # Pods carry a generation since Kubernetes 1.33.
        ("", "pods"),
    }
)


def tracks_generation(info: ResourceInfo) -> bool:
    return not info.builtin or (info.group, info.resource) in GENERATION_KINDS


def _spec_part(info: ResourceInfo, obj: Obj) -> Obj:
    """What counts for metadata.generation: everything but metadata, and but status where status is its
    own subresource or the kind is built-in (kube's custom-resource strategy counts status otherwise)."""
    skip = {"metadata", "apiVersion", "kind"}
    if info.status_subresource or info.builtin:
        skip.add("status")
    return {k: v for k, v in obj.items() if k not in skip}


def check_resource_version(req: Request, old: Obj, new_meta: Obj) -> None:
    rv = new_meta.get("resourceVersion")
    if not rv:
        if not req.info.builtin:
            raise errors.invalid(
                req.info.group,
                req.info.kind,
                req.name,
                [errors.invalid_value("metadata.resourceVersion", "0x0", "must be specified for an update")],
            )
        return
    if str(rv) != old["metadata"].get("resourceVersion"):
        raise errors.conflict(req.info.group, req.info.resource, req.name)


def prepare_update(req: Request, old: Obj, body: Any, hooks: Hooks = Hooks()) -> Obj | None:
    """The object to store for a PUT (or a patched object), or None when the update completes a deletion."""
    info = req.info
    new = check_type(req, body)
    meta = new["metadata"]
    if meta.get("name") and meta["name"] != req.name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({req.name})"
        )
    meta["name"] = req.name
    _check_namespace(req, meta)
    check_resource_version(req, old, meta)
    old_meta = old["metadata"]
    if not meta.get("resourceVersion"):
        # Built-in kinds allow unconditional updates.
        meta["resourceVersion"] = old_meta.get("resourceVersion")
    if meta.get("uid") and meta["uid"] != old_meta.get("uid"):
        raise errors.conflict(
            info.group,
            info.resource,
            req.name,
            f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: "
            f"{old_meta.get('uid')}",
        )
    if req.subresource == "status":
        # /status changes status only; everything else stays as stored.
        result = copy_object(old)
        if "status" in new:
            result["status"] = new["status"]
        else:
            result.pop("status", None)
        if "managedFields" in meta:
            result["metadata"]["managedFields"] = meta["managedFields"]
        new = result
        meta = new["metadata"]
    else:
        for field in _SERVER_OWNED:
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        if info.status_subresource:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        causes = validation.validate_object_meta_update(_for_validation(meta), old_meta)
        if causes:
            raise errors.invalid(info.group, info.kind, req.name, causes)
        if not info.builtin:
            added = [f for f in meta.get("finalizers") or [] if f not in (old_meta.get("finalizers") or [])]
            req.warnings.extend(validation.finalizer_warnings(added))
    for hook in hooks.prepare:
        new = hook(req, old, new)
    meta = new["metadata"]
    if (
        req.subresource != "status"
        and tracks_generation(info)
        and _spec_part(info, new) != _spec_part(info, old)
    ):
        meta["generation"] = int(old_meta.get("generation") or 0) + 1
    meta.pop("selfLink", None)
    for hook in hooks.finish:
        new = hook(req, old, new)
    if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
        # Namespaces also wait for spec.finalizers (the namespace controller's `kubernetes`).
        if not (
            info.group == "" and info.resource == "namespaces" and (new.get("spec") or {}).get("finalizers")
        ):
            return None
    return new


def check_preconditions(req: Request, old: Obj, options: Obj) -> None:
    pre = options.get("preconditions") or {}
    old_meta = old["metadata"]
    if pre.get("uid") and pre["uid"] != old_meta.get("uid"):
        raise errors.conflict(
            req.info.group,
            req.info.resource,
            req.name,
            f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: "
            f"{old_meta.get('uid')}",
        )
    if pre.get("resourceVersion") and pre["resourceVersion"] != old_meta.get("resourceVersion"):
        raise errors.conflict(
            req.info.group,
            req.info.resource,
            req.name,
            f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
            f"ResourceVersion in object meta: {old_meta.get('resourceVersion')}",
        )


def prepare_delete(req: Request, old: Obj, options: Obj) -> Obj | None:
    """None deletes now; an object keeps it, marked for deletion, until its finalizers are gone."""
    check_preconditions(req, old, options)
    meta = old["metadata"]
    if not meta.get("finalizers"):
        return None
    if meta.get("deletionTimestamp"):
        return old
    meta["deletionTimestamp"] = rfc3339(req.now)
    meta["deletionGracePeriodSeconds"] = 0
    # kube-apiserver bumps generation when it sets deletionTimestamp (on kinds that have one); Eno's
    # deletion flow waits on it.
    if meta.get("generation"):
        meta["generation"] = int(meta["generation"]) + 1
    return old


def success_status(req: Request, obj: Obj) -> Obj:
    """The Status a DELETE answers with once the object is gone."""
    details: Obj = {"name": req.name, "kind": req.info.resource}
    if req.info.group:
        details["group"] = req.info.group
    uid = obj.get("metadata", {}).get("uid")
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
