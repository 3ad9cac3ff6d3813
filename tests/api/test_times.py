"""Go duration and Kubernetes Time text."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1.times import format_duration, format_time, parse_duration, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10),
        ("2m", 120),
        ("1h30m", 5400),
        ("300ms", 0.3),
        ("1.5m", 90),
        ("-1m", -60),
        ("+5s", 5),
        ("0", 0),
        ("1h0m0s", 3600),
        ("1us", 1e-6),
        ("1µs", 1e-6),
        ("1000ns", 1e-6),  # timedelta resolution is 1us
        (".5s", 0.5),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "s", "1x", "1 s", "1s ", "--1s", "1.s.s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (10, "10s"), (120, "2m0s"), (5400, "1h30m0s"), (1.5, "1.5s"), (0.3, "300ms")],
)
def test_format_duration_like_go(seconds: float, text: str) -> None:
    assert format_duration(dt.timedelta(seconds=seconds)) == text


@given(st.integers(-(10**7), 10**7))
def test_duration_round_trip(seconds: int) -> None:
    delta = dt.timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(
    "text",
    ["2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.5Z", "2024-05-01t12:00:00z"],
)
def test_parse_time(text: str) -> None:
    assert parse_time(text).astimezone(dt.UTC).replace(microsecond=0) == dt.datetime(
        2024, 5, 1, 12, tzinfo=dt.UTC
    )


@pytest.mark.parametrize("text", ["", "2024-05-01", "2024-05-01T12:00:00", "yesterday"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_format_time_is_utc_seconds() -> None:
    when = dt.datetime(2024, 5, 1, 14, 0, 0, 999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert format_time(when) == "2024-05-01T12:00:00Z"
