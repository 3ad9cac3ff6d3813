"""Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds.

As kube's strategicpatch applies a patch on the server (MergeParallelList, IgnoreUnmatchedNulls):
maps merge recursively and `null` deletes; lists whose field has a merge key merge item by item on that
key (the first key of the field's SSA list-map keys, which is kube's patchMergeKey for every list this
server knows); lists of primitives with a merge strategy (finalizers) are unions; other lists are replaced.
Directives: `$patch: replace|delete` in a map, `$patch: delete|replace` as a list item,
`$deleteFromPrimitiveList/<field>`, `$retainKeys`; `$setElementOrder/<field>` is accepted and ignored
(merged lists keep the live order, new items last). Inputs are never mutated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from eno.apiserver import errors
from eno.apiserver.ssa.fieldpath import Path
from eno.apiserver.ssa.listtypes import ListTypeResolver

__all__ = ["apply_strategic_merge_patch"]

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM = "$deleteFromPrimitiveList/"
_SET_ORDER = "$setElementOrder/"


def apply_strategic_merge_patch(
    obj: Mapping[str, Any], patch: Any, list_types: ListTypeResolver
) -> dict[str, Any]:
    """`obj` with `patch` applied; raises ApiError 400 for malformed patches (500 where kube does)."""
    if not isinstance(patch, Mapping):
        raise errors.bad_request("strategic merge patch must be a JSON object")
    result = _merge_map(copy.deepcopy(dict(obj)), copy.deepcopy(dict(patch)), (), list_types)
    return result


def _merge_map(
    original: dict[str, Any], patch: dict[str, Any], path: Path, resolver: ListTypeResolver
) -> dict[str, Any]:
    if _DIRECTIVE in patch:
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            replaced: dict[str, Any] = _clean(patch)
            return replaced
        if directive == "delete":
            return {}
        raise errors.bad_request(f"Unknown patch type: {directive} in map: {patch}")
    _retain_keys(original, patch)
    for key, value in patch.items():
        if key.startswith(_SET_ORDER):
            continue
        if key.startswith(_DELETE_FROM):
            field = key[len(_DELETE_FROM) :]
            if not isinstance(value, list):
                raise errors.bad_request("invalid patch: $deleteFromPrimitiveList value must be a list")
            if isinstance(original.get(field), list):
                original[field] = [v for v in original[field] if v not in value]
            continue
        if value is None:
            original.pop(key, None)
            continue
        child = (*path, ("f", key))
        current = original.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            original[key] = _merge_map(current, value, child, resolver)
        elif isinstance(value, list) and isinstance(current, list):
            original[key] = _merge_list(current, value, child, resolver)
        elif isinstance(value, dict):
            original[key] = _merge_map({}, value, child, resolver)
        elif isinstance(value, list):
            original[key] = _merge_list([], value, child, resolver)
        else:
            original[key] = value
    return original


def _retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise errors.bad_request("invalid patch: $retainKeys must be a list")
    allowed = set(retain)
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM, _SET_ORDER)):
            continue
        if key not in allowed:
            raise errors.bad_request(
                "doesn't match the format of the patch: the patch has fields that are not in $retainKeys"
            )
    for key in list(original):
        if key not in allowed:
            del original[key]


def _merge_list(original: list[Any], patch: list[Any], path: Path, resolver: ListTypeResolver) -> list[Any]:
    rule = resolver(path)
    if rule is None or rule.kind not in ("map", "set"):
        return [_clean(v) for v in patch]
    if rule.kind == "set" or not rule.keys:
        merged = list(original)
        for value in patch:
            if value not in merged:
                merged.append(value)
        return merged
    key = rule.keys[0]
    items: list[Any] = []
    replace = False
    for item in patch:
        if not isinstance(item, dict):
            raise errors.bad_request(f"invalid patch: list items of a merge list must be objects: {item!r}")
        directive = item.get(_DIRECTIVE)
        if directive is None:
            items.append(item)
        elif directive == "delete":
            if key not in item:
                raise errors.ApiError(500, "", f"map: {item} does not contain declared merge key: {key}")
            original = [o for o in original if not (isinstance(o, dict) and o.get(key) == item[key])]
        elif directive == "replace":
            replace = True
        else:
            raise errors.bad_request(f"Unknown patch type: {directive} in map: {item}")
    if replace:
        return [_clean(v) for v in items]
    merged = list(original)
    for index, item in enumerate(items):
        if key not in item:
            raise errors.ApiError(500, "", f"map: {item} does not contain declared merge key: {key}")
        item_path = (*path, ("i", index))
        for position, existing in enumerate(merged):
            if isinstance(existing, dict) and existing.get(key) == item[key]:
                merged[position] = _merge_map(existing, item, item_path, resolver)
                break
        else:
            merged.append(_merge_map({}, item, item_path, resolver))
    return merged


def _clean(value: Any) -> Any:
    """A patch value taken whole: nulls and directives dropped, as kube discards unmatched nulls."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and not k.startswith("$")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
