"""`pathManagedByEno`: does field manager `eno` own exactly the field an override path names (spec §6.5)?

The override path becomes a managed-fields path (`f:<field>`, `i:<index>`, `k:{"<key>":"<value>"}`) and is
looked up in the FieldsV1 sets of every managedFields entry whose manager is `eno`. A path is a member of a
set when its node is a leaf (`{}`) or carries the `"."` self marker; a parent of owned leaves is not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eno.api.v1.constants import FIELD_MANAGER
from eno.resource.overridepath import Index, Key, Matcher, PathExpr, Wildcard


def path_managed_by_eno(path: PathExpr, current: Mapping[str, Any] | None) -> bool:
    """False when `current` is absent; else whether an `eno` managedFields entry owns exactly `path`."""
    if current is None or not path.segments:
        return False
    metadata = current.get("metadata")
    entries = metadata.get("managedFields") if isinstance(metadata, Mapping) else None
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("manager") != FIELD_MANAGER:
            continue
        fields = entry.get("fieldsV1")
        if isinstance(fields, Mapping) and _is_member(fields, path):
            return True
    return False


def _is_member(fields: Mapping[str, Any], path: PathExpr) -> bool:
    node: Any = fields
    for segment in path.segments:
        if not isinstance(node, Mapping):
            return False
        if isinstance(segment, Key):
            node = node.get("f:" + segment.name)
        elif isinstance(segment, Index):
            node = node.get(f"i:{segment.index}")
        elif isinstance(segment, Matcher):
            node = _keyed_element(node, segment)
        else:
            assert isinstance(segment, Wildcard)
            return False  # `[*]` names no single element, so it matches no owned path
        if node is None:
            return False
    return isinstance(node, Mapping) and (not node or "." in node)


def _keyed_element(node: Mapping[str, Any], matcher: Matcher) -> Any:
    # Keys are `k:<JSON object>`; compare the decoded object so spacing and key order do not matter.
    for key, child in node.items():
        if not key.startswith("k:"):
            continue
        try:
            decoded = json.loads(key[2:])
        except ValueError:
            continue
        if decoded == {matcher.key: matcher.value}:
            return child
    return None
