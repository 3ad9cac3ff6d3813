"""HTTP handlers for get, list, create, update, patch, delete and deletecollection."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web

from eno.apiserver import (
    deletion,
    errors,
    managed,
    negotiation,
    patch,
    selectors,
    ssa,
    strategic,
    strategy,
    typed,
    validation,
)
from eno.apiserver.context import ApiContext
from eno.apiserver.negotiation import Output
from eno.apiserver.output import render_list, render_object
from eno.apiserver.registry import ResourceInfo
from eno.apiserver.requestinfo import RequestInfo
from eno.apiserver.store import Key, copy_object

Obj = dict[str, Any]


# Kinds whose PUT creates a missing object (kube's AllowCreateOnUpdate): leases and events.
CREATE_ON_UPDATE = {("coordination.k8s.io", "leases"), ("", "events"), ("events.k8s.io", "events")}


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


def write_request(
    ri: RequestInfo,
    info: ResourceInfo,
    request: web.Request,
    options_kind: str,
    patch_type: str | None = None,
) -> strategy.Request:
    """The write's parameters, checked as kube validates Create/Update/PatchOptions."""
    query = request.query
    field_manager = query.get("fieldManager", "")
    field_validation = query.get("fieldValidation", "")
    dry_run = query.getall("dryRun", [])
    force_text = query.get("force")
    force = None if force_text is None else force_text.lower() in ("true", "1")
    validation.validate_write_options(
        options_kind,
        field_manager=field_manager,
        dry_run=dry_run,
        field_validation=field_validation,
        patch_type=patch_type,
        force=force,
    )
    return strategy.Request(
        info=info,
        namespace=namespace_of(ri, info),
        name=ri.name,
        subresource=ri.subresource,
        field_validation=field_validation or "Warn",
        manager=managed.manager_name(field_manager, request.headers.get("User-Agent", "")),
        force=bool(force),
        dry_run=bool(dry_run),
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
    selectors.check_field_labels(
        fields,
        info.group,
        info.resource,
        builtin=info.builtin,
        namespaced=info.namespaced,
        selectable=info.selectable_fields,
    )
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


def check_typed(info: ResourceInfo, body: Any) -> None:
    """Built-in kinds decode into Go structs: a field of the wrong JSON type is kube's 400 decode error."""
    if info.builtin and isinstance(body, dict):
        problem = typed.find_problem(info.group, info.version, info.kind, body)
        if problem is not None:
            raise typed.decode_error(info.kind, info.version, problem)


async def create(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    if ri.name:
        raise errors.method_not_allowed(info.group, info.resource, "create")
    req = write_request(ri, info, request, "CreateOptions")
    body = negotiation.decode_object(request.content_type, await read_body(request))
    check_typed(info, body)
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
        if req.dry_run:
            stored: Obj = obj
        else:
            committed = txn.put(key, obj)
            if committed.event is not None:
                ctx.run_after_commit(txn, committed.event)
            assert committed.object is not None
            stored = committed.object
    return respond(render_object(info, stored, output, ctx.table), output, 201, req.warnings)


async def update(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    req = write_request(ri, info, request, "UpdateOptions")
    body = negotiation.decode_object(request.content_type, await read_body(request))
    check_typed(info, body)
    hooks = ctx.hooks(info)

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            if (info.group, info.resource) not in CREATE_ON_UPDATE or req.subresource:
                raise errors.not_found(info.group, info.resource, req.name)
            _require_namespace(ctx, info, req.namespace, creating=True)
            new = copy_object(body)
            if isinstance(new, dict) and isinstance(new.get("metadata"), dict):
                if new["metadata"].get("name", req.name) != req.name:
                    raise errors.bad_request(
                        f"the name of the object ({new['metadata']['name']}) does not match the name on the "
                        f"URL ({req.name})"
                    )
                new["metadata"]["name"] = req.name
            return strategy.prepare_create(req, new, hooks)
        return strategy.prepare_update(req, old, copy_object(body), hooks)

    return await _write(ctx, req, info, output, mutate, created_status=201)


async def _write(
    ctx: ApiContext,
    req: strategy.Request,
    info: ResourceInfo,
    output: Output,
    mutate: Callable[[Obj | None], Obj | None],
    created_status: int = 200,
) -> web.Response:
    """Run one key's mutation atomically (or only compute it, for dryRun) and answer with the result."""
    key = object_key(info, req.namespace, req.name)
    async with ctx.store.transaction() as txn:
        existed = txn.get(key) is not None
        if req.dry_run:
            current = txn.get(key)
            result = mutate(copy_object(current) if current is not None else None)
            stored = result if result is not None else current
        else:
            committed = ctx.write_in(txn, key, mutate)
            stored = committed.object
    assert stored is not None
    status = 200 if existed else created_status
    return respond(render_object(info, stored, output, ctx.table), output, status, req.warnings)


def _patch_type(info: ResourceInfo, content_type: str) -> str:
    mt = negotiation.media_type(content_type)
    accepted = [negotiation.JSON_PATCH, negotiation.MERGE_PATCH, negotiation.APPLY_PATCH]
    if info.builtin:
        accepted.insert(2, negotiation.STRATEGIC_PATCH)
    if mt not in accepted:
        raise errors.unsupported_media_type(mt, accepted)
    return mt


def _patched(info: ResourceInfo, mt: str, document: Any, old: Obj) -> Any:
    old_rv = old.get("metadata", {}).get("resourceVersion")
    if mt == negotiation.JSON_PATCH:
        result = patch.apply_json_patch(old, document)
    elif mt == negotiation.STRATEGIC_PATCH:
        result = strategic.apply_strategic_merge_patch(
            old, document, ssa.builtin_list_types(info.group, info.kind)
        )
    else:
        if not isinstance(document, dict):
            raise errors.bad_request("Invalid JSON Patch")
        result = patch.apply_merge_patch(old, document)
    if not isinstance(result, dict):
        raise errors.invalid(
            info.group,
            info.kind,
            str(old.get("metadata", {}).get("name", "")),
            [errors.invalid_value("patch", result, "the patch must produce an object")],
        )
    meta = result.setdefault("metadata", {})
    if isinstance(meta, dict) and not meta.get("resourceVersion"):
        # A patch is unconditional unless it names a resourceVersion itself.
        meta["resourceVersion"] = old_rv
    return result


async def patch_(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    mt = _patch_type(info, request.content_type)
    req = write_request(ri, info, request, "PatchOptions", patch_type=mt)
    document = negotiation.decode_document(mt, await read_body(request))
    hooks = ctx.hooks(info)
    if mt == negotiation.APPLY_PATCH:
        return await _apply(ctx, req, info, output, document, hooks)

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            raise errors.not_found(info.group, info.resource, req.name)
        return strategy.prepare_update(req, old, _patched(info, mt, document, old), hooks)

    return await _write(ctx, req, info, output, mutate)


async def _apply(
    ctx: ApiContext,
    req: strategy.Request,
    info: ResourceInfo,
    output: Output,
    config: Any,
    hooks: strategy.Hooks,
) -> web.Response:
    """Server-side apply: creates a missing object, merges by field ownership otherwise."""
    if not isinstance(config, dict):
        raise errors.bad_request("the applied configuration must be an object")
    if info.builtin:
        problem = typed.find_problem(info.group, info.version, info.kind, config, typed_patch=True)
        if problem is not None:
            raise typed.typed_patch_error(info.group, info.version, info.kind, problem)
    config = strategy.check_type(req, copy_object(config))
    # managedFields come from the apply itself; the finish hook would record an Update entry on top.
    apply_hooks = attrs.evolve(hooks, finish=())
    config_rv = config["metadata"].pop("resourceVersion", None)

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            if req.subresource:
                raise errors.not_found(info.group, info.resource, req.name)
            _require_namespace(ctx, info, req.namespace, creating=True)
            created = managed.apply(
                req, None, {**config, "metadata": {**config["metadata"], "name": req.name}}
            )
            return strategy.prepare_create(req, created, apply_hooks)
        if config_rv and str(config_rv) != old["metadata"].get("resourceVersion"):
            raise errors.conflict(info.group, info.resource, req.name)
        merged = managed.apply(req, old, config)
        merged["metadata"]["resourceVersion"] = old["metadata"].get("resourceVersion")
        return strategy.prepare_update(req, old, merged, apply_hooks)

    return await _write(ctx, req, info, output, mutate, created_status=201)


async def delete(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    req = write_request(ri, info, request, "DeleteOptions")
    options = await _delete_options(request)
    if options.get("dryRun"):
        req.dry_run = True
    key = object_key(info, req.namespace, req.name)

    def mutate(old: Obj | None) -> Obj | None:
        if old is None:
            raise errors.not_found(info.group, info.resource, req.name)
        return ctx.delete(req, old, options)

    async with ctx.store.transaction() as txn:
        current = txn.get(key)
        if req.dry_run:
            result = mutate(copy_object(current) if current is not None else None)
            gone = result is None
            shown = result if result is not None else current
        else:
            committed = ctx.write_in(txn, key, mutate)
            gone = committed.event is not None and committed.event.type == "DELETED"
            shown = committed.object
    assert shown is not None
    if gone and info.builtin:
        return respond(strategy.success_status(req, shown), output)
    return respond(render_object(info, shown, output, ctx.table), output)


def _deleter(ctx: ApiContext, req: strategy.Request, options: Obj) -> Callable[[Obj | None], Obj | None]:
    def mutate(old: Obj | None) -> Obj | None:
        return None if old is None else ctx.delete(req, old, options)

    return mutate


async def _delete_options(request: web.Request) -> Obj:
    body = await read_body(request)
    options: Obj = {}
    if body.strip():
        decoded = negotiation.decode_object(request.content_type, body)
        if not isinstance(decoded, dict):
            raise errors.bad_request("DeleteOptions must be an object")
        options = decoded
    for field in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents"):
        if field in request.query:
            options[field] = request.query[field]
    deletion.validate_delete_options(options)
    return options


async def deletecollection(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.Response:
    dry_run = write_request(ri, info, request, "DeleteOptions").dry_run
    options = await _delete_options(request)
    dry_run = dry_run or bool(options.get("dryRun"))
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
            if dry_run:
                result = ctx.delete(req, copy_object(obj), options)
                deleted.append(result if result is not None else obj)
                continue
            committed = ctx.write_in(
                txn, object_key(info, req.namespace, req.name), _deleter(ctx, req, options)
            )
            if committed.object is not None:
                deleted.append(committed.object)
    return respond(
        render_list(info, deleted, {"resourceVersion": str(ctx.store.revision)}, output, ctx.table), output
    )
