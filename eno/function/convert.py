"""Decoding an input object (JSON data) into the user's type: a dataclass, an attrs class, a class with
`from_dict`, a kubernetes-asyncio model, or a plain callable.

JSON keys match a field by its name, its camelCase form, or `metadata={"json": "key"}`; unknown keys are
ignored, as Go's json.Unmarshal does. A value of the wrong shape raises DecodeError naming its path.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

JSON_KEY: Final = "json"  # field metadata: the JSON key when neither the name nor its camelCase form fits


class DecodeError(ValueError):
    """The data does not fit the type; the message names the path, e.g. `spec.replicas`."""


def decode(data: Any, type_: Any, path: str = "") -> Any:
    """`data` (decoded JSON) as an instance of `type_`."""
    if type_ is Any or type_ is object:
        return data
    origin = typing.get_origin(type_)
    if origin is typing.Union or origin is types.UnionType:
        return _union(data, typing.get_args(type_), path)
    if origin is typing.Literal:
        if data not in typing.get_args(type_):
            raise DecodeError(f"{_at(path)}expected one of {list(typing.get_args(type_))}, got {data!r}")
        return data
    if origin in (list, Sequence, tuple) or type_ in (list, tuple):
        return _sequence(data, type_, origin, path)
    if origin in (dict, Mapping) or type_ is dict:
        return _mapping(data, type_, path)
    if type_ is type(None):
        if data is not None:
            raise DecodeError(f"{_at(path)}expected null, got {_kind(data)}")
        return None
    if type_ in (str, int, float, bool):
        return _scalar(data, type_, path)
    if isinstance(type_, type):
        if dataclasses.is_dataclass(type_) or attrs.has(type_):
            return _record(data, type_, path)
        if hasattr(type_, "from_dict"):
            return _call(type_.from_dict, data, path)
        if hasattr(type_, "openapi_types") and hasattr(type_, "attribute_map"):
            return _openapi_model(data, type_, path)
    if callable(type_):
        return _call(type_, data, path)
    raise DecodeError(f"{_at(path)}cannot decode into {type_!r}")


def json_keys(name: str, metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """The JSON keys a field named `name` reads, in order of preference."""
    if JSON_KEY in metadata:
        return (str(metadata[JSON_KEY]),)
    head, *rest = name.rstrip("_").split("_")
    camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
    return (name, camel) if camel != name else (name,)


def _union(data: Any, options: tuple[Any, ...], path: str) -> Any:
    if data is None and type(None) in options:
        return None
    errors: list[str] = []
    for option in options:
        if option is type(None):
            continue
        try:
            return decode(data, option, path)
        except DecodeError as err:
            errors.append(str(err))
    raise DecodeError(errors[0] if len(errors) == 1 else f"{_at(path)}no type fits: {'; '.join(errors)}")


def _sequence(data: Any, type_: Any, origin: Any, path: str) -> Any:
    if not isinstance(data, list):
        raise DecodeError(f"{_at(path)}expected a list, got {_kind(data)}")
    args = typing.get_args(type_)
    item = args[0] if args else Any
    values = [decode(v, item, f"{path}[{i}]") for i, v in enumerate(data)]
    return tuple(values) if tuple in (origin, type_) else values


def _mapping(data: Any, type_: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise DecodeError(f"{_at(path)}expected an object, got {_kind(data)}")
    args = typing.get_args(type_)
    value_type = args[1] if len(args) == 2 else Any
    return {k: decode(v, value_type, _join(path, str(k))) for k, v in data.items()}


def _scalar(data: Any, type_: type, path: str) -> Any:
    ok = isinstance(data, type_) and not (type_ is not bool and isinstance(data, bool))
    if type_ is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if not ok:
        raise DecodeError(f"{_at(path)}expected {_TYPE_NAMES[type_]}, got {_kind(data)} {data!r}")
    return data


def _record(data: Any, type_: type, path: str) -> Any:
    if not isinstance(data, dict):
        raise DecodeError(f"{_at(path)}expected an object, got {_kind(data)}")
    hints = typing.get_type_hints(type_)
    values: dict[str, Any] = {}
    for name, metadata, required in _fields(type_):
        key = next((k for k in json_keys(name, metadata) if k in data), None)
        if key is None:
            if required:
                raise DecodeError(f"{_at(_join(path, json_keys(name, metadata)[-1]))}is required")
            continue
        values[name] = decode(data[key], hints.get(name, Any), _join(path, key))
    return type_(**values)


def _fields(type_: type) -> list[tuple[str, Mapping[str, Any], bool]]:
    """(name, metadata, required) of each field set through the constructor."""
    if dataclasses.is_dataclass(type_):
        return [
            (
                f.name,
                f.metadata,
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(type_)
            if f.init
        ]
    return [
        (a.alias or a.name, a.metadata, a.default is attrs.NOTHING) for a in attrs.fields(type_) if a.init
    ]


def _openapi_model(data: Any, type_: type, path: str) -> Any:
    """A kubernetes-asyncio model, built from its own openapi_types/attribute_map declarations."""
    if not isinstance(data, dict):
        raise DecodeError(f"{_at(path)}expected an object, got {_kind(data)}")
    openapi_types: dict[str, str] = type_.openapi_types  # type: ignore[attr-defined]
    attribute_map: dict[str, str] = type_.attribute_map  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for attr, declared in openapi_types.items():
        key = attribute_map[attr]
        if key in data and data[key] is not None:
            values[attr] = _openapi_value(data[key], declared, type_, _join(path, key))
    try:
        return type_(**values)
    except (TypeError, ValueError) as err:
        raise DecodeError(f"{_at(path)}{err}") from None


def _openapi_value(data: Any, declared: str, owner: type, path: str) -> Any:
    if declared.startswith("list["):
        if not isinstance(data, list):
            raise DecodeError(f"{_at(path)}expected a list, got {_kind(data)}")
        inner = declared[5:-1]
        return [_openapi_value(v, inner, owner, f"{path}[{i}]") for i, v in enumerate(data)]
    if declared.startswith("dict("):
        if not isinstance(data, dict):
            raise DecodeError(f"{_at(path)}expected an object, got {_kind(data)}")
        inner = declared[5:-1].split(", ", 1)[1]
        return {k: _openapi_value(v, inner, owner, _join(path, k)) for k, v in data.items()}
    if declared in _OPENAPI_SCALARS:
        return _scalar(data, _OPENAPI_SCALARS[declared], path)
    if declared in ("object", "datetime", "date"):
        return data
    module = __import__(owner.__module__.rsplit(".", 1)[0], fromlist=[declared])
    model = getattr(module, declared, None)
    return data if model is None else _openapi_model(data, model, path)


def _call(fn: Any, data: Any, path: str) -> Any:
    try:
        return fn(data)
    except DecodeError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise DecodeError(f"{_at(path)}{type(err).__name__}: {err}") from None


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
_OPENAPI_SCALARS: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _at(path: str) -> str:
    return f"{path}: " if path else ""
