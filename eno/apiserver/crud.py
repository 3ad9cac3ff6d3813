"""HTTP handlers for get, list, create, update, patch, delete and deletecollection."""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from eno.apiserver import errors, negotiation, patch, selectors, strategy
from eno.apiserver.context import ApiContext
from eno.apiserver.negotiation import Output
from eno.apiserver.output import render_list, render_object
from eno.apiserver.registry import ResourceInfo
from eno.apiserver.requestinfo import RequestInfo
from eno.apiserver.store import Key

Obj = dict[str, Any]

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")


def respond(obj: Any, output: Output, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    body, content_type = negotiation.encode(obj, output.encoding)
    response = web.Response(body=body, status=status, content_type=content_type)
    for warning in warnings or []:
        response.headers.add("Warning", f'299 - "{_escape_warning(warning)}"')
    return response


def _escape_warning(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def object_key(info: ResourceInfo, namespace: str, name: str) -> Key:
    return Key(info.group, info.resource, namespace if info.namespaced else "", name)


def namespace_of(ri: RequestInfo, info: ResourceInfo) -> str:
    return ri.namespace if info.namespaced else ""


def write_request(ri: RequestInfo, info: ResourceInfo, request: web.Request) -> strategy.Request:
    validation = request.query.get("fieldValidation", "Warn") or "Warn"
    if validation not in FIELD_VALIDATION:
        raise errors.bad_request(
            f"fieldValidation parameter unsupported: {validation}; must be one of Strict, Warn, Ignore"
        )
    return strategy.Request(
        info=info,
        namespace=namespace_of(ri, info),
        name=ri.name,
        subresource=ri.subresource,
        field_validation=validation,
    )


async def read_body(request: web.Request) -> bytes:
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as err:
        raise errors.request_entity_too_large(negotiation.MAX_BODY_BYTES) from err
    if len(body) > negotiation.MAX_BODY_BYTES:
        raise errors.request_entity_too_large(negotiation.MAX_BODY_BYTES)
    return body


def _require_namespace(ctx: ApiContext, info: ResourceInfo, namespace: str, creating: bool) -> None:
    if not info.namespaced:
        return
    ns = ctx.store.get(Key("", "namespaces", "", namespace))
    if ns is None:
        raise errors.not_found("", "namespaces", namespace)
    if creating and (ns.get("metadata", {}).get("deletionTimestamp") or _phase(ns) == "Terminating"):
        raise errors.namespace_terminating(info.group, info.resource, "", namespace)


def _phase(obj: Obj) -> str:
    return str(obj.get("status", {}).get("phase", ""))


# Reads.


async def get(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    obj = ctx.store.get(object_key(info, namespace_of(ri, info), ri.name))
    if obj is None:
        raise errors.not_found(info.group, info.resource, ri.name)
    return respond(
        render_object(info, obj, output, ctx.table, request.query.get("includeObject", "Metadata")), output
    )


def parse_selectors(
    info: ResourceInfo, query: Any, name: str = ""
) -> tuple[selectors.LabelSelector, selectors.FieldSelector]:
    labels = selectors.parse_label_selector(query.get("labelSelector", ""))
    fields = selectors.parse_field_selector(query.get("fieldSelector", ""))
    fields.check_supported(selectors.supported_field_labels(info.group, info.resource))
    if name:
        fields = selectors.FieldSelector(
            (*fields.requirements, selectors.FieldRequirement("metadata.name", name))
        )
    return labels, fields


def selection(
    labels: selectors.LabelSelector, fields: selectors.FieldSelector
) -> Callable[[Obj | None], bool]:
    def matches(obj: Obj | None) -> bool:
        if obj is None:
            return False
        return labels.matches(obj.get("metadata", {}).get("labels") or {}) and fields.matches(obj)

    return matches


def encode_continue(revision: int, namespace: str, name: str) -> str:
    token = {"v": "meta.k8s.io/v1", "rv": revision, "start": f"{namespace}/{name}\x00"}
    return base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()


def decode_continue(token: str) -> tuple[int, str, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        if raw.get("v") != "meta.k8s.io/v1":
            raise ValueError("unknown version")
        namespace, name = str(raw["start"]).rstrip("\x00").split("/", 1)
        return int(raw["rv"]), namespace, name
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError) as err:
        raise errors.bad_request(f"continue key is not valid: {err}") from err


async def list_(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    query = request.query
    labels, fields = parse_selectors(info, query)
    matches = selection(labels, fields)
    store = ctx.store
    namespace = ri.namespace if info.namespaced and ri.namespace else None
    revision = store.revision
    keys = store.list_keys(info.group, info.resource, namespace)
    token = query.get("continue", "")
    if token:
        revision, after_ns, after_name = decode_continue(token)
        if revision < store.compacted:
            raise errors.expired(
                "The provided continue parameter is too old to display a consistent list result. You can "
                "start a new list without the continue parameter, or use the continue token in this "
                "response to retrieve the remainder of the results. Continuing with the provided token "
                "results in an inconsistent list - objects that were created, modified, or deleted "
                "between the time the first chunk was returned and now may show up in the list."
            )
        keys = [k for k in keys if (k.namespace, k.name) > (after_ns, after_name)]
    try:
        limit = int(query.get("limit", "0") or 0)
    except ValueError as err:
        raise errors.bad_request(f"invalid limit: {query.get('limit')}") from err
    selected: list[Obj] = []
    list_meta: Obj = {"resourceVersion": str(revision)}
    for i, key in enumerate(keys):
        obj = store.get(key)
        if obj is None or not matches(obj):
            continue
        selected.append(obj)
        if limit > 0 and len(selected) == limit:
            rest = [k for k in keys[i + 1 :] if matches(store.get(k))]
            if rest:
                list_meta["continue"] = encode_continue(revision, key.namespace, key.name)
                list_meta["remainingItemCount"] = len(rest)
            break
    rendered = render_list(
        info, selected, list_meta, output, ctx.table, query.get("includeObject", "Metadata")
    )
    return respond(rendered, output)


# Writes.


def _schema_warnings(req: strategy.Request) -> list[str]:
    return req.warnings


async def create(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    if ri.name:
        raise errors.method_not_allowed(info.group, info.resource, "create")
    req = write_request(ri, info, request)
    body = negotiation.decode_object(request.content_type, await read_body(request))
    if info.namespaced and not req.namespace:
        raise errors.not_found(info.group, info.resource, "")
    hooks = ctx.hooks(info)
    async with ctx.store.transaction() as txn:
        _require_namespace(ctx, info, req.namespace, creating=True)
        obj = strategy.prepare_create(req, body, hooks)
        name = obj["metadata"]["name"]
        key = object_key(info, req.namespace, name)
        if txn.get(key) is not None:
            raise errors.already_exists(info.group, info.resource, name)
        committed = txn.put(key, obj)
        if committed.event is not None:
            ctx.run_after_commit(txn, committed.event)
    assert committed.object is not None
    return respond(
        render_object(info, committed.object, output, ctx.table), output, 201, _schema_warnings(req)
    )


async def update(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    req = write_request(ri, info, request)
    body = negotiation.decode_object(request.content_type, await read_body(request))
    return await _write_update(ctx, req, info, output, lambda old: body)


async def _write_update(
    ctx: ApiContext,
    req: strategy.Request,
    info: ResourceInfo,
    output: Output,
    new_body: Callable[[Obj], Any],
) -> web.Response:
    hooks = ctx.hooks(info)
    key = object_key(info, req.namespace, req.name)

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            raise errors.not_found(info.group, info.resource, req.name)
        return strategy.prepare_update(req, old, new_body(copy.deepcopy(old)), hooks)

    committed = await ctx.write(key, mutate)
    assert committed.object is not None
    return respond(render_object(info, committed.object, output, ctx.table), output, 200, req.warnings)


async def patch_(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    req = write_request(ri, info, request)
    mt = negotiation.media_type(request.content_type)
    accepted = [negotiation.JSON_PATCH, negotiation.MERGE_PATCH, negotiation.APPLY_PATCH]
    if info.builtin:
        accepted.insert(2, negotiation.STRATEGIC_PATCH)
    if mt not in accepted or mt == negotiation.APPLY_PATCH:
        raise errors.unsupported_media_type(mt, accepted)
    document = negotiation.decode_document(mt, await read_body(request))

    def patched(old: Obj) -> Any:
        old_rv = old.get("metadata", {}).get("resourceVersion")
        if mt == negotiation.JSON_PATCH:
            if not isinstance(document, list):
                raise errors.bad_request(
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
                )
            result = patch.apply_json_patch(old, document)
        else:
            # Strategic merge patch degrades to a JSON merge patch until strategic.py plugs in (issue 3).
            if not isinstance(document, dict):
                raise errors.bad_request("the patch must be a JSON object")
            result = patch.apply_merge_patch(old, document)
        if isinstance(result, dict):
            meta = result.setdefault("metadata", {})
            if isinstance(meta, dict) and not meta.get("resourceVersion"):
                # A patch is unconditional unless it names a resourceVersion itself.
                meta["resourceVersion"] = old_rv
        return result

    return await _write_update(ctx, req, info, output, patched)


async def delete(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    req = write_request(ri, info, request)
    options = await _delete_options(request)
    key = object_key(info, req.namespace, req.name)

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            raise errors.not_found(info.group, info.resource, req.name)
        return strategy.prepare_delete(req, old, options)

    committed = await ctx.write(key, mutate)
    assert committed.object is not None
    if committed.event is not None and committed.event.type == "DELETED" and info.builtin:
        return respond(strategy.success_status(req, committed.object), output)
    return respond(render_object(info, committed.object, output, ctx.table), output)


def _deleter(req: strategy.Request, options: Obj) -> Callable[[Obj | None], Obj | None]:
    def mutate(old: Obj | None) -> Obj | None:
        return None if old is None else strategy.prepare_delete(req, old, options)

    return mutate


async def _delete_options(request: web.Request) -> Obj:
    body = await read_body(request)
    options: Obj = {}
    if body.strip():
        decoded = negotiation.decode_object(request.content_type, body)
        if not isinstance(decoded, dict):
            raise errors.bad_request("DeleteOptions must be an object")
        options = decoded
    for field in ("propagationPolicy", "gracePeriodSeconds"):
        if field in request.query:
            options[field] = request.query[field]
    return options


async def deletecollection(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    options = await _delete_options(request)
    labels, fields = parse_selectors(info, request.query)
    matches = selection(labels, fields)
    namespace = ri.namespace if info.namespaced and ri.namespace else None
    deleted: list[Obj] = []
    async with ctx.store.transaction() as txn:
        for obj in txn.list(info.group, info.resource, namespace):
            if not matches(obj):
                continue
            meta = obj["metadata"]
            req = strategy.Request(info=info, namespace=meta.get("namespace", ""), name=meta["name"])
            committed = ctx.write_in(txn, object_key(info, req.namespace, req.name), _deleter(req, options))
            if committed.object is not None:
                deleted.append(committed.object)
    return respond(
        render_list(info, deleted, {"resourceVersion": str(ctx.store.revision)}, output, ctx.table), output
    )
