"""cel-go's extension libraries that Eno loads (Encoders, Lists, Strings) and Eno's
`compareResourceQuantities`, as engine-neutral functions over plain Python values.

Each function raises TypeError for arguments of the wrong type ("no such overload", as cel-go says)
and ValueError for a bad value; the engines turn both into CelError. Indices count Unicode code points,
as cel-go counts runes.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from eno.quantity import parse_quantity

# Unicode White_Space, which Go's unicode.IsSpace (cel-go's trim) uses; str.strip() strips more.
_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _overload(name: str, *args: Any) -> TypeError:
    kinds = ", ".join(_kind(arg) for arg in args)
    return TypeError(f"no such overload: {name}({kinds})")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool) or type(value).__name__ == "BoolType":
        return "bool"
    for python_type, name in ((int, "int"), (float, "double"), (str, "string"), (bytes | bytearray, "bytes")):
        if isinstance(value, python_type):
            return name
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "map"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and _kind(value) == "int"


def _check(name: str, args: tuple[Any, ...], *types: type) -> None:
    if len(args) != len(types) or not all(
        _is_int(a) if t is int else isinstance(a, t) for a, t in zip(args, types, strict=False)
    ):
        raise _overload(name, *args)


# --- Strings -------------------------------------------------------------------------------------------


def char_at(s: Any, index: Any) -> str:
    _check("charAt", (s, index), str, int)
    if index < 0 or index > len(s):
        raise ValueError(f"index out of range: {index}")
    return str(s[index]) if index < len(s) else ""


def index_of(s: Any, sub: Any, offset: Any = 0) -> int:
    _check("indexOf", (s, sub, offset), str, str, int)
    if offset < 0 or offset > len(s):
        raise ValueError(f"index out of range: {offset}")
    return int(s.find(sub, offset))


def last_index_of(s: Any, sub: Any, offset: Any = None) -> int:
    if offset is None:
        _check("lastIndexOf", (s, sub), str, str)
        return int(s.rfind(sub))
    _check("lastIndexOf", (s, sub, offset), str, str, int)
    if offset < 0 or offset >= len(s):
        raise ValueError(f"index out of range: {offset}")
    return int(s.rfind(sub, 0, offset + len(sub)))


def lower_ascii(s: Any) -> str:
    _check("lowerAscii", (s,), str)
    return str(s).translate(_ASCII_LOWER)


def upper_ascii(s: Any) -> str:
    _check("upperAscii", (s,), str)
    return str(s).translate(_ASCII_UPPER)


def replace(s: Any, old: Any, new: Any, limit: Any = -1) -> str:
    _check("replace", (s, old, new, limit), str, str, str, int)
    return str(s).replace(old, new, limit if limit >= 0 else -1)


def split(s: Any, separator: Any, limit: Any = -1) -> list[str]:
    """Go's strings.SplitN: limit 0 gives [], a negative limit splits everything."""
    _check("split", (s, separator, limit), str, str, int)
    if limit == 0:
        return []
    s, separator = str(s), str(separator)
    if separator == "":
        runes = list(s)
        if 0 < limit < len(runes):
            return [*runes[: limit - 1], "".join(runes[limit - 1 :])]
        return runes
    return list(s.split(separator, limit - 1 if limit > 0 else -1))


def substring(s: Any, start: Any, end: Any = None) -> str:
    if end is None:
        _check("substring", (s, start), str, int)
        end = len(s)
    _check("substring", (s, start, end), str, int, int)
    if start < 0 or start > len(s):
        raise ValueError(f"index out of range: {start}")
    if end < 0 or end > len(s):
        raise ValueError(f"index out of range: {end}")
    if start > end:
        raise ValueError(f"invalid substring range. start: {start}, end: {end}")
    return str(s[start:end])


def trim(s: Any) -> str:
    _check("trim", (s,), str)
    return str(s).strip(_WHITESPACE)


def join(items: Any, separator: Any = "") -> str:
    _check("join", (items, separator), list, str)
    if not all(isinstance(item, str) for item in items):
        raise _overload("join", items, separator)
    return str(separator).join(str(item) for item in items)


def quote(s: Any) -> str:
    _check("strings.quote", (s,), str)
    escaped = "".join(_QUOTE_ESCAPES.get(ch, ch) for ch in str(s))
    return f'"{escaped}"'


_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def format_string(template: Any, args: Any) -> str:
    """`"%s is %d".format([a, b])`: the clauses cel-go supports, %s %d %f %e %x %X %o %b and %%."""
    _check("format", (template, args), str, list)
    out: list[str] = []
    position = 0
    i = 0
    text = str(template)
    while i < len(text):
        ch = text[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i >= len(text):
            raise ValueError("unexpected end of format string")
        if text[i] == "%":
            out.append("%")
            i += 1
            continue
        precision: int | None = None
        if text[i] == ".":
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            if j == i + 1:
                raise ValueError("precision must be a number")
            precision = int(text[i + 1 : j])
            i = j
        if i >= len(text):
            raise ValueError("unexpected end of format string")
        verb = text[i]
        i += 1
        if position >= len(args):
            raise ValueError(f"index {position} out of range")
        out.append(_format_clause(verb, precision, args[position]))
        position += 1
    return "".join(out)


def _format_clause(verb: str, precision: int | None, value: Any) -> str:
    kind = _kind(value)
    if verb == "s":
        return to_cel_string(value)
    if verb == "d":
        if kind != "int":
            raise ValueError(f"decimal clause can only be used on integers, was given {kind}")
        return str(int(value))
    if verb in "fe":
        if kind not in ("int", "double"):
            raise ValueError(f"fixed-point clause can only be used on doubles, was given {kind}")
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return f"{number:.{6 if precision is None else precision}{verb}}"
    if verb in "xX":
        if kind == "int":
            text = format(int(value), "x")
        elif kind in ("string", "bytes"):
            data = value.encode() if isinstance(value, str) else bytes(value)
            text = data.hex()
        else:
            raise ValueError(f"only integers, byte buffers and strings can be formatted as hex, not {kind}")
        return text.upper() if verb == "X" else text
    if verb in "ob":
        if kind != "int":
            raise ValueError(f"only integers can be formatted as {'octal' if verb == 'o' else 'binary'}")
        return format(int(value), verb)
    raise ValueError(f'could not parse formatting clause: unrecognized formatting clause "{verb}"')


def to_cel_string(value: Any) -> str:
    """CEL's string() of a value as format's %s prints it."""
    kind = _kind(value)
    if value is None:
        return "null"
    if kind == "bool":
        return "true" if value else "false"
    if kind == "string":
        return str(value)
    if kind == "bytes":
        return bytes(value).decode("utf-8", errors="replace")
    if kind == "int":
        return str(int(value))
    if kind == "double":
        return format_double(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(to_cel_string(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{to_cel_string(k)}: {to_cel_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def format_double(number: float) -> str:
    """CEL's string(double), which is Go's strconv.FormatFloat(x, 'g', -1, 64): the shortest digits that
    round-trip, in exponent form when the exponent is below -4 or at least 6 (`1e+06`, `123456`)."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    decimal_exponent = len(digits) + exponent - 1
    prefix = "-" if sign else ""
    if decimal_exponent < -4 or decimal_exponent >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if decimal_exponent < 0 else '+'}{abs(decimal_exponent):02d}"
    if decimal_exponent < 0:
        return f"{prefix}0.{'0' * (-decimal_exponent - 1)}{text}"
    whole = text[: decimal_exponent + 1].ljust(decimal_exponent + 1, "0")
    fraction = text[decimal_exponent + 1 :]
    return f"{prefix}{whole}{'.' + fraction if fraction else ''}"


def to_string(value: Any) -> str:
    """CEL's string(x) conversion for scalars (no overload for null, lists and maps)."""
    kind = _kind(value)
    if kind not in ("bool", "int", "double", "string", "bytes"):
        raise _overload("string", value)
    if kind == "bytes":
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("invalid UTF-8 in bytes, cannot convert to string") from None
    return to_cel_string(value)


def reverse(value: Any) -> Any:
    """Strings' `"abc".reverse()` and Lists' `[1, 2].reverse()`."""
    if isinstance(value, str):
        return str(value)[::-1]
    if isinstance(value, list):
        return list(reversed(value))
    raise _overload("reverse", value)


# --- Lists ---------------------------------------------------------------------------------------------


def slice_list(items: Any, start: Any, end: Any) -> list[Any]:
    _check("slice", (items, start, end), list, int, int)
    if start < 0 or end < 0:
        raise ValueError(f"cannot slice({start}, {end}), negative indexes not supported")
    if start > end:
        raise ValueError(f"cannot slice({start}, {end}), start index must be less than or equal to end index")
    if len(items) < end:
        raise ValueError(f"cannot slice({start}, {end}), list is length {len(items)}")
    return list(items[start:end])


def flatten(items: Any, depth: Any = 1) -> list[Any]:
    _check("flatten", (items, depth), list, int)
    if depth < 0:
        raise ValueError("level must be non-negative")
    flat: list[Any] = []
    for item in items:
        if isinstance(item, list) and depth > 0:
            flat.extend(flatten(item, depth - 1))
        else:
            flat.append(item)
    return flat


def distinct(items: Any, equals: Callable[[Any, Any], bool]) -> list[Any]:
    _check("distinct", (items,), list)
    kept: list[Any] = []
    for item in items:
        if not any(equals(item, seen) for seen in kept):
            kept.append(item)
    return kept


def sort_list(items: Any) -> list[Any]:
    _check("sort", (items,), list)
    if not items:
        return []
    kinds = {_kind(item) for item in items}
    if len(kinds) != 1 or next(iter(kinds)) not in ("int", "double", "bool", "string", "bytes"):
        if len(kinds) != 1:
            raise ValueError("list elements must have the same type")
        raise ValueError("list elements must be comparable")
    return sorted(items, key=_sort_key)


def _sort_key(value: Any) -> Any:
    # celpy's numeric types refuse mixed comparisons; sort on plain values.
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return bytes(value)


def lists_range(n: Any) -> list[int]:
    _check("lists.range", (n,), int)
    return list(range(int(n)))


# --- Encoders ------------------------------------------------------------------------------------------


def base64_encode(data: Any) -> str:
    _check("base64.encode", (data,), bytes)
    return base64.b64encode(bytes(data)).decode("ascii")


def base64_decode(text: Any) -> bytes:
    """Standard alphabet; like cel-go, unpadded input is accepted too."""
    _check("base64.decode", (text,), str)
    raw = str(text)
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"illegal base64 data: {error}") from None


# --- Eno -----------------------------------------------------------------------------------------------


def compare_resource_quantities(a: Any, b: Any) -> int:
    """-1, 0 or 1 comparing two Kubernetes quantities (`"1"` == `"1000m"`, `"1Gi"` == `"1073741824"`)."""
    _check("compareResourceQuantities", (a, b), str, str)
    quantities = []
    for side, text in (("left", a), ("right", b)):
        try:
            quantities.append(parse_quantity(str(text)))
        except ValueError as error:
            raise ValueError(f"parsing {side} quantity: {error}") from None
    return quantities[0].compare(quantities[1])
