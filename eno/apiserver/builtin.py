"""Built-in kinds on every write: kube-apiserver's defaulting and canonical quantities (defaults.py)."""

from __future__ import annotations

from typing import Any

from eno.apiserver import defaults
from eno.apiserver.context import ApiContext
from eno.apiserver.strategy import Request

Obj = dict[str, Any]


def apply_defaults(req: Request, old: Obj | None, obj: Obj) -> Obj:
    # `obj` is already this write's own copy: kinds with nothing to default (ConfigMap, Lease, RBAC...)
    # skip default_object's defensive deep copy, which is a tenth of a small apply's time.
    if (req.info.group, req.info.kind) not in defaults._DEFAULTERS:
        return obj
    return defaults.default_object(req.info.group, req.info.kind, obj)


def install(ctx: ApiContext) -> None:
    ctx.builtin_hooks.append(apply_defaults)
