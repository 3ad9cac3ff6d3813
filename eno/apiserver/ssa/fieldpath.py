"""Field paths and field sets in the FieldsV1 form of managedFields.

A path element is a small tuple so paths hash and compare cheaply:
  ("f", name)      a map key                           -> "f:name"
  ("k", key_json)  an item of a list of type map       -> 'k:{"name":"x"}' (key fields sorted, compact JSON)
  ("v", val_json)  an item of a list of type set       -> 'v:"x"'
  ("i", index)     an item addressed by position       -> "i:3"
A field set is a frozenset of paths; every path in it is a member (FieldsV1's "." or a leaf `{}`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "FieldSet",
    "Path",
    "PathElement",
    "element_string",
    "field",
    "from_fields_v1",
    "item_key",
    "item_value",
    "parse_element",
    "path_string",
    "to_fields_v1",
]

PathElement = tuple[str, Any]
Path = tuple[PathElement, ...]
FieldSet = frozenset[Path]

_ORDER = {"f": 0, "k": 1, "v": 2, "i": 3}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def field(name: str) -> PathElement:
    return ("f", name)


def item_key(keys: Mapping[str, Any]) -> PathElement:
    """The element of a list-map item with these key field values."""
    return ("k", _compact(dict(sorted(keys.items()))))


def item_value(value: Any) -> PathElement:
    """The element of a list-set item with this value."""
    return ("v", _compact(value))


def element_string(pe: PathElement) -> str:
    kind, payload = pe
    return f"{kind}:{payload}"


def parse_element(text: str) -> PathElement:
    """Parse one FieldsV1 key; raises ValueError on anything else."""
    kind, sep, payload = text.partition(":")
    if not sep:
        raise ValueError(f"invalid field path element {text!r}")
    if kind == "f":
        return ("f", payload)
    if kind == "k":
        decoded = json.loads(payload)
        if not isinstance(decoded, dict):
            raise ValueError(f"invalid key element {text!r}")
        return item_key(decoded)
    if kind == "v":
        return item_value(json.loads(payload))
    if kind == "i":
        return ("i", int(payload))
    raise ValueError(f"invalid field path element {text!r}")


def _sort_key(pe: PathElement) -> tuple[int, Any]:
    return (_ORDER[pe[0]], pe[1])


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """Serialise a field set as a FieldsV1 object ("." first, then elements in kube's order)."""
    tree: dict[PathElement, Any] = {}
    members: set[Path] = set()
    for path in paths:
        if not path:
            continue
        members.add(path)
        node = tree
        for pe in path:
            node = node.setdefault(pe, {})
    return _emit(tree, (), members)


def _emit(tree: dict[PathElement, Any], prefix: Path, members: set[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pe in sorted(tree, key=_sort_key):
        path = (*prefix, pe)
        children = tree[pe]
        if not children:
            out[element_string(pe)] = {}
            continue
        node: dict[str, Any] = {".": {}} if path in members else {}
        node.update(_emit(children, path, members))
        out[element_string(pe)] = node
    return out


def from_fields_v1(fields: Mapping[str, Any] | None) -> FieldSet:
    """Parse a FieldsV1 object; raises ValueError when it is malformed."""
    out: set[Path] = set()
    if fields is None:
        return frozenset()
    if not isinstance(fields, Mapping):
        raise ValueError("fieldsV1 must be an object")
    _collect(fields, (), out)
    return frozenset(out)


def _collect(node: Mapping[str, Any], prefix: Path, out: set[Path]) -> None:
    for text, child in node.items():
        if text == ".":
            if prefix:
                out.add(prefix)
            continue
        path = (*prefix, parse_element(text))
        if not isinstance(child, Mapping):
            raise ValueError(f"invalid fieldsV1 node at {text!r}")
        if not child:
            out.add(path)
        else:
            _collect(child, path, out)


def _go_value(value: Any) -> str:
    # structured-merge-diff's value.ToString: strings quoted, scalars bare.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={_go_value(v)}" for k, v in sorted(value.items())) + "}"
    return str(value)


def path_string(path: Path) -> str:
    """A path as kube prints it in conflict messages: `.spec.containers[name="a"].image`."""
    parts: list[str] = []
    for kind, payload in path:
        if kind == "f":
            parts.append("." + payload)
        elif kind == "k":
            keys = json.loads(payload)
            parts.append("[" + ",".join(f"{k}={_go_value(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            parts.append(f"[={_go_value(json.loads(payload))}]")
        else:
            parts.append(f"[{payload}]")
    return "".join(parts)
