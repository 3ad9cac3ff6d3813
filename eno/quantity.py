"""Kubernetes `resource.Quantity`: parsing, exact comparison and kube's canonical strings.

A port of the observable behaviour of k8s.io/apimachinery/pkg/api/resource: the grammar
`<sign>?<digits>[.<digits>]<suffix>` with binary-SI (`Ki`..`Ei`), decimal-SI (`n`..`E`) and
decimal-exponent (`e3`, `E-6`) suffixes; non-zero values rounded away from zero to nano precision;
binary-SI values capped at 2^63-1; and the canonical serialisation (`1000m` -> `1`, `1.5Gi` ->
`1536Mi`). The value is an exact `Decimal`, so comparisons never lose precision.
"""

from __future__ import annotations

import decimal
import enum
import re
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["Format", "Quantity", "QuantityError", "parse_quantity"]


class QuantityError(ValueError):
    """The string is not a Kubernetes quantity."""


class Format(enum.Enum):
    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


# Exact arithmetic: enough precision for any value a string can spell, and exponents as wide as
# kube's int32 scale, so no operation here ever rounds or overflows silently.
_CTX = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.InvalidOperation]
)

_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_SUFFIX_BY_EXPONENT = {e: s for s, e in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_SUFFIX_BY_EXPONENT = {e: s for s, e in _BINARY_SUFFIXES.items()}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_EXPONENT = re.compile(r"[+-]?[0-9]+")
_MAX_INT32 = 2**31 - 1
_MAX_INT64 = 2**63 - 1
_MAX_BINARY = Decimal(_MAX_INT64)
_NANO = Decimal("1e-9")
_MAX_INT64_FACTORS = 18  # decimal digits that always fit an int64


@attrs.frozen(eq=False, order=False, repr=False)
class Quantity:
    """An exact quantity and the format it was written in. Equality and ordering are by value."""

    value: Decimal
    format: Format
    # The string kube-apiserver would keep verbatim when the input was already in canonical
    # form (kube caches the parsed string and serialises it unchanged); None means "canonical()".
    text: str | None = attrs.field(default=None)

    @classmethod
    def from_value(cls, value: Decimal | int | str, fmt: Format = Format.DECIMAL_SI) -> Quantity:
        return cls(Decimal(value), fmt)

    # -- value semantics -------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return _CTX.compare(self.value, other.value) == 0

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: Quantity) -> bool:
        return _CTX.compare(self.value, other.value) < 0

    def __le__(self, other: Quantity) -> bool:
        return _CTX.compare(self.value, other.value) <= 0

    def __gt__(self, other: Quantity) -> bool:
        return _CTX.compare(self.value, other.value) > 0

    def __ge__(self, other: Quantity) -> bool:
        return _CTX.compare(self.value, other.value) >= 0

    def compare(self, other: Quantity) -> int:
        """-1, 0 or 1, like kube's Cmp."""
        return int(_CTX.compare(self.value, other.value))

    def __add__(self, other: Quantity) -> Quantity:
        # As kube's Add: a zero receiver takes the other operand's format.
        fmt = other.format if self.value.is_zero() else self.format
        return Quantity(_CTX.add(self.value, other.value), fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.value.is_zero() else self.format
        return Quantity(_CTX.subtract(self.value, other.value), fmt)

    def __neg__(self) -> Quantity:
        return Quantity(_CTX.minus(self.value), self.format)

    def sign(self) -> int:
        if self.value.is_zero():
            return 0
        return -1 if self.value.is_signed() else 1

    def is_integer(self) -> bool:
        """True when the value is a whole number that fits an int64 (CEL's isInteger)."""
        if self.value.is_zero():
            return True
        if self.value.adjusted() > 19:
            return False
        integral = self.value.to_integral_value(rounding=decimal.ROUND_DOWN, context=_CTX)
        return integral == self.value and -(2**63) <= int(integral) <= _MAX_INT64

    def as_integer(self) -> int:
        """The value as an int64; raises QuantityError when it is fractional or out of range."""
        if not self.is_integer():
            raise QuantityError(f"quantity {self.canonical()} is not an int64")
        return int(self.value)

    def as_approximate_float(self) -> float:
        return float(self.value)

    # -- strings ---------------------------------------------------------------------------------

    def canonical(self) -> str:
        """kube's canonical form: no fractional digits, largest suffix, sign only when negative."""
        return _canonical(self.value, self.format)

    def serialized(self) -> str:
        """What kube-apiserver writes back: the input when it was already canonical, else canonical()."""
        return self.text if self.text is not None else self.canonical()

    def __str__(self) -> str:
        return self.serialized()

    def __repr__(self) -> str:
        return f"Quantity({self.serialized()!r}, {self.format.value})"


def parse_quantity(s: str) -> Quantity:
    """Parse a quantity string as kube's ParseQuantity does; raise QuantityError if it is not one."""
    if not isinstance(s, str) or not s:
        raise _format_error(s)
    if s == "0":
        return Quantity(Decimal(0), Format.DECIMAL_SI, "0")
    positive, num, denom, suffix = _split(s)
    base, exponent, fmt = _interpret(suffix, s)

    cached = _fast_path_text(s, num, denom, exponent, fmt)
    digits = (num + ("." + denom if denom else "")) or "0"
    amount = Decimal(digits)
    if base == 10:
        amount = amount.scaleb(exponent, context=_CTX)
    else:
        amount = _CTX.multiply(amount, Decimal(2**exponent))

    # Non-zero values round away from zero to nano: "if you want some resources, you should get some".
    exp = amount.as_tuple().exponent
    if not amount.is_zero() and isinstance(exp, int) and exp < -9:
        amount = amount.quantize(_NANO, rounding=decimal.ROUND_UP, context=_CTX)
    if fmt is Format.BINARY_SI and amount > _MAX_BINARY:
        amount = _MAX_BINARY
    if fmt is Format.BINARY_SI and 0 < amount < 1:
        fmt = Format.DECIMAL_SI
    if not positive:
        amount = _CTX.minus(amount)
    return Quantity(amount, fmt, cached)


def quantity_string(value: Any) -> str:
    """The string kube-apiserver stores for a JSON value in a quantity field (a string or a number)."""
    if isinstance(value, bool):
        raise QuantityError(f"quantity must be a string or a number, not {value!r}")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip()  # kube's UnmarshalJSON trims surrounding whitespace
    else:
        raise QuantityError(f"quantity must be a string or a number, not {value!r}")
    return parse_quantity(text).serialized()


# -- parsing ----------------------------------------------------------------------------------------


def _format_error(s: str) -> QuantityError:
    return QuantityError(
        f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' "
        f"(got {s!r})"
    )


def _split(s: str) -> tuple[bool, str, str, str]:
    """(positive, numerator digits without leading zeros, denominator digits, suffix)."""
    pos, end = 0, len(s)
    positive = True
    if s[0] in "+-":
        positive = s[0] == "+"
        pos = 1
    while pos < end and s[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and s[pos].isascii() and s[pos].isdigit():
        pos += 1
    num = s[start:pos] or "0"
    denom = ""
    if pos < end and s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos].isascii() and s[pos].isdigit():
            pos += 1
        denom = s[start:pos]
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos].isascii() and s[pos].isdigit():
        pos += 1
    if pos < end:
        raise _format_error(s)
    return positive, num, denom, s[suffix_start:]


def _interpret(suffix: str, s: str) -> tuple[int, int, Format]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and _EXPONENT.fullmatch(suffix[1:]):
        exponent = int(suffix[1:])
        if -_MAX_INT32 <= exponent <= _MAX_INT32:
            return 10, exponent, Format.DECIMAL_EXPONENT
    raise QuantityError(f"unable to parse quantity's suffix (got {s!r})")


def _fast_path_text(s: str, num: str, denom: str, exponent: int, fmt: Format) -> str | None:
    """The verbatim string kube keeps when its int64 fast path sees an already-canonical input."""
    if fmt is Format.BINARY_SI:
        if denom:
            return None
        precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        scale = 0
        mantissa = 1 << exponent
    else:
        precision = _MAX_INT64_FACTORS - (len(num) + len(denom))
        scale = exponent
        mantissa = 1
    if precision < 0:
        return None
    scale -= len(denom)
    if scale < -9:
        return None
    shifted = num + denom
    value = int(shifted)
    if value > _MAX_INT64 or value * mantissa > _MAX_INT64:
        return None
    if fmt is Format.BINARY_SI:
        return s if value & 0x07 != 0 else None
    if scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0":
        return s
    return None


# -- canonical form ---------------------------------------------------------------------------------


def _canonical(value: Decimal, fmt: Format) -> str:
    if value.is_zero():
        return "0"
    if fmt is Format.BINARY_SI:
        if -1024 < value < 1024 or value != value.to_integral_value(context=_CTX):
            # Small or fractional binary values read better (and lose nothing) in decimal SI.
            fmt = Format.DECIMAL_SI
        else:
            return _canonical_binary(int(value))
    return _canonical_decimal(value, fmt)


def _canonical_decimal(value: Decimal, fmt: Format) -> str:
    sign, digits, exp = value.normalize(context=_CTX).as_tuple()
    assert isinstance(exp, int)
    mantissa = int("".join(map(str, digits)))
    # Lower the exponent to a multiple of three, moving the factors of ten into the mantissa.
    shift = exp % 3
    mantissa *= 10**shift
    exp -= shift
    number = ("-" if sign else "") + str(mantissa)
    if fmt is Format.DECIMAL_SI and exp in _DECIMAL_SUFFIX_BY_EXPONENT:
        return number + _DECIMAL_SUFFIX_BY_EXPONENT[exp]
    # Decimal exponent, and decimal SI beyond `n`..`E`, which kube spells as an exponent.
    return number if exp == 0 else f"{number}e{exp}"


def _canonical_binary(value: int) -> str:
    magnitude = abs(value)
    exponent = 0
    while magnitude % 1024 == 0 and exponent < 60:
        magnitude //= 1024
        exponent += 10
    if magnitude % 1024 == 0:
        # Beyond `Ei` there is no binary suffix: fall back to an exact decimal spelling.
        return _canonical_decimal(Decimal(value), Format.DECIMAL_EXPONENT)
    number = ("-" if value < 0 else "") + str(magnitude)
    return number + (_BINARY_SUFFIX_BY_EXPONENT[exponent] if exponent else "")
