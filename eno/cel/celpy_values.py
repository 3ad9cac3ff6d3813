"""Conversions between plain Python JSON-like values and cel-python's value types.

`to_cel` builds CEL values from what the API returns (dicts, lists, str, int, float, bool, None, plus bytes);
`to_python` turns a result back into plain Python, so callers never see celpy types.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from celpy import celtypes

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class AbsentAsEmptyMap(celtypes.MapType):
    """A string map that reads an absent key as "" (Eno's composition labels and annotations, see
    docs/decisions/0300-cel-engines.md). Membership (`in`, `has()`) stays exact because `in` uses
    __contains__ and our has() tests membership rather than catching a failed read."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and not dict.__contains__(self, key):
            return celtypes.StringType("")
        return super().__getitem__(key)


class LazyMap(celtypes.MapType):
    """A CEL map over a JSON object that converts each value on first read.

    Expressions touch a handful of fields of objects that can be large (managedFields, status), so
    converting everything up front dominated evaluation. Every read path celpy and our functions use
    (`[]`, get, items, values, iteration over keys, len, `in`) goes through the overrides below.
    """

    def __init__(self, raw: Mapping[Any, Any]) -> None:
        super().__init__()
        for key, value in raw.items():
            dict.__setitem__(self, to_cel(key), value)

    def __getitem__(self, key: Any) -> Any:
        value = super().__getitem__(key)
        if type(value) in _RAW_TYPES:
            value = to_cel(value)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self[key]
        return super().get(key, default)

    def items(self) -> Any:
        return [(key, self[key]) for key in dict.keys(self)]

    def values(self) -> Any:
        return [self[key] for key in dict.keys(self)]


# Plain JSON values not yet converted; celpy's types are subclasses, so the test is on the exact type.
_RAW_TYPES = frozenset({str, int, float, bool, dict, list, tuple, bytes})


def to_cel(value: Any) -> Any:
    """A celpy value for a JSON-like Python value. Raises TypeError for anything else."""
    if isinstance(value, _CELPY_SCALARS):
        return value
    # bool before int: bool is an int subclass.
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return celtypes.IntType(value)
        # Outside int64 a Kubernetes client decodes a JSON number as a float64.
        return celtypes.DoubleType(float(value))
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if value is None:
        return None
    if isinstance(value, celtypes.MapType | celtypes.ListType):
        return value
    if isinstance(value, Mapping):
        return LazyMap(value)
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(item) for item in value])
    if isinstance(value, bytes):
        return celtypes.BytesType(value)
    if isinstance(value, datetime.datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, datetime.timedelta):
        return celtypes.DurationType(value)
    raise TypeError(f"cannot convert a value of type {type(value).__name__} to CEL")


_CELPY_SCALARS = (
    celtypes.BoolType,
    celtypes.IntType,
    celtypes.UintType,
    celtypes.DoubleType,
    celtypes.StringType,
    celtypes.BytesType,
    celtypes.TimestampType,
    celtypes.DurationType,
)


def string_map_absent_as_empty(value: Any) -> Any:
    """`to_cel` for a labels/annotations map, with the absent-key-reads-"" rule. None becomes {}."""
    if value is None:
        return AbsentAsEmptyMap()
    if not isinstance(value, Mapping):
        return to_cel(value)
    return AbsentAsEmptyMap({to_cel(k): to_cel(v) for k, v in value.items()})


def to_python(value: Any) -> Any:
    """Plain Python for a celpy result: bool/int/float/str/bytes/list/dict/None.

    Timestamps and durations become the strings cel-go's JSON conversion produces (RFC 3339, "1.5s"),
    types become their names.
    """
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType | bool):
        return bool(value)
    if isinstance(value, celtypes.TimestampType):
        return rfc3339(value)
    if isinstance(value, celtypes.DurationType):
        return duration_string(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, Mapping):
        return {to_python(k): to_python(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_python(item) for item in value]
    if isinstance(value, type):
        return type_name(value)
    raise TypeError(f"cannot convert the CEL result type {type(value).__name__} to a Python value")


def type_name(value: Any) -> str:
    """The CEL name of a celpy value's type (or of a celpy type), for error messages and type()."""
    cls = value if isinstance(value, type) else type(value)
    for celpy_type, name in _TYPE_NAMES:
        if issubclass(cls, celpy_type):
            return name
    if value is None or cls is type(None):
        return "null_type"
    return cls.__name__


_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (celtypes.BoolType, "bool"),
    (bool, "bool"),
    (celtypes.UintType, "uint"),
    (celtypes.IntType, "int"),
    (celtypes.DoubleType, "double"),
    (celtypes.StringType, "string"),
    (celtypes.BytesType, "bytes"),
    (celtypes.ListType, "list"),
    (celtypes.MapType, "map"),
    (celtypes.TimestampType, "google.protobuf.Timestamp"),
    (celtypes.DurationType, "google.protobuf.Duration"),
    (int, "int"),
    (float, "double"),
    (str, "string"),
    (bytes, "bytes"),
    (list, "list"),
    (dict, "map"),
)


def rfc3339(value: datetime.datetime) -> str:
    utc = value.astimezone(datetime.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def duration_string(value: datetime.timedelta) -> str:
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    seconds, frac = divmod(abs(micros), 1_000_000)
    text = f"{sign}{seconds}"
    if frac:
        text += f".{frac:06d}".rstrip("0")
    return text + "s"
