"""cel-go's equality, ordering and `in` for cel-python values.

cel-python refuses `==` and `<` between an int and a double (`self.spec.replicas == 3.0` is an error
there); cel-go compares numbers of different types by value, and `==` between values of different
kinds (`dyn(1) == "1"`) is simply false. These functions replace cel-python's operators so that
expressions behave as they do in Eno.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, cast

from celpy import celtypes
from celpy.evaluation import CELEvalError

from eno.cel.celpy_values import type_name


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool | celtypes.BoolType)


def _plain(number: Any) -> int | float:
    """A built-in int or float: celpy's numeric types refuse to compare across types."""
    return float(number) if isinstance(number, float) else int(number)


def _is_nan(number: Any) -> bool:
    return isinstance(number, float) and math.isnan(number)


def _kind(value: Any) -> str:
    """The CEL kind of a value for deciding comparability; all numbers share one kind."""
    if value is None:
        return "null"
    if _is_number(value):
        return "number"
    return type_name(value)


def cel_equals(left: Any, right: Any) -> bool:
    """CEL heterogeneous equality: numbers by value, containers element-wise, other kinds never equal."""
    if _is_number(left) and _is_number(right):
        # Python compares int and float exactly (no rounding of big ints); NaN is never equal.
        return _plain(left) == _plain(right)
    if isinstance(left, type) or isinstance(right, type):
        # Types are equal by name: `type(1) == int` whichever class stands for int.
        return isinstance(left, type) and isinstance(right, type) and type_name(left) == type_name(right)
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind != right_kind:
        return False
    if left is None:
        return True
    if isinstance(left, list):
        return len(left) == len(right) and all(cel_equals(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, Mapping):
        if len(left) != len(right):
            return False
        for key, value in left.items():
            found, other = _map_lookup(cast(dict[Any, Any], right), key)
            if not found or not cel_equals(value, other):
                return False
        return True
    return bool(left == right)


def _map_lookup(mapping: dict[Any, Any], key: Any) -> tuple[bool, Any]:
    """Find `key` in a CEL map by CEL equality: numeric keys of different types match by value."""
    if isinstance(key, str):
        # Exact membership: AbsentAsEmptyMap must not answer "" for an absent key here.
        if dict.__contains__(mapping, key):
            return True, mapping[key]
        return False, None
    for candidate, value in mapping.items():
        if not isinstance(candidate, str) and cel_equals(candidate, key):
            return True, value
    return False, None


def _compare(op_name: str, check: Callable[[int], bool]) -> Callable[[Any, Any], celtypes.BoolType]:
    def compare(left: Any, right: Any) -> celtypes.BoolType:
        if _is_number(left) and _is_number(right):
            if _is_nan(left) or _is_nan(right):
                return celtypes.BoolType(False)  # every ordering with NaN is false
            return celtypes.BoolType(check(_sign(_plain(left), _plain(right))))
        left_kind, right_kind = _kind(left), _kind(right)
        if left_kind != right_kind or left_kind not in _ORDERED_KINDS:
            raise TypeError(f"no such overload: {type_name(left)} {op_name} {type_name(right)}")
        return celtypes.BoolType(check(_sign(left, right)))

    compare.__name__ = f"cel_{op_name}"
    return compare


def _sign(left: Any, right: Any) -> int:
    return -1 if left < right else (1 if left > right else 0)


_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"

_ORDERED_KINDS = frozenset(
    {"bool", "string", "bytes", "google.protobuf.Timestamp", "google.protobuf.Duration"}
)


def cel_eq(left: Any, right: Any) -> celtypes.BoolType:
    return celtypes.BoolType(cel_equals(left, right))


def cel_ne(left: Any, right: Any) -> celtypes.BoolType:
    return celtypes.BoolType(not cel_equals(left, right))


def cel_in(item: Any, container: Any) -> celtypes.BoolType:
    """`item in container`: list membership by CEL equality, map membership by key (exact)."""
    if isinstance(container, list):
        return celtypes.BoolType(any(cel_equals(item, element) for element in container))
    if isinstance(container, Mapping):
        if _kind(item) not in ("string", "number", "bool"):
            raise TypeError(f"no such overload: {_kind(item)} in map")
        return celtypes.BoolType(_map_lookup(cast(dict[Any, Any], container), item)[0])
    raise TypeError(f"no such overload: {_kind(item)} in {_kind(container)}")


_ARITHMETIC: dict[str, tuple[Callable[[Any, Any], Any], frozenset[tuple[str, str]]]] = {
    "+": (
        operator.add,
        frozenset(
            {(k, k) for k in ("int", "uint", "double", "string", "bytes", "list", _DURATION)}
            | {(_TIMESTAMP, _DURATION), (_DURATION, _TIMESTAMP)}
        ),
    ),
    "-": (
        operator.sub,
        frozenset(
            {(k, k) for k in ("int", "uint", "double", _DURATION, _TIMESTAMP)} | {(_TIMESTAMP, _DURATION)}
        ),
    ),
    "*": (operator.mul, frozenset({(k, k) for k in ("int", "uint", "double")})),
    "/": (operator.truediv, frozenset({(k, k) for k in ("int", "uint", "double")})),
    "%": (operator.mod, frozenset({(k, k) for k in ("int", "uint")})),
}


def _arithmetic(symbol: str) -> Callable[[Any, Any], Any]:
    """cel-go's arithmetic overloads: no mixing of int, uint and double (celpy would fail obscurely)."""
    function, allowed = _ARITHMETIC[symbol]

    def arithmetic(left: Any, right: Any) -> Any:
        kinds = (type_name(left), type_name(right))
        if kinds not in allowed:
            raise TypeError(f"no such overload: {kinds[0]} {symbol} {kinds[1]}")
        return function(left, right)

    arithmetic.__name__ = f"cel_{function.__name__}"
    return arithmetic


def cel_type(value: Any) -> Any:
    """type(x): our map subclasses (lazy, absent-as-empty) are plain maps to the expression."""
    if isinstance(value, celtypes.MapType):
        return celtypes.MapType
    if isinstance(value, celtypes.ListType):
        return celtypes.ListType
    return celtypes.TypeType(value)


def _logical(absorbing: bool) -> Callable[[Any, Any], Any]:
    """cel-go's && (absorbing false) and || (absorbing true): the absorbing value wins over errors and
    non-bools on either side; otherwise an error operand is the result, and a non-bool is no overload."""

    def logical(left: Any, right: Any) -> Any:
        for value in (left, right):
            if isinstance(value, celtypes.BoolType) and bool(value) is absorbing:
                return celtypes.BoolType(absorbing)
        for value in (left, right):
            if isinstance(value, CELEvalError):
                return value
        for value in (left, right):
            if not isinstance(value, celtypes.BoolType):
                operator_text = "||" if absorbing else "&&"
                raise TypeError(f"no such overload: {type_name(left)} {operator_text} {type_name(right)}")
        return celtypes.BoolType(not absorbing)

    logical.__name__ = "cel_or" if absorbing else "cel_and"
    return logical


def _not(value: Any) -> celtypes.BoolType:
    if not isinstance(value, celtypes.BoolType):
        raise TypeError(f"no such overload: !{type_name(value)}")
    return celtypes.BoolType(not value)


def propagating_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """celpy hands operators (and method functions) error values as arguments; CEL propagates them."""

    def call(*args: Any) -> Any:
        for arg in args:
            if isinstance(arg, CELEvalError):
                return arg
        return function(*args)

    call.__name__ = function.__name__
    return call


OPERATORS: dict[str, Callable[..., Any]] = {
    "_==_": propagating_errors(cel_eq),
    "_!=_": propagating_errors(cel_ne),
    "_<_": propagating_errors(_compare("<", lambda sign: sign < 0)),
    "_<=_": propagating_errors(_compare("<=", lambda sign: sign <= 0)),
    "_>_": propagating_errors(_compare(">", lambda sign: sign > 0)),
    "_>=_": propagating_errors(_compare(">=", lambda sign: sign >= 0)),
    "_in_": propagating_errors(cel_in),
    **{f"_{symbol}_": propagating_errors(_arithmetic(symbol)) for symbol in _ARITHMETIC},
    "type": propagating_errors(cel_type),
    "!_": propagating_errors(_not),
    "_&&_": _logical(False),
    "_||_": _logical(True),
}
