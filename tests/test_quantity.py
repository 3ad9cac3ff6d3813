"""Quantity parsing and canonical strings, with the cases of kube's resource/quantity_test.go as tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.quantity import Format, Quantity, QuantityError, parse_quantity, quantity_string

SI = Format.DECIMAL_SI
BIN = Format.BINARY_SI
EXP = Format.DECIMAL_EXPONENT


def d(mantissa: int, exponent: int) -> Decimal:
    return Decimal(mantissa).scaleb(exponent)


MAX_INT64 = Decimal(2**63 - 1)

# (input, exact value, format) -- TestQuantityParse
PARSE_CASES: list[tuple[str, Decimal, Format]] = [
    ("0", d(0, 0), SI),
    ("0n", d(0, 0), SI),
    ("0u", d(0, 0), SI),
    ("0m", d(0, 0), SI),
    ("0Ki", d(0, 0), BIN),
    ("0k", d(0, 0), SI),
    ("0Mi", d(0, 0), BIN),
    ("0M", d(0, 0), SI),
    ("0Gi", d(0, 0), BIN),
    ("0G", d(0, 0), SI),
    ("0Ti", d(0, 0), BIN),
    ("0T", d(0, 0), SI),
    ("1", d(1, 0), SI),
    ("1Ki", d(1024, 0), BIN),
    ("8Ki", d(8 * 1024, 0), BIN),
    ("7Mi", d(7 * 1024**2, 0), BIN),
    ("6Gi", d(6 * 1024**3, 0), BIN),
    ("5Ti", d(5 * 1024**4, 0), BIN),
    ("4Pi", d(4 * 1024**5, 0), BIN),
    ("3Ei", d(3 * 1024**6, 0), BIN),
    ("10Ti", d(10 * 1024**4, 0), BIN),
    ("100Ti", d(100 * 1024**4, 0), BIN),
    ("5n", d(5, -9), SI),
    ("4u", d(4, -6), SI),
    ("3m", d(3, -3), SI),
    ("9", d(9, 0), SI),
    ("8k", d(8, 3), SI),
    ("50k", d(5, 4), SI),
    ("7M", d(7, 6), SI),
    ("6G", d(6, 9), SI),
    ("5T", d(5, 12), SI),
    ("40T", d(4, 13), SI),
    ("300T", d(3, 14), SI),
    ("2P", d(2, 15), SI),
    ("1E", d(1, 18), SI),
    ("1E-3", d(1, -3), EXP),
    ("1e3", d(1, 3), EXP),
    ("1E6", d(1, 6), EXP),
    ("1e9", d(1, 9), EXP),
    ("1E12", d(1, 12), EXP),
    ("1e15", d(1, 15), EXP),
    ("1E18", d(1, 18), EXP),
    ("1e14", d(1, 14), EXP),
    ("1e13", d(1, 13), EXP),
    ("100.035k", d(100035, 0), SI),
    ("0.001", d(1, -3), SI),
    ("0.0005k", d(5, -1), SI),
    ("0.005", d(5, -3), SI),
    ("0.05", d(5, -2), SI),
    ("0.5", d(5, -1), SI),
    ("0.00050k", d(5, -1), SI),
    ("0.00500", d(5, -3), SI),
    ("0.05000", d(5, -2), SI),
    ("0.50000", d(5, -1), SI),
    ("0.5e0", d(5, -1), EXP),
    ("0.5e-1", d(5, -2), EXP),
    ("0.5e-2", d(5, -3), EXP),
    ("10.035M", d(10035, 3), SI),
    ("1.2e3", d(12, 2), EXP),
    ("1.3E+6", d(13, 5), EXP),
    ("1.40e9", d(14, 8), EXP),
    ("1.53E12", d(153, 10), EXP),
    ("1.6e15", d(16, 14), EXP),
    ("1.7E18", d(17, 17), EXP),
    ("9.01", d(901, -2), SI),
    ("8.1k", d(81, 2), SI),
    ("7.123456M", d(7123456, 0), SI),
    ("6.987654321G", d(6987654321, 0), SI),
    ("5.444T", d(5444, 9), SI),
    ("40.1T", d(401, 11), SI),
    ("300.2T", d(3002, 11), SI),
    ("2.5P", d(25, 14), SI),
    ("1.01E", d(101, 16), SI),
    # things that saturate or round (up, to nano)
    ("3.001n", d(4, -9), SI),
    ("1.1E-9", d(2, -9), EXP),
    ("0.0000000001", d(1, -9), SI),
    ("0.0000000005", d(1, -9), SI),
    ("0.00000000050", d(1, -9), SI),
    ("0.5e-9", d(1, -9), EXP),
    ("0.9n", d(1, -9), SI),
    ("0.00000012345", d(124, -9), SI),
    ("0.00000012354", d(124, -9), SI),
    ("9Ei", MAX_INT64, BIN),
    ("9223372036854775807Ki", MAX_INT64, BIN),
    ("12E", d(12, 18), SI),
    # fractional binary
    ("100.035Ki", d(10243584, -2), BIN),
    ("0.5Mi", d(512 * 1024, 0), BIN),
    ("0.05Gi", d(536870912, -1), BIN),
    ("0.025Ti", d(274877906944, -1), BIN),
    # written by trolls
    ("0.000000000001Ki", d(2, -9), SI),
    (".001", d(1, -3), SI),
    (".0001k", d(100, -3), SI),
    ("1.", d(1, 0), SI),
    ("1.G", d(1, 9), SI),
    (".", d(0, 0), SI),
    ("-.", d(0, 0), SI),
]


@pytest.mark.parametrize(("text", "value", "fmt"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse(text: str, value: Decimal, fmt: Format) -> None:
    q = parse_quantity(text)
    assert q.value == value
    assert q.format is fmt


@pytest.mark.parametrize(("text", "value", "fmt"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_signed(text: str, value: Decimal, fmt: Format) -> None:
    if text.startswith("-"):
        pytest.skip("already signed")
    assert parse_quantity("-" + text).value == -value
    assert parse_quantity("-" + text).format is fmt
    assert parse_quantity("+" + text).value == value
    assert parse_quantity("+" + text).format is fmt


INVALID = [
    "",
    "1.1.M",
    "1+1.0M",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01i",
    "-3.01e-",
    "1e4294967297",
    "1E2147483648",
    " 1",
    "1 ",
    "1e",
    "1e1.5",
    "1e_1",
    "\uff11",  # a non-ASCII digit
]


@pytest.mark.parametrize("text", INVALID, ids=[repr(t) for t in INVALID])
def test_invalid(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_error_is_a_value_error() -> None:
    assert issubclass(QuantityError, ValueError)


# (value, format, canonical, an alternate spelling that canonicalises to it) -- TestQuantityString
STRING_CASES: list[tuple[Decimal, Format, str, str]] = [
    (d(1024**3, 0), BIN, "1Gi", "1024Mi"),
    (d(300 * 1024**2, 0), BIN, "300Mi", "307200Ki"),
    (d(6 * 1024, 0), BIN, "6Ki", ""),
    (d(1001 * 1024**3, 0), BIN, "1001Gi", "1025024Mi"),
    (d(1024**4, 0), BIN, "1Ti", "1024Gi"),
    (d(5, 0), BIN, "5", "5000m"),
    (d(500, -3), BIN, "500m", "0.5"),
    (d(1, 9), SI, "1G", "1000M"),
    (d(1000, 6), SI, "1G", "0.001T"),
    (d(1000000, 3), SI, "1G", ""),
    (d(1000000000, 0), SI, "1G", ""),
    (d(1, -3), SI, "1m", "1000u"),
    (d(80, -3), SI, "80m", ""),
    (d(1080, -3), SI, "1080m", "1.08"),
    (d(108, -2), SI, "1080m", "1080000000n"),
    (d(10800, -4), SI, "1080m", ""),
    (d(300, 6), SI, "300M", ""),
    (d(1, 12), SI, "1T", ""),
    (d(1, 18), SI, "1E", ""),
    (d(1, 21), SI, "1e21", "1000E"),
    (d(5, 21), SI, "5e21", "5000E"),
    (d(1, 24), SI, "1e24", "1000000E"),
    (d(1, 70), BIN, "10e69", ""),
    (d(2, 70), BIN, "20e69", ""),
    (d(1, 72), BIN, "1e72", ""),
    (d(1234567, 6), SI, "1234567M", ""),
    (d(1234567, -3), BIN, "1234567m", ""),
    (d(3, 3), SI, "3k", ""),
    (d(1025, 0), BIN, "1025", ""),
    (d(0, 0), SI, "0", ""),
    (d(0, 0), BIN, "0", ""),
    (d(1, 9), EXP, "1e9", ".001e12"),
    (d(1, -3), EXP, "1e-3", "0.001e0"),
    (d(1, -9), EXP, "1e-9", "1000e-12"),
    (d(80, -3), EXP, "80e-3", ""),
    (d(300, 6), EXP, "300e6", ""),
    (d(1, 12), EXP, "1e12", ""),
    (d(1, 3), EXP, "1e3", ""),
    (d(3, 3), EXP, "3e3", ""),
    (d(0, 0), EXP, "0", "00"),
    (d(1, -9), SI, "1n", ""),
    (d(80, -9), SI, "80n", ""),
    (d(1080, -9), SI, "1080n", ""),
    (d(108, -8), SI, "1080n", ""),
    (d(10800, -10), SI, "1080n", ""),
    (d(1, -6), SI, "1u", ""),
    (d(80, -6), SI, "80u", ""),
    (d(1080, -6), SI, "1080u", ""),
    (Decimal(2**70), BIN, "1180591620717411303424", ""),
    (d(2000, 0), BIN, "2000", ""),
    (d(-2000, 0), BIN, "-2000", ""),
    (d(1, -12), SI, "1e-12", ""),
    (d(1, -10), SI, "100e-12", ""),
]


@pytest.mark.parametrize(
    ("value", "fmt", "expect", "alternate"), STRING_CASES, ids=[f"{c[2]}-{c[1].value}" for c in STRING_CASES]
)
def test_canonical(value: Decimal, fmt: Format, expect: str, alternate: str) -> None:
    q = Quantity(value, fmt)
    assert q.canonical() == expect
    if not value.is_zero() and not expect.startswith("-"):
        assert (-q).canonical() == "-" + expect
    if alternate:
        alt = parse_quantity(alternate)
        assert alt.text is None, "a non-canonical input is not kept verbatim"
        assert alt.canonical() == expect
        assert alt.serialized() == expect


@pytest.mark.parametrize(
    "text",
    # Binary values printed without a suffix re-parse as decimal SI, as in kube: leave them out.
    sorted(
        {c[2] for c in STRING_CASES if not c[2].startswith("-") and "e-12" not in c[2] and c[2] != "2000"}
    ),
)
def test_canonical_strings_round_trip(text: str) -> None:
    q = parse_quantity(text)
    assert q.serialized() == text
    assert q.canonical() == text


# TestQuantityParseEmit plus the examples of the API docs
EMIT_CASES = [
    ("1Ki", "1Ki"),
    ("1Mi", "1Mi"),
    ("1Gi", "1Gi"),
    ("1024Mi", "1Gi"),
    ("1000M", "1G"),
    (".001Ki", "1024m"),
    (".000001Ki", "1024u"),
    (".000000001Ki", "1024n"),
    (".000000000001Ki", "2n"),
    ("1000m", "1"),
    ("1.5Gi", "1536Mi"),
    ("1.5", "1500m"),
    ("0.1", "100m"),
    ("1e3", "1e3"),
    ("1024Ki", "1Mi"),
    ("1000", "1k"),
    ("1.0", "1"),
    ("100m", "100m"),
    ("0.5Ki", "512"),
    ("9Ei", "9223372036854775807"),
    ("-", "0"),
]


@pytest.mark.parametrize(("text", "expect"), EMIT_CASES, ids=[c[0] for c in EMIT_CASES])
def test_parse_emit(text: str, expect: str) -> None:
    assert parse_quantity(text).serialized() == expect
    neg = parse_quantity("-" + text.lstrip("-"))
    if neg.sign() != 0:
        assert neg.serialized() == "-" + expect


# kube keeps an already-canonical-looking input verbatim (its parse cache), quirks included.
VERBATIM_CASES = [
    ("1.500", "1.500"),
    ("+1", "+1"),
    ("1E3", "1E3"),
    ("12Ki", "12Ki"),
    ("1536Ki", "1536Ki"),
    ("2048Ki", "2Mi"),
    ("0m", "0"),
    ("0.500", "500m"),
]


@pytest.mark.parametrize(("text", "expect"), VERBATIM_CASES, ids=[c[0] for c in VERBATIM_CASES])
def test_serialized_keeps_canonical_input(text: str, expect: str) -> None:
    assert parse_quantity(text).serialized() == expect


CMP_CASES = [
    ("0", "0", 0),
    ("100m", "50m", 1),
    ("50m", "100m", -1),
    ("10000T", "100Gi", 1),
    ("1", "1000m", 0),
]


@pytest.mark.parametrize(("x", "y", "expect"), CMP_CASES, ids=[f"{c[0]}-vs-{c[1]}" for c in CMP_CASES])
def test_compare(x: str, y: str, expect: int) -> None:
    a, b = parse_quantity(x), parse_quantity(y)
    assert a.compare(b) == expect
    assert b.compare(a) == -expect
    assert (a == b) == (expect == 0)
    assert (a < b) == (expect < 0)
    assert (a > b) == (expect > 0)
    assert (a <= b) == (expect <= 0)
    assert (a >= b) == (expect >= 0)


def test_equal_values_hash_alike() -> None:
    assert len({parse_quantity("1"), parse_quantity("1000m"), parse_quantity("1e0")}) == 1


def test_neg() -> None:
    assert (-parse_quantity("9.01")).canonical() == "-9010m"


def test_arithmetic_keeps_format_of_non_zero_receiver() -> None:
    assert (parse_quantity("100m") + parse_quantity("0")).serialized() == "100m"
    assert (parse_quantity("0") + parse_quantity("1Gi")).serialized() == "1Gi"
    assert (parse_quantity("1Gi") - parse_quantity("512Mi")).serialized() == "512Mi"


@pytest.mark.parametrize(
    ("text", "is_int", "value"),
    [
        ("1k", True, 1000),
        ("1.5", False, None),
        ("9Ei", True, 2**63 - 1),
        ("1e19", False, None),
        ("-3", True, -3),
    ],
)
def test_integer(text: str, is_int: bool, value: int | None) -> None:
    q = parse_quantity(text)
    assert q.is_integer() is is_int
    if value is None:
        with pytest.raises(QuantityError):
            q.as_integer()
    else:
        assert q.as_integer() == value


def test_huge_exponent_is_fast() -> None:
    q = parse_quantity("1e2147483647")
    assert q > parse_quantity("9Ei")
    assert q.canonical() == "10e2147483646"


@pytest.mark.parametrize(
    ("raw", "expect"),
    [(1, "1"), (0.5, "500m"), ("  2Gi ", "2Gi"), ("2048Mi", "2Gi"), (1000, "1k"), (1e20, "100e18")],
)
def test_quantity_string_from_json(raw: object, expect: str) -> None:
    assert quantity_string(raw) == expect


@pytest.mark.parametrize("raw", [True, None, [], "x"])
def test_quantity_string_rejects(raw: object) -> None:
    with pytest.raises(QuantityError):
        quantity_string(raw)


@given(
    # below 2^63: larger binary values are capped on parse, as in kube
    mantissa=st.integers(min_value=-(10**9), max_value=10**9),
    exponent=st.integers(min_value=-9, max_value=9),
    fmt=st.sampled_from([SI, EXP, BIN]),
)
def test_canonical_round_trips(mantissa: int, exponent: int, fmt: Format) -> None:
    q = Quantity(d(mantissa, exponent), fmt)
    back = parse_quantity(q.canonical())
    assert back == q
    assert parse_quantity(back.canonical()).canonical() == back.canonical()
