"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902) as kube-apiserver applies them.

kube-apiserver uses evanphx/json-patch (v4), whose behaviour differs from the RFC in ways clients rely on,
and we keep those differences on purpose (Eno's scheduler depends on the first two):
- `test` of a member that is absent (or null) passes when the expected value is null;
- `replace` of an absent object member adds it;
- negative array indices count from the end;
- a root path ("") only works for `test`.
Errors follow kube's handler: a patch document that is not a list of operations is 400 BadRequest; an
operation that cannot apply is the bare 422 Invalid "the server rejected our request due to an error in our
request" (the detail is kept in `ApiError.internal_detail` for logs, as kube drops it from the body).
Inputs are never mutated.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from eno.apiserver import errors

MAX_JSON_PATCH_OPERATIONS = 10000
_INDEX_RE = re.compile(r"[+-]?[0-9]+")


# --- merge patch ---


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result: dict[str, Any] = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    # Members untouched by the patch are copied too, so the result shares nothing with the input.
    for key in result.keys() - patch.keys():
        result[key] = copy.deepcopy(result[key])
    return result


def create_merge_patch(original: Any, modified: Any) -> Any:
    """The merge patch turning `original` into `modified` (values in `modified` must not be null)."""
    if not isinstance(original, Mapping) or not isinstance(modified, Mapping):
        return copy.deepcopy(modified)
    patch: dict[str, Any] = {}
    for key in original.keys() - modified.keys():
        patch[key] = None
    for key, value in modified.items():
        if key not in original:
            patch[key] = copy.deepcopy(value)
        elif not json_equal(original[key], value):
            if isinstance(original[key], Mapping) and isinstance(value, Mapping):
                patch[key] = create_merge_patch(original[key], value)
            else:
                patch[key] = copy.deepcopy(value)
    return patch


# --- JSON patch ---


class _PatchFailed(Exception):
    pass


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as json-patch's `test` sees it: type-strict (1 != 1.0, true != 1), order-free maps."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _decode_key(key: str) -> str:
    return key.replace("~1", "/").replace("~0", "~")


def _find_container(doc: Any, path: str) -> tuple[Any, str] | None:
    """json-patch's findObject: the container holding the path's last segment, and that segment."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    node = doc
    for raw in parts[1:-1]:
        try:
            node = _get(node, _decode_key(raw))
        except _PatchFailed:
            return None
        if not isinstance(node, dict | list):
            return None
    return node, _decode_key(parts[-1])


def _array_index(array: list[Any], key: str, size: int) -> int:
    if not _INDEX_RE.fullmatch(key):
        raise _PatchFailed(f"value was not a proper array index: '{key}'")
    idx = int(key)
    if idx < 0:
        if idx < -size:
            raise _PatchFailed(f"Unable to access invalid index: {idx}: invalid index referenced")
        idx += size
    if idx >= size:
        raise _PatchFailed(f"Unable to access invalid index: {idx}: invalid index referenced")
    return idx


def _get(container: Any, key: str) -> Any:
    """The value at key; an absent object member is None (json-patch cannot tell absent from null)."""
    if isinstance(container, dict):
        return container.get(key)
    if isinstance(container, list):
        return container[_array_index(container, key, len(container))]
    raise _PatchFailed("invalid container")


def _add(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    idx = _array_index(container, key, len(container) + 1)
    container.insert(idx, value)


def _set(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value  # replacing an absent member adds it (kube's leniency)
    else:
        container[_array_index(container, key, len(container))] = value


def _remove(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise _PatchFailed(f"Unable to remove nonexistent key: {key}: missing value")
        return container.pop(key)
    return container.pop(_array_index(container, key, len(container)))


def _field(op: Mapping[str, Any], name: str, kind: str) -> str:
    value = op.get(name)
    if not isinstance(value, str):
        raise _PatchFailed(f"{kind} operation failed to decode {name}: missing value")
    return value


def _apply_op(doc: Any, op: Mapping[str, Any]) -> Any:
    kind = op.get("op")
    kind = kind if isinstance(kind, str) else "unknown"
    if kind == "add":
        path = _field(op, "path", kind)
        found = _find_container(doc, path)
        if found is None:
            raise _PatchFailed(f'add operation does not apply: doc is missing path: "{path}": missing value')
        try:
            _add(found[0], found[1], copy.deepcopy(op.get("value")))
        except _PatchFailed as exc:
            raise _PatchFailed(f"error in add for path: '{path}': {exc}") from None
    elif kind == "remove":
        path = _field(op, "path", kind)
        found = _find_container(doc, path)
        if found is None:
            raise _PatchFailed(
                f'remove operation does not apply: doc is missing path: "{path}": missing value'
            )
        try:
            _remove(*found)
        except _PatchFailed as exc:
            raise _PatchFailed(f"error in remove for path: '{path}': {exc}") from None
    elif kind == "replace":
        path = _field(op, "path", kind)
        found = _find_container(doc, path)
        if found is None:
            raise _PatchFailed(
                f"replace operation does not apply: doc is missing path: {path}: missing value"
            )
        try:
            _set(found[0], found[1], copy.deepcopy(op.get("value")))
        except _PatchFailed as exc:
            raise _PatchFailed(
                f"replace operation does not apply: doc is missing key: {path}: {exc}"
            ) from None
    elif kind == "move":
        source = _field(op, "from", kind)
        found = _find_container(doc, source)
        if found is None:
            raise _PatchFailed(
                f"move operation does not apply: doc is missing from path: {source}: missing value"
            )
        try:
            value = _remove(*found)
        except _PatchFailed as exc:
            raise _PatchFailed(f"error in move for path: '{found[1]}': {exc}") from None
        path = _field(op, "path", kind)
        found = _find_container(doc, path)
        if found is None:
            raise _PatchFailed(
                f"move operation does not apply: doc is missing destination path: {path}: missing value"
            )
        try:
            _add(found[0], found[1], value)
        except _PatchFailed as exc:
            raise _PatchFailed(f"error in move for path: '{path}': {exc}") from None
    elif kind == "copy":
        source = _field(op, "from", kind)
        found = _find_container(doc, source)
        if found is None:
            raise _PatchFailed(
                f"copy operation does not apply: doc is missing from path: {source}: missing value"
            )
        container, key = found
        if isinstance(container, dict) and key not in container:
            raise _PatchFailed(f"error in copy for from: '{source}': missing value")
        try:
            value = copy.deepcopy(_get(container, key))
        except _PatchFailed as exc:
            raise _PatchFailed(f"error in copy for from: '{source}': {exc}") from None
        path = _field(op, "path", kind)
        found = _find_container(doc, path)
        if found is None:
            raise _PatchFailed(
                f"copy operation does not apply: doc is missing destination path: {path}: missing value"
            )
        try:
            _add(found[0], found[1], value)
        except _PatchFailed as exc:
            raise _PatchFailed(f"error in copy for path: '{path}': {exc}") from None
    elif kind == "test":
        path = _field(op, "path", kind)
        expected = op.get("value")
        if path == "":
            actual = doc
        else:
            found = _find_container(doc, path)
            if found is None:
                raise _PatchFailed(f"test operation does not apply: is missing path: {path}: missing value")
            try:
                actual = _get(*found)
            except _PatchFailed as exc:
                raise _PatchFailed(f"error in test for path: '{path}': {exc}") from None
        # Absent and null compare equal to an expected null (kube's leniency).
        if not ((actual is None and expected is None) or json_equal(actual, expected)):
            raise _PatchFailed(f"testing value {path} failed: test failed")
    else:
        raise _PatchFailed(f"Unexpected kind: {kind}")
    return doc


def check_json_patch(ops: Any) -> list[Mapping[str, Any]]:
    """Validate a decoded JSON patch document's shape: 400 / 413 as kube's DecodePatch step does."""
    if not isinstance(ops, list):
        name = "object" if isinstance(ops, dict) else type(ops).__name__
        raise errors.bad_request(f"json: cannot unmarshal {name} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise errors.bad_request(
                "json: cannot unmarshal "
                f"{'array' if isinstance(op, list) else 'value'} into Go value of type jsonpatch.Operation"
            )
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise errors.ApiError(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
        )
    return ops


def apply_json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 with json-patch v4's leniencies; returns a new document."""
    checked = check_json_patch(ops)
    doc = copy.deepcopy(target)
    try:
        for op in checked:
            doc = _apply_op(doc, op)
    except _PatchFailed as exc:
        raise errors.unprocessable(str(exc)) from None
    return doc
