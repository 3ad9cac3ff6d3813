"""Built-in kinds on every write: kube-apiserver's defaulting and canonical quantities (defaults.py)."""

from __future__ import annotations

from typing import Any

from eno.apiserver import defaults
from eno.apiserver.context import ApiContext
from eno.apiserver.strategy import Request

Obj = dict[str, Any]


def apply_defaults(req: Request, old: Obj | None, obj: Obj) -> Obj:
    return defaults.default_object(req.info.group, req.info.kind, obj)


def install(ctx: ApiContext) -> None:
    ctx.builtin_hooks.append(apply_defaults)
