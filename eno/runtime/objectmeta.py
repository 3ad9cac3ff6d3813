"""Read-only accessors for the metadata of a Kubernetes object given as a JSON mapping."""

from collections.abc import Mapping, Sequence
from typing import Any

Object = Mapping[str, Any]

_EMPTY: Mapping[str, Any] = {}


def metadata(obj: Object) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else _EMPTY


def name(obj: Object) -> str:
    return str(metadata(obj).get("name") or "")


def namespace(obj: Object) -> str:
    return str(metadata(obj).get("namespace") or "")


def labels(obj: Object) -> Mapping[str, str]:
    return metadata(obj).get("labels") or _EMPTY


def annotations(obj: Object) -> Mapping[str, str]:
    return metadata(obj).get("annotations") or _EMPTY


def generation(obj: Object) -> int | None:
    value = metadata(obj).get("generation")
    return int(value) if value is not None else None


def resource_version(obj: Object) -> str:
    return str(metadata(obj).get("resourceVersion") or "")


def owner_references(obj: Object) -> Sequence[Mapping[str, Any]]:
    return metadata(obj).get("ownerReferences") or ()


def api_group(api_version: str) -> str:
    """ "apps/v1" -> "apps"; "v1" -> "" (the core group)."""
    return api_version.rpartition("/")[0]
