"""The functions of Eno's CEL environment, bound for cel-python: cel-go's operators, the Encoders, Lists
and Strings extensions, and compareResourceQuantities. celpy calls a method `x.f(a)` as the function
`f(x, a)`; namespaced functions (`base64.encode`) are looked up by their qualified name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celpy import celtypes

from eno.cel import extensions
from eno.cel.celpy_operators import OPERATORS, cel_equals, propagating_errors
from eno.cel.celpy_values import duration_string, rfc3339, to_cel, type_name

NAMESPACES = frozenset({"base64", "lists", "strings"})


def _returning_cel(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return to_cel(function(*args))

    call.__name__ = function.__name__
    return call


def _reverse(value: Any) -> Any:
    result = extensions.reverse(value)
    return celtypes.ListType(result) if isinstance(result, list) else celtypes.StringType(result)


def _bytes_result(function: Callable[..., bytes]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return celtypes.BytesType(function(*args))

    call.__name__ = function.__name__
    return call


def _list_result(function: Callable[..., list[Any]]) -> Callable[..., Any]:
    # List elements are already celpy values; only the container needs wrapping.
    def call(*args: Any) -> Any:
        return celtypes.ListType(function(*args))

    call.__name__ = function.__name__
    return call


# The conversion functions are also the type names (`type(x) == int`), so they are classes: subclasses
# of celpy's types whose constructor applies cel-go's overloads and returns celpy's own value.


def _reject(name: str, value: Any, kinds: tuple[str, ...]) -> None:
    if type_name(value) in kinds:
        raise TypeError(f"no such overload: {name}({type_name(value)})")


_NOT_NUMERIC = ("bool", "null_type", "list", "map")


class _String(celtypes.StringType):
    def __new__(cls, value: Any) -> Any:
        if isinstance(value, celtypes.TimestampType):
            return celtypes.StringType(rfc3339(value))
        if isinstance(value, celtypes.DurationType):
            return celtypes.StringType(duration_string(value))
        return celtypes.StringType(extensions.to_string(value))


class _Int(celtypes.IntType):
    def __new__(cls, value: Any) -> Any:
        _reject("int", value, _NOT_NUMERIC)
        return celtypes.IntType(value)


class _Uint(celtypes.UintType):
    def __new__(cls, value: Any) -> Any:
        _reject("uint", value, _NOT_NUMERIC)
        if isinstance(value, int | float) and value < 0:
            raise ValueError(f"{type_name(value)} out of uint64 range")
        return celtypes.UintType(value)


class _Bool(celtypes.BoolType):
    def __new__(cls, value: Any) -> Any:
        if type_name(value) not in ("bool", "string"):
            raise TypeError(f"no such overload: bool({type_name(value)})")
        if isinstance(value, str) and value not in _BOOL_STRINGS:
            raise ValueError(f"cannot convert {str(value)!r} to bool")
        return celtypes.BoolType(value)


class _Bytes(celtypes.BytesType):
    def __new__(cls, value: Any) -> Any:
        if type_name(value) not in ("bytes", "string"):
            raise TypeError(f"no such overload: bytes({type_name(value)})")
        return celtypes.BytesType(value)


# strconv.ParseBool, which cel-go's bool(string) uses.
_BOOL_STRINGS = frozenset({"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})


class _Double(celtypes.DoubleType):
    def __new__(cls, value: Any) -> Any:
        _reject("double", value, _NOT_NUMERIC)
        return celtypes.DoubleType(value)


def _size(value: Any) -> Any:
    if type_name(value) not in ("string", "bytes", "list", "map"):
        raise TypeError(f"no such overload: size({type_name(value)})")
    return celtypes.IntType(len(value))


def _string_test(name: str, test: Callable[[str, str], bool]) -> Callable[[Any, Any], Any]:
    """contains/startsWith/endsWith: strings only in cel-go (celpy also accepts lists and maps)."""

    def function(value: Any, other: Any) -> Any:
        if not (isinstance(value, str) and isinstance(other, str)):
            raise TypeError(f"no such overload: {type_name(value)}.{name}({type_name(other)})")
        return celtypes.BoolType(test(value, other))

    function.__name__ = name
    return function


_EXTENSIONS: dict[str, Callable[..., Any]] = {
    # Standard functions where celpy accepts more than cel-go
    "size": _size,
    "contains": _string_test("contains", str.__contains__),
    "startsWith": _string_test("startsWith", str.startswith),
    "endsWith": _string_test("endsWith", str.endswith),
    # Strings
    "charAt": _returning_cel(extensions.char_at),
    "indexOf": _returning_cel(extensions.index_of),
    "lastIndexOf": _returning_cel(extensions.last_index_of),
    "lowerAscii": _returning_cel(extensions.lower_ascii),
    "upperAscii": _returning_cel(extensions.upper_ascii),
    "replace": _returning_cel(extensions.replace),
    "split": _returning_cel(extensions.split),
    "substring": _returning_cel(extensions.substring),
    "trim": _returning_cel(extensions.trim),
    "join": _returning_cel(extensions.join),
    "format": _returning_cel(extensions.format_string),
    "strings.quote": _returning_cel(extensions.quote),
    "reverse": _reverse,
    # Lists
    "slice": _list_result(extensions.slice_list),
    "flatten": _list_result(extensions.flatten),
    "distinct": _list_result(lambda items: extensions.distinct(items, cel_equals)),
    "sort": _list_result(extensions.sort_list),
    "lists.range": _returning_cel(extensions.lists_range),
    # Encoders
    "base64.encode": _returning_cel(extensions.base64_encode),
    "base64.decode": _bytes_result(extensions.base64_decode),
    # Eno
    "compareResourceQuantities": _returning_cel(extensions.compare_resource_quantities),
}

FUNCTIONS: dict[str, Callable[..., Any]] = {
    **OPERATORS,
    # Standard conversions where celpy differs from cel-go. Not wrapped: they must stay the type names.
    "string": _String,
    "int": _Int,
    "uint": _Uint,
    "double": _Double,
    "bool": _Bool,
    "bytes": _Bytes,
    **{name: propagating_errors(function) for name, function in _EXTENSIONS.items()},
}
