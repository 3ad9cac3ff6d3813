"""How lists and maps merge: atomic, or granular (list of type map by keys, list of type set by value).

A resolver maps the path of a list or map node to its `ListType`, or None for the default (lists atomic,
maps granular), as structured-merge-diff does for kinds without schema information. Two resolvers exist:
one for built-in kinds from their known merge keys, one from a CRD's openAPIV3Schema
(`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from eno.apiserver.ssa.fieldpath import Path

__all__ = [
    "ATOMIC",
    "SET",
    "ListType",
    "ListTypeResolver",
    "builtin_list_types",
    "list_map",
    "no_list_types",
    "schema_list_types",
]


@attrs.frozen
class ListType:
    """`kind` is "atomic", "map" or "set" for lists; for maps "atomic" makes the map one leaf."""

    kind: str
    keys: tuple[str, ...] = ()
    # Values for key fields an item may omit (kube's schema defaults, e.g. a port's protocol TCP).
    key_defaults: tuple[tuple[str, Any], ...] = ()

    def default_for(self, key: str) -> tuple[bool, Any]:
        for name, value in self.key_defaults:
            if name == key:
                return True, value
        return False, None


ListTypeResolver = Callable[[Path], "ListType | None"]

ATOMIC = ListType("atomic")
SET = ListType("set")


def list_map(*keys: str, **defaults: Any) -> ListType:
    return ListType("map", tuple(keys), tuple(sorted(defaults.items())))


def no_list_types(path: Path) -> ListType | None:
    """Every list atomic, every map granular (unstructured objects without a schema)."""
    return None


# -- built-in kinds ---------------------------------------------------------------------------------

_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
_BY_NAME = list_map("name")

# Lists of a container, by field name.
_CONTAINER_FIELDS: dict[str, ListType] = {
    "ports": list_map("containerPort", "protocol", protocol="TCP"),
    "env": _BY_NAME,
    "volumeMounts": list_map("mountPath"),
    "volumeDevices": list_map("devicePath"),
    "resizePolicy": ATOMIC,
}
# Lists of a pod spec (or anything else), by field name.
_ANYWHERE: dict[str, ListType] = {
    "imagePullSecrets": _BY_NAME,
    "hostAliases": list_map("ip"),
    "topologySpreadConstraints": list_map("topologyKey", "whenUnsatisfiable"),
    "schedulingGates": _BY_NAME,
    "resourceClaims": _BY_NAME,
}
_METADATA: dict[str, ListType] = {
    "ownerReferences": list_map("uid"),
    "finalizers": SET,
}
# Maps kube declares atomic (LabelSelector is `structType=atomic`, Service's selector `mapType=atomic`).
_ATOMIC_MAPS = frozenset({"labelSelector", "namespaceSelector"})


def _metadata_rule(names: tuple[str, ...]) -> ListType | None:
    if len(names) >= 2 and names[-2] == "metadata":
        return _METADATA.get(names[-1])
    return None


def builtin_list_types(group: str, kind: str) -> ListTypeResolver:
    """The merge keys kube's built-in types declare, for the kinds this server serves."""
    service_ports = group == "" and kind == "Service"

    def resolve(path: Path) -> ListType | None:
        names = tuple(payload for k, payload in path if k == "f")
        if not names:
            return None
        last = names[-1]
        parent = names[-2] if len(names) >= 2 else ""
        rule = _metadata_rule(names)
        if rule is not None:
            return rule
        if last in _CONTAINER_LISTS and parent == "spec":
            return _BY_NAME
        if parent in _CONTAINER_LISTS and last in _CONTAINER_FIELDS:
            return _CONTAINER_FIELDS[last]
        if last == "volumes" and parent == "spec":
            return _BY_NAME
        if last in _ANYWHERE:
            return _ANYWHERE[last]
        if last == "conditions" and "status" in names:
            return list_map("type")
        if service_ports and names == ("spec", "ports"):
            return list_map("port", "protocol", protocol="TCP")
        if (last == "selector" and parent == "spec") or last in _ATOMIC_MAPS:
            return ATOMIC
        return None

    return resolve


# -- CRD schemas ------------------------------------------------------------------------------------


def _schema_rule(node: Mapping[str, Any]) -> ListType | None:
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "map":
        keys = tuple(node.get("x-kubernetes-list-map-keys") or ())
        props = (node.get("items") or {}).get("properties") or {}
        defaults = tuple(
            sorted(
                (k, props[k]["default"])
                for k in keys
                if isinstance(props.get(k), dict) and "default" in props[k]
            )
        )
        return ListType("map", keys, defaults)
    if list_type == "set":
        return SET
    if list_type == "atomic" or node.get("x-kubernetes-map-type") == "atomic":
        return ATOMIC
    return None


def _child_schema(node: Mapping[str, Any], kind: str, name: Any) -> Mapping[str, Any] | None:
    if kind == "f":
        props = node.get("properties")
        if isinstance(props, Mapping) and name in props:
            child = props[name]
            return child if isinstance(child, Mapping) else None
        extra = node.get("additionalProperties")
        return extra if isinstance(extra, Mapping) else None
    items = node.get("items")
    return items if isinstance(items, Mapping) else None


def schema_list_types(schema: Mapping[str, Any] | None) -> ListTypeResolver:
    """A resolver from a CRD version's openAPIV3Schema; object metadata follows ObjectMeta's keys."""
    cache: dict[Path, ListType | None] = {}

    def resolve(path: Path) -> ListType | None:
        if path and path[0] == ("f", "metadata"):
            return _metadata_rule(tuple(p for k, p in path if k == "f"))
        if path in cache:
            return cache[path]
        node: Mapping[str, Any] | None = schema
        for kind, payload in path:
            if node is None:
                break
            node = _child_schema(node, kind, payload)
        rule = _schema_rule(node) if node is not None else None
        cache[path] = rule
        return rule

    return resolve
