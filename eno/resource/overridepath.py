"""The override path grammar (spec reconciliation.md §6.2): parsing and printing.

    path    := section*            the first section must be the identifier `self`
    section := "."* ( Ident | "[" index "]" )
    index   := "*" | Int | String | Ident "=" String

Tokens: Ident `[a-zA-Z_][a-zA-Z0-9_]*`, String (double- or single-quoted, backslash escapes), Int `[0-9]+`,
punctuation `. [ ] = *`; whitespace between tokens is ignored. As in Eno, `.self.foo` and `self..foo` are
valid and `self foo` parses like `self.foo`. Unquoting a String strips its outer quotes and unescapes only
the escaped delimiter quote; other backslashes stay as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import attrs

_IDENT = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_INT = re.compile(r"[0-9]+")
_PUNCTUATION = ".[]=*"


class PathSyntaxError(ValueError):
    """The text is not a valid override path."""


@attrs.frozen
class Key:
    """A map key: `.name`, `["any key"]` or `['any key']`."""

    name: str


@attrs.frozen
class Index:
    """A list element by position: `[2]`."""

    index: int


@attrs.frozen
class Wildcard:
    """Every element of a list: `[*]`."""


@attrs.frozen
class Matcher:
    """Every list element that is a map whose string field `key` equals `value`: `[name="x"]`."""

    key: str
    value: str


Segment = Key | Index | Wildcard | Matcher


@attrs.frozen
class PathExpr:
    """A parsed path; `segments` are the sections after the leading `self`."""

    segments: tuple[Segment, ...]

    def __str__(self) -> str:
        return format_path(self)


@attrs.frozen
class _Token:
    kind: str  # "ident", "string", "int" or the punctuation character itself
    text: str  # identifier, unquoted string or digits; the character for punctuation
    offset: int


def _tokens(text: str) -> Iterator[_Token]:
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char in _PUNCTUATION:
            yield _Token(char, char, pos)
            pos += 1
            continue
        if char in "\"'":
            end = pos + 1
            while end < len(text) and text[end] != char:
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise PathSyntaxError(f"unterminated string starting at offset {pos}")
            raw = text[pos + 1 : end]
            yield _Token("string", raw.replace("\\" + char, char), pos)
            pos = end + 1
            continue
        match = _IDENT.match(text, pos) or _INT.match(text, pos)
        if match is None:
            raise PathSyntaxError(f"unexpected character {char!r} at offset {pos}")
        yield _Token("ident" if match.re is _IDENT else "int", match.group(), pos)
        pos = match.end()


@functools.lru_cache(maxsize=4096)
def parse_path(text: str) -> PathExpr:
    """Parse an override path. Raises PathSyntaxError (a ValueError) with a message saying what is wrong.

    Cached: the same override paths recur in every synthesis of every composition, and results are frozen.
    """
    return _Parser(list(_tokens(text))).path()


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, kind: str, what: str) -> _Token:
        token = self._peek()
        if token is None:
            raise PathSyntaxError(f"expected {what} at end of path")
        if token.kind != kind:
            raise PathSyntaxError(f"expected {what} at offset {token.offset}, found {token.text!r}")
        self.pos += 1
        return token

    def path(self) -> PathExpr:
        segments: list[Segment] = []
        first = True
        while self._peek() is not None:
            while (token := self._peek()) is not None and token.kind == ".":
                self.pos += 1
            if token is None:
                raise PathSyntaxError("path ends with '.'")
            if first:
                if token.kind != "ident" or token.text != "self":
                    raise PathSyntaxError("paths must start with `self.`")
                self.pos += 1
                first = False
                continue
            segments.append(self._section(token))
        if first:
            raise PathSyntaxError("paths must start with `self.`")
        return PathExpr(tuple(segments))

    def _section(self, token: _Token) -> Segment:
        if token.kind == "ident":
            self.pos += 1
            return Key(token.text)
        if token.kind != "[":
            raise PathSyntaxError(f"unexpected {token.text!r} at offset {token.offset}")
        self.pos += 1
        segment = self._index()
        self._take("]", "']'")
        return segment

    def _index(self) -> Segment:
        token = self._peek()
        if token is None:
            raise PathSyntaxError("expected an index after '[' at end of path")
        if token.kind == "*":
            self.pos += 1
            return Wildcard()
        if token.kind == "int":
            self.pos += 1
            return Index(int(token.text))
        if token.kind == "string":
            self.pos += 1
            return Key(token.text)
        if token.kind == "ident":
            self.pos += 1
            self._take("=", "'=' after the matcher key")
            value = self._take("string", "a quoted matcher value")
            return Matcher(token.text, value.text)
        raise PathSyntaxError(f"unexpected {token.text!r} after '[' at offset {token.offset}")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def format_segment(segment: Segment) -> str:
    if isinstance(segment, Key):
        if _IDENT.fullmatch(segment.name):
            return "." + segment.name
        return "[" + _quote(segment.name) + "]"
    if isinstance(segment, Index):
        return f"[{segment.index}]"
    if isinstance(segment, Wildcard):
        return "[*]"
    return f"[{segment.key}={_quote(segment.value)}]"


def format_path(path: PathExpr) -> str:
    """The canonical text of `path`: identifiers as `.name`, other keys double-quoted in brackets."""
    return "self" + "".join(format_segment(s) for s in path.segments)
