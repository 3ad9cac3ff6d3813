"""managedFields on every write: Update entries for create/update/patch, server-side apply for apply patches.

The field-set logic is eno.apiserver.ssa (pure); this module picks the list types, the manager name and the
part of an applied configuration each endpoint may touch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eno.apiserver import ssa
from eno.apiserver.registry import ResourceInfo
from eno.apiserver.strategy import Request, rfc3339

Obj = dict[str, Any]


def list_types(info: ResourceInfo) -> ssa.ListTypeResolver:
    if info.builtin:
        return ssa.builtin_list_types(info.group, info.kind)
    return ssa.schema_list_types(info.schema)


def manager_name(field_manager: str, user_agent: str) -> str:
    """fieldManager, else the User-Agent's program name (`kubectl/v1.30 (linux/amd64) ...` -> kubectl)."""
    if field_manager:
        return field_manager
    return user_agent.split("/", 1)[0].strip()[:128]


def _canonical_time(value: Any) -> Any:
    """metav1.Time as kube writes it back (`...Z`, seconds), whatever offset form a client sent."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return rfc3339(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _canonical_entries(new: Obj) -> None:
    entries = new.get("metadata", {}).get("managedFields")
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and "time" in entry:
                entry["time"] = _canonical_time(entry["time"])


def record(req: Request, old: Obj | None, new: Obj) -> Obj:
    """The Update entry of a non-apply write by the request's manager."""
    _canonical_entries(new)
    if not req.manager:
        return new
    return ssa.record_update(
        old,
        new,
        req.manager,
        list_types=list_types(req.info),
        api_version=req.info.api_version,
        now=rfc3339(req.now),
        subresource=req.subresource or None,
    )


def restrict(req: Request, config: Obj) -> Obj:
    """What an applied configuration may set at this endpoint: status only at /status; no status at the
    main endpoint of a kind with a status subresource."""
    if req.subresource == "status":
        meta = config.get("metadata") or {}
        kept_meta = {k: meta[k] for k in ("name", "namespace") if k in meta}
        out: Obj = {k: config[k] for k in ("apiVersion", "kind") if k in config}
        out["metadata"] = kept_meta
        if "status" in config:
            out["status"] = config["status"]
        return out
    if req.info.status_subresource:
        return {k: v for k, v in config.items() if k != "status"}
    return config


def apply(req: Request, live: Obj | None, config: Obj) -> Obj:
    return ssa.apply(
        live,
        restrict(req, config),
        req.manager,
        force=req.force,
        list_types=list_types(req.info),
        api_version=req.info.api_version,
        now=rfc3339(req.now),
        subresource=req.subresource or None,
    )
