"""Type checks for built-in kinds' bodies, as decoding into kube's Go structs would fail on them.

kube-apiserver decodes a create/update body into the kind's Go struct: a value of the wrong JSON type is a
400 (`ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go
struct field ConfigMap.data of type map[string]string`). A server-side apply body is converted to a typed
object instead, and the same mistake is a 500 (`failed to create typed patch object (/v1, Kind=ConfigMap):
.data: expected map, got &{wrongType} string`).

The field types come from kubernetes-asyncio's generated models (the same source as openapi_models). The
client types int-or-string fields as `object` and Quantities as `str`, so those accept anything scalar here
(a JSON number is a valid Quantity); a mismatch is reported only where every Go type of that position would
reject it: a map or struct given a non-object, a list given a non-array, an integer given a non-number or a
fraction, a boolean given a non-boolean, a string given an object, array or boolean. Integers are named
int32 unless known to be int64 (the client does not say).
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from eno.apiserver import errors

# Generated model names that are not V<version><Kind>.
_MODEL_NAMES = {
    ("", "v1", "Event"): "CoreV1Event",
    ("events.k8s.io", "v1", "Event"): "EventsV1Event",
}
_MODEL_RE = re.compile(r"V(\d+(?:(?:alpha|beta)\d+)?)([A-Z]\w*)$")
_LIST_RE = re.compile(r"^list\[(.+)\]$")
_DICT_RE = re.compile(r"^dict\(str, (.+)\)$")
_INT64 = frozenset(
    {
        "activeDeadlineSeconds",
        "terminationGracePeriodSeconds",
        "deletionGracePeriodSeconds",
        "generation",
        "observedGeneration",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "supplementalGroups",
        "expirationSeconds",
        "gracePeriodSeconds",
        "tolerationSeconds",
        "sizeLimit",
    }
)


@attrs.frozen
class TypeProblem:
    """The first value of the wrong type: its JSON path, the Go struct holding it and the Go type wanted."""

    path: tuple[str, ...]
    struct: str
    go_type: str
    expected: str  # map | list | int | bool | string
    value: Any = attrs.field(eq=False)


def _models() -> Any:
    return importlib.import_module("kubernetes_asyncio.client.models")


def _go_name(model_name: str) -> tuple[str, str]:
    """('v1.DeploymentSpec', 'DeploymentSpec') for 'V1DeploymentSpec'."""
    m = _MODEL_RE.search(model_name)
    if m is None:
        return model_name, model_name
    return f"v{m.group(1)}.{m.group(2)}", m.group(2)


@functools.cache
def _fields(model_name: str) -> dict[str, str] | None:
    """JSON field name -> client type name of a generated model, None if there is no such model."""
    cls = getattr(_models(), model_name, None)
    if cls is None:
        return None
    return {cls.attribute_map[attr]: type_name for attr, type_name in cls.openapi_types.items()}


def _go_type(type_name: str, field: str) -> str:
    if type_name == "str" or type_name == "datetime":
        return "string"
    if type_name == "int":
        return "int64" if field in _INT64 else "int32"
    if type_name == "float":
        return "float64"
    if type_name == "bool":
        return "bool"
    if type_name == "object":
        return "interface {}"
    m = _LIST_RE.match(type_name)
    if m:
        return "[]" + _go_type(m.group(1), field)
    m = _DICT_RE.match(type_name)
    if m:
        return "map[string]" + _go_type(m.group(1), field)
    return _go_name(type_name)[0]


def _expected(type_name: str) -> str | None:
    if type_name in ("object", "datetime", "float"):
        return None
    if type_name == "str":
        return "string"
    if type_name in ("int", "bool"):
        return type_name
    if _LIST_RE.match(type_name):
        return "list"
    return "map"


def _wrong(expected: str, value: Any, typed_patch: bool) -> bool:
    if value is None:
        return False
    if expected == "map":
        return not isinstance(value, dict)
    if expected == "list":
        return not isinstance(value, list)
    if expected == "bool":
        return not isinstance(value, bool)
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        # A typed patch takes any number where an integer goes; the Go decoder wants a whole one.
        return not typed_patch and isinstance(value, float) and not value.is_integer()
    # A string position may be a Quantity, which takes numbers too.
    return isinstance(value, dict | list | bool)


def _walk(
    type_name: str, value: Any, path: tuple[str, ...], struct: str, typed_patch: bool
) -> TypeProblem | None:
    field = path[-1].split("[", 1)[0] if path else ""
    expected = _expected(type_name)
    if expected is None:
        return None
    if _wrong(expected, value, typed_patch):
        return TypeProblem(path, struct, _go_type(type_name, field), expected, value)
    if value is None:
        return None
    m = _LIST_RE.match(type_name)
    if m:
        for i, item in enumerate(value):
            # Go's decoder reports an item by its list's path; structured-merge-diff by its key or index.
            item_path = (*path[:-1], path[-1] + _item(i, item)) if typed_patch and path else path
            found = _walk(m.group(1), item, item_path, struct, typed_patch)
            if found is not None:
                return found
        return None
    m = _DICT_RE.match(type_name)
    if m:
        for key, item in value.items():
            found = _walk(m.group(1), item, (*path, str(key)), struct, typed_patch)
            if found is not None:
                return found
        return None
    if expected == "map":
        return _walk_struct(type_name, value, path, typed_patch)
    return None


def _item(index: int, item: Any) -> str:
    """A list item as structured-merge-diff names it: by `name` where items have one, else by index."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return f'[name="{item["name"]}"]'
    return f"[{index}]"


def _walk_struct(
    model_name: str, obj: Mapping[str, Any], path: tuple[str, ...], typed_patch: bool
) -> TypeProblem | None:
    fields = _fields(model_name)
    if fields is None:
        return None
    struct = _go_name(model_name)[1]
    for key, value in obj.items():
        type_name = fields.get(key)
        if type_name is None:
            continue
        found = _walk(type_name, value, (*path, key), struct, typed_patch)
        if found is not None:
            return found
    return None


def find_problem(
    group: str, version: str, kind: str, obj: Mapping[str, Any], *, typed_patch: bool = False
) -> TypeProblem | None:
    """The first field (in document order) whose JSON type the kind's Go struct cannot take.

    `typed_patch` checks a server-side apply body the way its typed conversion does (any number for an
    integer; list items named by key or index)."""
    model_name = _MODEL_NAMES.get((group, version, kind), f"{version.capitalize()}{kind}")
    if _fields(model_name) is None:
        return None
    return _walk_struct(model_name, obj, (), typed_patch)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, float) and not value.is_integer():
        return f"number {json.dumps(value)}"
    return "number"


def decode_error(kind: str, version: str, problem: TypeProblem) -> errors.ApiError:
    """The 400 a create/update body with this problem gets."""
    field = ".".join(problem.path)
    return errors.bad_request(
        f'{kind} in version "{version}" cannot be handled as a {kind}: json: cannot unmarshal '
        f"{_json_kind(problem.value)} into Go struct field {problem.struct}.{field} of type {problem.go_type}"
    )


def _go_value(value: Any) -> tuple[str, str]:
    """How structured-merge-diff prints a value (`&{v}`) and its Go type."""
    if isinstance(value, bool):
        return ("true" if value else "false"), "bool"
    if isinstance(value, str):
        return value, "string"
    if isinstance(value, int):
        return str(value), "int64"
    if isinstance(value, float):
        return json.dumps(value), "float64"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v)[0] for v in value) + "]", "[]interface {}"
    if isinstance(value, dict):
        inner = " ".join(f"{k}:{_go_value(v)[0]}" for k, v in value.items())
        return f"map[{inner}]", "map[string]interface {}"
    return "<nil>", "<nil>"


def typed_patch_error(group: str, version: str, kind: str, problem: TypeProblem) -> errors.ApiError:
    """The 500 a server-side apply body with this problem gets (kube's typed-patch conversion)."""
    what = {"map": "map", "list": "list", "int": "numeric (int or float)", "bool": "boolean"}.get(
        problem.expected, "string"
    )
    shown, go_type = _go_value(problem.value)
    gvk = f"{group}/{version}, Kind={kind}"
    field = "".join(f".{p}" for p in problem.path)  # list items carry their [key] already
    return errors.ApiError(
        500,
        "InternalError",
        f"failed to create typed patch object ({gvk}): {field}: expected {what}, got &{{{shown}}} {go_type}",
    )
