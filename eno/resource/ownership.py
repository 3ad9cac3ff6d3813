"""`pathManagedByEno`: does field manager `eno` own exactly the field an override path names (spec §6.5)?

The override path becomes a managed-fields path (`f:<field>`, `i:<index>`, `k:{"<key>":"<value>"}`) and is
looked up in the FieldsV1 sets of every managedFields entry whose manager is `eno` (any operation). Only an
exact member counts: a parent of owned leaves is not owned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eno.api.v1.constants import FIELD_MANAGER
from eno.resource.fieldsv1 import FieldPath, canonical_element, parse_fields_v1
from eno.resource.overridepath import Index, Key, Matcher, PathExpr


def path_managed_by_eno(path: PathExpr, current: Mapping[str, Any] | None) -> bool:
    """False when `current` is absent; else whether an `eno` managedFields entry owns exactly `path`."""
    if current is None or not path.segments:
        return False
    field = managed_fields_path(path)
    if field is None:
        return False  # `[*]` names no single element, so it matches no owned path
    metadata = current.get("metadata")
    entries = metadata.get("managedFields") if isinstance(metadata, Mapping) else None
    if not isinstance(entries, list | tuple):  # tuples: objects frozen by the runtime cache
        return False
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("manager") != FIELD_MANAGER:
            continue
        fields = parse_fields_v1(entry.get("fieldsV1"))
        if fields is not None and field in fields:
            return True
    return False


def managed_fields_path(path: PathExpr) -> FieldPath | None:
    """The managed-fields path of an override path (`f:<key>`, `i:<n>`, `k:{...}`); None for `[*]`."""
    elements: list[str] = []
    for segment in path.segments:
        if isinstance(segment, Key):
            elements.append("f:" + segment.name)
        elif isinstance(segment, Index):
            elements.append(f"i:{segment.index}")
        elif isinstance(segment, Matcher):
            elements.append(canonical_element("k:" + json.dumps({segment.key: segment.value})))
        else:
            return None
    return tuple(elements)
