"""Namespaces on the write path: namespacelifecycle's rules as hooks (the controller runs in the server)."""

from __future__ import annotations

from typing import Any

from eno.apiserver import namespacelifecycle
from eno.apiserver.context import ApiContext
from eno.apiserver.strategy import Request, rfc3339

Obj = dict[str, Any]


def prepare(req: Request, old: Obj | None, ns: Obj) -> Obj:
    if old is None:
        ns = namespacelifecycle.prepare_create(ns)
    else:
        ns = namespacelifecycle.prepare_update(old, ns, req.subresource)
    namespacelifecycle.validate_finalizers(req.name or ns["metadata"]["name"], ns)
    return ns


def delete(req: Request, old: Obj, options: dict[str, Any]) -> Obj | None:
    return namespacelifecycle.delete(old, rfc3339(req.now), options)


def install(ctx: ApiContext) -> None:
    ctx.add_prepare_hook("", "namespaces", prepare)
    ctx.delete_hooks[("", "namespaces")] = delete
