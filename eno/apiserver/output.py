"""Response forms for objects and lists: the object itself, PartialObjectMetadata, or a meta.k8s.io Table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eno.apiserver.negotiation import Output
from eno.apiserver.registry import ResourceInfo

Obj = dict[str, Any]
# Renders objects as a Table: (info, objects, include_object, with column definitions) -> Table dict.
TableRenderer = Callable[[ResourceInfo, Sequence[Obj], str, bool], Obj]


def as_version(info: ResourceInfo, obj: Obj) -> Obj:
    """The stored object as seen through this endpoint's version (conversion strategy None)."""
    if obj.get("apiVersion") == info.api_version:
        return obj
    return {**obj, "apiVersion": info.api_version}


def partial_metadata(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def render_object(
    info: ResourceInfo,
    obj: Obj,
    output: Output,
    table: TableRenderer,
    include_object: str = "Metadata",
    column_definitions: bool = True,
) -> Obj:
    if output.form == "metadata":
        return partial_metadata(obj)
    if output.form == "table":
        return table(info, [as_version(info, obj)], include_object, column_definitions)
    return as_version(info, obj)


def render_list(
    info: ResourceInfo,
    objs: Sequence[Obj],
    list_meta: Obj,
    output: Output,
    table: TableRenderer,
    include_object: str = "Metadata",
) -> Obj:
    if output.form == "metadata":
        return {
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": list_meta,
            "items": [partial_metadata(o) for o in objs],
        }
    if output.form == "table":
        rendered = table(info, [as_version(info, o) for o in objs], include_object, True)
        rendered["metadata"] = {**rendered.get("metadata", {}), **list_meta}
        return rendered
    return {
        "kind": info.list_kind_name,
        "apiVersion": info.api_version,
        "metadata": list_meta,
        "items": [as_version(info, o) for o in objs],
    }


def basic_table(info: ResourceInfo, objs: Sequence[Obj], include_object: str, definitions: bool) -> Obj:
    """A Name/Age table, used until a richer renderer is plugged in."""
    now = datetime.now(UTC)
    rows = []
    for obj in objs:
        meta = obj.get("metadata", {})
        row: Obj = {"cells": [meta.get("name", ""), _age(meta.get("creationTimestamp"), now)]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object == "Metadata":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    columns = [
        {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "description": "", "priority": 0},
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns if definitions else [],
        "rows": rows,
    }


def _age(ts: Any, now: datetime) -> str:
    if not isinstance(ts, str):
        return "<unknown>"
    try:
        then = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    return f"{max(0, int((now - then).total_seconds()))}s"
