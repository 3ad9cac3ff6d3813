"""The `scale` subresource (autoscaling/v1 Scale) of deployments, statefulsets and CRDs that declare it.

GET answers a Scale built from the parent; PUT and PATCH change only the parent's replicas (so its
generation moves, as kube-apiserver's scale storage does), checking a resourceVersion given in the Scale.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from eno.apiserver import errors, negotiation, patch, strategy
from eno.apiserver.context import ApiContext
from eno.apiserver.crud import object_key, read_body, respond, write_request
from eno.apiserver.negotiation import Output
from eno.apiserver.registry import ResourceInfo
from eno.apiserver.requestinfo import RequestInfo
from eno.apiserver.store import copy_object

Obj = dict[str, Any]

BUILTIN_PATHS = (".spec.replicas", ".status.replicas", ".spec.selector")


def paths(info: ResourceInfo) -> tuple[str, str, str]:
    """(specReplicasPath, statusReplicasPath, labelSelectorPath)."""
    if info.builtin:
        return BUILTIN_PATHS
    spec, status, selector = info.scale_paths or ("", "", "")
    return spec, status, selector


def _get(obj: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set(obj: Obj, path: str, value: Any) -> None:
    parts = [p for p in path.split(".") if p]
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value


def selector_string(selector: Any) -> str:
    """metav1.LabelSelector (or a string already) as its label-selector text."""
    if isinstance(selector, str) or selector is None:
        return selector or ""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "Exists":
            terms.append(key)
        elif op == "DoesNotExist":
            terms.append(f"!{key}")
        else:
            terms.append(f"{key} {op.lower()} ({','.join(sorted(values))})")
    return ",".join(terms)


def to_scale(info: ResourceInfo, obj: Obj) -> Obj:
    spec_path, status_path, selector_path = paths(info)
    meta = obj.get("metadata", {})
    status: Obj = {"replicas": _get(obj, status_path) or 0}
    selector = selector_string(_get(obj, selector_path)) if selector_path else ""
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": _get(obj, spec_path) or 0},
        "status": status,
    }


async def handle(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.StreamResponse:
    key = object_key(info, ri.namespace, ri.name)
    if ri.verb == "get":
        obj = ctx.store.get(key)
        if obj is None:
            raise errors.not_found(info.group, info.resource, ri.name)
        return respond(to_scale(info, obj), output)
    if ri.verb not in ("update", "patch"):
        raise errors.method_not_allowed(info.group, f"{info.resource}/scale", ri.verb)
    kind = "UpdateOptions" if ri.verb == "update" else "PatchOptions"
    mt = negotiation.media_type(request.content_type or negotiation.JSON)
    req = write_request(ri, info, request, kind, patch_type=mt if ri.verb == "patch" else None)
    req.subresource = ""
    body = await read_body(request)
    document = (
        negotiation.decode_object(request.content_type, body)
        if ri.verb == "update"
        else negotiation.decode_document(mt, body)
    )
    hooks = ctx.hooks(info)
    spec_path = paths(info)[0]

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            raise errors.not_found(info.group, info.resource, ri.name)
        current = to_scale(info, old)
        if ri.verb == "update":
            wanted = document
        elif mt == negotiation.JSON_PATCH:
            wanted = patch.apply_json_patch(current, document)
        elif mt in (negotiation.MERGE_PATCH, negotiation.STRATEGIC_PATCH):
            wanted = patch.apply_merge_patch(current, document)
        else:
            raise errors.unsupported_media_type(mt)
        if not isinstance(wanted, dict):
            raise errors.bad_request("the Scale must be an object")
        rv = (wanted.get("metadata") or {}).get("resourceVersion")
        if rv and rv != old["metadata"].get("resourceVersion"):
            raise errors.conflict(info.group, info.resource, ri.name)
        replicas = (wanted.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(
                "autoscaling",
                "Scale",
                ri.name,
                [errors.invalid_value("spec.replicas", replicas, "must be greater than or equal to 0")],
            )
        new = copy_object(old)
        _set(new, spec_path, replicas)
        return strategy.prepare_update(req, old, new, hooks)

    committed = await ctx.write(key, mutate)
    assert committed.object is not None
    return respond(to_scale(info, committed.object), output)
