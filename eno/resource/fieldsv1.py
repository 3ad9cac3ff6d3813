"""Managed-fields sets (`metadata.managedFields[].fieldsV1`) as plain sets of paths.

A FieldsV1 object is a trie of path elements: `f:<field>`, `k:<JSON key object>`, `v:<JSON value>`,
`i:<index>`. A path is a member when its node is a leaf (`{}`) or carries the self marker `"."`; a node with
children but no marker only groups its members. Keyed and value elements are canonicalised (compact JSON,
sorted keys) so sets written by different clients compare equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

FieldPath = tuple[str, ...]
FieldSet = frozenset[FieldPath]
_PREFIXES = ("f:", "k:", "v:", "i:")


class _Unparseable(Exception):
    pass


def parse_fields_v1(fields: Any) -> FieldSet | None:
    """The member paths of a FieldsV1 object, or None when it is null or malformed."""
    if not isinstance(fields, Mapping):
        return None
    members: set[FieldPath] = set()
    try:
        _walk(fields, (), members)
    except (_Unparseable, RecursionError):
        return None
    return frozenset(members)


def _walk(node: Mapping[str, Any], path: FieldPath, members: set[FieldPath]) -> None:
    if path and (not node or "." in node):
        members.add(path)
    for key, child in node.items():
        if key == ".":
            continue
        if not isinstance(key, str) or not key.startswith(_PREFIXES) or not isinstance(child, Mapping):
            raise _Unparseable(key)
        _walk(child, (*path, canonical_element(key)), members)


def canonical_element(key: str) -> str:
    if key[:2] in ("k:", "v:"):
        try:
            return key[:2] + json.dumps(json.loads(key[2:]), separators=(",", ":"), sort_keys=True)
        except ValueError as err:
            raise _Unparseable(key) from err
    return key


def to_fields_v1(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """The FieldsV1 object holding exactly `paths`."""
    root: dict[str, Any] = {}
    ordered = sorted(set(paths), key=len)
    for path in ordered:
        node = root
        for element in path:
            node = node.setdefault(element, {})
    # Members that also have children need the self marker.
    for path in ordered:
        node = root
        for element in path:
            node = node[element]
        if any(key != "." for key in node):
            node["."] = {}
    return root


def field_path(*names: str) -> FieldPath:
    """`("f:spec", "f:replicas")` from `field_path("spec", "replicas")`."""
    return tuple("f:" + name for name in names)
