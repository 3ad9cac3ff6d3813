"""Flags parsed as Go's `flag` package parses them, because Eno's manifests and users pass them that way.

Accepted: `-name`, `--name`, `--name=value`, `--name value`; booleans bare (`--debug`) or with `=`
(`--debug=false`; never `--debug false`, as in Go). Parsing stops at `--` or at the first argument that
is not a flag. Values are typed when parsed, so a bad value fails at start with one line naming the flag.
Durations use Go's syntax (`30s`, `1m30s`, `250ms`, `1h`) and become seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import attrs

from eno.api.v1.times import duration_seconds

_BOOL_TRUE: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_BOOL_FALSE: Final = frozenset({"0", "f", "F", "FALSE", "false", "False"})


# Go's time.ParseDuration in seconds; its ValueError message is the one line a bad flag prints.
parse_duration = duration_seconds


class FlagError(ValueError):
    """A command line that cannot be parsed; the message is the one line to print."""


class HelpRequested(Exception):
    """`-h`, `-help` or `--help`: print the usage and exit 0."""


def parse_bool(text: str) -> bool:
    """Go's strconv.ParseBool."""
    if text in _BOOL_TRUE:
        return True
    if text in _BOOL_FALSE:
        return False
    raise ValueError("not a boolean (true or false)")


def parse_int(text: str) -> int:
    # Go's strconv.ParseInt(s, 0, 64): 0x/0o/0b prefixes, no surrounding spaces.
    if text != text.strip():
        raise ValueError("not an integer")
    try:
        return int(text, 0)
    except ValueError:
        raise ValueError("not an integer") from None


def parse_float(text: str) -> float:
    if text != text.strip():
        raise ValueError("not a number")
    try:
        return float(text)
    except ValueError:
        raise ValueError("not a number") from None


def format_duration(seconds: float) -> str:
    """A duration as Go prints it for common values (`30s`, `5m0s`, `1h0m0s`, `250ms`, `0s`)."""
    if seconds == 0:
        return "0s"
    if abs(seconds) < 1:
        return f"{seconds * 1000:g}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{secs:g}s"
    if hours or minutes:
        out = f"{int(minutes)}m" + out
    if hours:
        out = f"{int(hours)}h" + out
    return out


@attrs.frozen
class Flag:
    name: str
    kind: str  # "string", "bool", "int", "float", "duration": the type shown in --help
    default: Any
    usage: str
    parse: Callable[[str], Any]
    # Where the default comes from when it is not a constant (shown in --help instead of the value).
    default_from: str = ""

    def default_text(self) -> str:
        if self.default_from:
            return self.default_from
        if self.kind == "duration":
            return format_duration(float(self.default))
        if self.kind == "string":
            return f'"{self.default}"' if self.default else ""
        if self.kind == "bool":
            return "true" if self.default else ""
        return f"{self.default}"


_PARSERS: Final[dict[str, Callable[[str], Any]]] = {
    "string": str,
    "bool": parse_bool,
    "int": parse_int,
    "float": parse_float,
    "duration": parse_duration,
}


class FlagSet:
    """A set of named flags with typed values; `parse(argv)` returns every flag's value by name."""

    def __init__(self, program: str, description: str = "") -> None:
        self.program = program
        self.description = description
        self.flags: dict[str, Flag] = {}

    def add(self, name: str, kind: str, default: Any, usage: str, *, default_from: str = "") -> None:
        if name in self.flags:
            raise ValueError(f"flag redefined: {name}")
        self.flags[name] = Flag(name, kind, default, usage, _PARSERS[kind], default_from)

    def add_string(self, name: str, default: str, usage: str, *, default_from: str = "") -> None:
        self.add(name, "string", default, usage, default_from=default_from)

    def add_bool(self, name: str, default: bool, usage: str) -> None:
        self.add(name, "bool", default, usage)

    def add_int(self, name: str, default: int, usage: str) -> None:
        self.add(name, "int", default, usage)

    def add_float(self, name: str, default: float, usage: str) -> None:
        self.add(name, "float", default, usage)

    def add_duration(self, name: str, default: float, usage: str) -> None:
        self.add(name, "duration", default, usage)

    def parse(self, argv: Sequence[str]) -> dict[str, Any]:
        """Values of every flag (defaults for those not given); raises FlagError or HelpRequested."""
        values = {name: flag.default for name, flag in self.flags.items()}
        args = list(argv)
        while args:
            arg = args.pop(0)
            if len(arg) < 2 or arg[0] != "-":
                raise FlagError(f"unexpected argument {arg!r}: {self.program} takes flags only")
            dashes = 2 if arg[1] == "-" else 1
            if arg == "--":
                if args:
                    raise FlagError(f"unexpected argument {args[0]!r}: {self.program} takes flags only")
                break
            body = arg[dashes:]
            if not body or body[0] in "-=":
                raise FlagError(f"bad flag syntax: {arg}")
            name, has_value, value = body.partition("=")
            if name in ("h", "help") and name not in self.flags:
                raise HelpRequested()
            flag = self.flags.get(name)
            if flag is None:
                raise FlagError(f"flag provided but not defined: -{name}")
            if flag.kind == "bool" and not has_value:
                values[name] = True
                continue
            if not has_value:
                if not args:
                    raise FlagError(f"flag needs an argument: -{name}")
                value = args.pop(0)
            try:
                values[name] = flag.parse(value)
            except ValueError as err:
                raise FlagError(f'invalid value "{value}" for flag -{name}: {err}') from None
        return values

    def usage(self) -> str:
        lines = [f"Usage: {self.program} [flags]"]
        if self.description:
            lines += ["", self.description]
        lines += [
            "",
            "Flags (-name or --name; --name=value or --name value; booleans --name or --name=false):",
        ]
        for flag in sorted(self.flags.values(), key=lambda f: f.name):
            kind = "" if flag.kind == "bool" else f" {flag.kind}"
            lines.append(f"  --{flag.name}{kind}")
            usage = flag.usage
            default = flag.default_text()
            if default:
                usage += f" (default {default})"
            lines.append(f"        {usage}")
        return "\n".join(lines)
