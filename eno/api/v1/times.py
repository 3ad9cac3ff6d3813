"""Kubernetes Time and Go duration text: the API keeps both as strings; these parse and format them.

Types store the text verbatim so that a round trip is exact; code that needs instants or intervals
parses at the point of use.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

_UNITS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5 micro sign
    "μs": 1e-6,  # U+03BC Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART: Final = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def duration_seconds(text: str) -> float:
    """Go's `time.ParseDuration`, in seconds: `[-+]?(number unit)+` or a bare `0` (nanoseconds kept).

    Raises ValueError whose message says what is wrong (for flags, which print it as is).
    """
    body = text
    sign = 1.0
    if body[:1] in ("+", "-"):
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    if not body:
        raise ValueError("not a duration (e.g. 30s, 5m, 1h30m)")
    total = 0.0
    position = 0
    while position < len(body):
        match = _PART.match(body, position)
        if match is None:
            number = re.match(r"\d+\.?\d*|\.\d+", body[position:])
            if number and number.end() == len(body) - position:
                raise ValueError("missing unit in duration (use ns, us, ms, s, m or h)")
            if number:
                unit = re.match(r"[^\d.]+", body[position + number.end() :])
                raise ValueError(
                    f'unknown unit "{unit.group(0) if unit else ""}" (use ns, us, ms, s, m or h)'
                )
            raise ValueError("not a duration (e.g. 30s, 5m, 1h30m)")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return sign * total


def parse_duration(text: str) -> dt.timedelta:
    """Parse a Go duration (`time.ParseDuration`): `10s`, `1h30m`, `-1.5m`, `300ms`, `0`.

    Precision is timedelta's (1 microsecond); nanoseconds below that are lost.

    Raises ValueError when the text is not a Go duration.
    """
    try:
        return dt.timedelta(seconds=duration_seconds(text))
    except ValueError:
        raise ValueError(f"invalid duration {text!r}") from None


def format_duration(delta: dt.timedelta) -> str:
    """Format like Go's `Duration.String` for whole and fractional seconds: `1h30m0s`, `10s`, `1.5s`, `0s`."""
    total = delta.total_seconds()
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 1:
        ms = total * 1000
        return f"{sign}{_trim(ms)}ms"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    out = sign
    if hours:
        out += f"{int(hours)}h"
    if hours or minutes:
        out += f"{int(minutes)}m"
    return out + f"{_trim(secs)}s"


def _trim(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_time(text: str) -> dt.datetime:
    """Parse a Kubernetes Time (RFC 3339, `Z` or an offset, optional fraction) into an aware datetime.

    Raises ValueError when the text is not RFC 3339.
    """
    if "T" not in text and "t" not in text:
        raise ValueError(f"invalid RFC 3339 time {text!r}")
    parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
    if parsed.tzinfo is None:
        raise ValueError(f"RFC 3339 time without a zone: {text!r}")
    return parsed


def format_time(when: dt.datetime) -> str:
    """Format as metav1.Time does: UTC, second precision, `Z` (`2024-05-01T12:00:00Z`)."""
    if when.tzinfo is None:
        raise ValueError("format_time needs an aware datetime")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    """The current time as metav1.Time text."""
    return format_time(dt.datetime.now(dt.UTC))
