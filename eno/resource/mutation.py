"""Setting (or removing) a value at an override path (spec reconciliation.md §6.3).

`apply_path` never mutates its input: it rebuilds only the maps and lists along the path (copy-on-write)
and shares everything else, so a failed op leaves the object exactly as it was (ops are atomic, where Eno
kept whatever an op had changed before it failed). A value of None means "remove".

Rules, walking the segments after `self`:
- key: the last key is set (or deleted when the value is None). A missing intermediate key is created as
  `{}` when the value is not None; a key that is present but null, or missing when removing, makes the op a
  no-op. Removing the last key of a non-empty map deletes the map from its parent (cascading upward).
- `[n]`: out of range is IndexOutOfRange; the last segment sets the element (None sets JSON null); otherwise
  descend unless the element is null.
- `[*]` / `[k="v"]`: every element (matching maps only, for a matcher); descend when segments remain,
  otherwise set the element. Matching nothing is a no-op.
- a list segment on a non-list, or a key segment on a non-map that is not null, is PathTypeMismatch.
- the bare path `self` changes nothing (MissingParent).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import attrs

from eno.resource.overridepath import Index, Key, Matcher, PathExpr, Segment, Wildcard, format_path

_MISSING: Any = object()


class MutationStatus(StrEnum):
    """Eno's per-op outcome names (logged as `path=Status`)."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    INVALID_CONDITION = "InvalidCondition"
    MISSING_PARENT = "MissingParent"
    INDEX_OUT_OF_RANGE = "IndexOutOfRange"
    PATH_TYPE_MISMATCH = "PathTypeMismatch"
    INVALID_VALUE_EXPRESSION = "InvalidValueExpression"


@attrs.frozen
class MutationResult:
    obj: Any  # the mutated object, or the input itself when nothing changed or the op failed
    status: MutationStatus
    error: str | None = None  # why the path could not be applied (status IndexOutOfRange/PathTypeMismatch)


class _PathError(Exception):
    def __init__(self, status: MutationStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def apply_path(obj: Any, path: PathExpr, value: Any) -> MutationResult:
    """Set `value` at `path` in `obj` (None removes). Never raises; never mutates `obj`."""
    if not path.segments:
        return MutationResult(obj, MutationStatus.MISSING_PARENT, "the path `self` names no field to set")
    try:
        return MutationResult(_apply(obj, path.segments, 0, value), MutationStatus.ACTIVE)
    except _PathError as err:
        return MutationResult(obj, err.status, err.message)
    except RecursionError:
        return MutationResult(obj, MutationStatus.PATH_TYPE_MISMATCH, "path nested too deeply")


def _describe(segments: tuple[Segment, ...], upto: int) -> str:
    return format_path(PathExpr(segments[: upto + 1]))


def _apply(node: Any, segments: tuple[Segment, ...], i: int, value: Any) -> Any:
    segment = segments[i]
    last = i == len(segments) - 1
    if isinstance(segment, Key):
        return _apply_key(node, segment.name, segments, i, value, last)
    if not isinstance(node, list | tuple):  # tuples: objects frozen by the runtime cache
        raise _PathError(
            MutationStatus.PATH_TYPE_MISMATCH,
            f"{_describe(segments, i)}: expected a list, found {_type_name(node)}",
        )
    if isinstance(segment, Index):
        if segment.index >= len(node):
            raise _PathError(
                MutationStatus.INDEX_OUT_OF_RANGE,
                f"{_describe(segments, i)}: index {segment.index} out of range (length {len(node)})",
            )
        element = node[segment.index]
        if last:
            new_element = value
        elif element is None:
            return node
        else:
            new_element = _apply(element, segments, i + 1, value)
        return _replaced(node, {segment.index: new_element})
    changes: dict[int, Any] = {}
    for index, element in enumerate(node):
        if isinstance(segment, Matcher) and not (
            isinstance(element, dict)
            and isinstance(element.get(segment.key), str)
            and element[segment.key] == segment.value
        ):
            continue
        if last:
            changes[index] = value
        elif element is not None:
            changes[index] = _apply(element, segments, i + 1, value)
    return _replaced(node, changes)


def _apply_key(node: Any, key: str, segments: tuple[Segment, ...], i: int, value: Any, last: bool) -> Any:
    if not isinstance(node, dict):
        raise _PathError(
            MutationStatus.PATH_TYPE_MISMATCH,
            f"{_describe(segments, i)}: expected a map, found {_type_name(node)}",
        )
    if last:
        if value is None:
            if key not in node:
                return node
            new = dict(node)
            del new[key]
            return new
        new = dict(node)
        new[key] = value
        return new
    child = node.get(key, _MISSING)
    if child is None or (child is _MISSING and value is None):
        return node
    if child is _MISSING:
        child = {}
    new_child = _apply(child, segments, i + 1, value)
    if new_child is child and key in node:
        return node
    new = dict(node)
    if value is None and isinstance(child, dict) and child and not new_child:
        del new[key]  # the removal emptied this map: remove it too
    else:
        new[key] = new_child
    return new


def _replaced(items: list[Any] | tuple[Any, ...], changes: dict[int, Any]) -> list[Any] | tuple[Any, ...]:
    if all(items[index] is new for index, new in changes.items()):
        return items
    new_items = list(items)
    for index, new in changes.items():
        new_items[index] = new
    return new_items


def _type_name(node: Any) -> str:
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "a boolean"
    if isinstance(node, dict):
        return "a map"
    if isinstance(node, list | tuple):
        return "a list"
    if isinstance(node, str):
        return "a string"
    return "a number"


def read_path(obj: Any, path: PathExpr) -> list[Any]:
    """Every value `path` names in `obj`, in document order (several for wildcards and matchers)."""
    try:
        return list(_read(obj, path.segments, 0))
    except RecursionError:
        return []


def _read(node: Any, segments: tuple[Segment, ...], i: int) -> Iterator[Any]:
    if i == len(segments):
        yield node
        return
    segment = segments[i]
    if isinstance(segment, Key):
        if isinstance(node, dict) and segment.name in node:
            yield from _read(node[segment.name], segments, i + 1)
        return
    if not isinstance(node, list | tuple):
        return
    if isinstance(segment, Index):
        if segment.index < len(node):
            yield from _read(node[segment.index], segments, i + 1)
        return
    for element in node:
        if isinstance(segment, Wildcard) or (
            isinstance(element, dict)
            and isinstance(element.get(segment.key), str)
            and element[segment.key] == segment.value
        ):
            yield from _read(element, segments, i + 1)
