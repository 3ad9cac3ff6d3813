"""Custom resources' structural schema on every write: unknown-field policy, pruning, defaults, validation.

Order as apiextensions-apiserver: report unknown fields (fieldValidation), prune, default, validate.
"""

from __future__ import annotations

from typing import Any

from eno.apiserver import errors, schema
from eno.apiserver.context import ApiContext
from eno.apiserver.strategy import Request

Obj = dict[str, Any]


def apply_schema(req: Request, old: Obj | None, obj: Obj) -> Obj:
    info = req.info
    structural = info.schema
    if structural is None:
        return obj
    unknown = schema.unknown_fields(obj, structural)
    if unknown and req.field_validation == "Strict":
        raise schema.strict_decoding_error(info.kind, info.version, unknown)
    if unknown and req.field_validation == "Warn":
        req.warnings.extend(schema.unknown_field_warnings(unknown))
    obj = schema.apply_defaults(schema.prune(obj, structural), structural)
    # With the stored object, values an update leaves unchanged are ratcheted: a tightened schema does not
    # lock existing objects (kube's CRD validation ratcheting).
    causes = schema.validate(obj, structural, old=old)
    if causes:
        raise errors.invalid(info.group, info.kind, str(obj.get("metadata", {}).get("name", "")), causes)
    return obj


def install(ctx: ApiContext) -> None:
    ctx.custom_hooks.append(apply_schema)
