"""Response forms for objects and lists: the object itself, PartialObjectMetadata, or a meta.k8s.io Table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
