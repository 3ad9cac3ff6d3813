"""The JSONPath subset kube uses for CRD printer columns (k8s.io/client-go/util/jsonpath).

Supported: `.a.b`, `['a']`, `["a"]`, escaped dots in names (`.metadata.labels.example\\.com/x`), `[0]`,
`[-1]`, slices `[1:3]`/`[::2]`, unions `[0,2]`/`['a','b']`, wildcards `.*`/`[*]`, recursive descent
`..name`, and filters `[?(@.type=="Ready")]` with ==, !=, <, <=, >, >= or a bare existence test. A leading
`$` and surrounding `{}` are accepted. Missing members yield no result (kube evaluates printer columns with
missing keys allowed), so `find` returns a possibly empty list of values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import attrs


class JSONPathError(ValueError):
    pass


@attrs.frozen
class _Field:
    names: tuple[str, ...]  # a union when more than one


@attrs.frozen
class _Wildcard:
    pass


@attrs.frozen
class _Recursive:
    pass


@attrs.frozen
class _Index:
    indices: tuple[int, ...]


@attrs.frozen
class _Slice:
    start: int | None
    stop: int | None
    step: int | None


@attrs.frozen
class _Filter:
    left: tuple[Any, ...] | Any  # a relative path (tuple of steps) or a literal
    op: str  # "exists" or a comparison
    right: tuple[Any, ...] | Any = None


_Step = _Field | _Wildcard | _Recursive | _Index | _Slice | _Filter
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")


class _Path:
    """A relative path inside a filter: a tuple of steps marked as a path (not a literal)."""

    def __init__(self, steps: tuple[_Step, ...]) -> None:
        self.steps = steps


def _parse_steps(text: str) -> list[_Step]:
    steps: list[_Step] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == ".":
            if text.startswith("..", i):
                steps.append(_Recursive())
                i += 2
                continue
            i += 1
            if i < n and text[i] == "*":
                steps.append(_Wildcard())
                i += 1
                continue
            name, i = _read_name(text, i)
            if name:
                steps.append(_Field((name,)))
        elif ch == "[":
            end = _matching_bracket(text, i)
            steps.append(_parse_bracket(text[i + 1 : end].strip()))
            i = end + 1
        elif ch == "*":
            steps.append(_Wildcard())
            i += 1
        else:
            # A bare name after `..` or at the start (`metadata.name`).
            name, i = _read_name(text, i)
            if not name:
                raise JSONPathError(f"unrecognized character in action: {text[i]!r}")
            steps.append(_Field((name,)))
    return steps


def _read_name(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text) and text[i] not in ".[":
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if text[i] in " ()=!<>":
            break
        out.append(text[i])
        i += 1
    return "".join(out), i


def _matching_bracket(text: str, start: int) -> int:
    depth = 0
    quote: str | None = None
    for j in range(start, len(text)):
        ch = text[j]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return j
    raise JSONPathError(f"unclosed array expect ]: {text[start:]}")


def _parse_bracket(inner: str) -> _Step:
    if inner == "*":
        return _Wildcard()
    if inner.startswith("?"):
        body = inner[1:].strip()
        if not (body.startswith("(") and body.endswith(")")):
            raise JSONPathError(f"invalid filter: {inner}")
        return _parse_filter(body[1:-1].strip())
    if inner[:1] in "'\"":
        names = tuple(_unquote(part.strip()) for part in _split_union(inner))
        return _Field(names)
    if ":" in inner:
        parts = [p.strip() for p in inner.split(":")]
        if len(parts) > 3:
            raise JSONPathError(f"invalid array index: {inner}")
        nums = [int(p) if p else None for p in parts] + [None] * (3 - len(parts))
        return _Slice(nums[0], nums[1], nums[2])
    try:
        return _Index(tuple(int(p.strip()) for p in inner.split(",")))
    except ValueError:
        raise JSONPathError(f"invalid array index: {inner}") from None


def _split_union(inner: str) -> list[str]:
    parts: list[str] = []
    quote: str | None = None
    start = 0
    for j, ch in enumerate(inner):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append(inner[start:j])
            start = j + 1
    parts.append(inner[start:])
    return parts


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    raise JSONPathError(f"invalid quoted name: {text}")


def _parse_operand(text: str) -> Any:
    text = text.strip()
    if text.startswith("@"):
        return _Path(tuple(_parse_steps(text[1:])))
    if text[:1] in "'\"":
        return _unquote(text)
    if _NUMBER_RE.fullmatch(text):
        return float(text) if "." in text else int(text)
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    raise JSONPathError(f"unrecognized filter operand: {text}")


def _parse_filter(expr: str) -> _Filter:
    quote: str | None = None
    for j, ch in enumerate(expr):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            continue
        for op in _OPERATORS:
            if expr.startswith(op, j):
                return _Filter(_parse_operand(expr[:j]), op, _parse_operand(expr[j + len(op) :]))
    return _Filter(_parse_operand(expr), "exists")


@functools.lru_cache(maxsize=512)
def parse(expression: str) -> tuple[_Step, ...]:
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    return tuple(_parse_steps(text))


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [value[k] for k in sorted(value)]
    if isinstance(value, list):
        return list(value)
    return []


def _apply(step: _Step, values: list[Any]) -> list[Any]:
    out: list[Any] = []
    if isinstance(step, _Field):
        for value in values:
            if isinstance(value, Mapping):
                out.extend(value[name] for name in step.names if name in value)
    elif isinstance(step, _Wildcard):
        for value in values:
            out.extend(_children(value))
    elif isinstance(step, _Recursive):
        stack = list(values)
        while stack:
            value = stack.pop(0)
            children = _children(value)
            if children:
                out.append(value)
                stack[:0] = children
    elif isinstance(step, _Index):
        for value in values:
            if isinstance(value, list):
                for idx in step.indices:
                    if -len(value) <= idx < len(value):
                        out.append(value[idx])
    elif isinstance(step, _Slice):
        for value in values:
            if isinstance(value, list):
                out.extend(value[step.start : step.stop : step.step])
    else:
        for value in values:
            out.extend(item for item in _children(value) if _matches(step, item))
    return out


def _resolve(operand: Any, item: Any) -> list[Any]:
    if isinstance(operand, _Path):
        return _evaluate(operand.steps, [item])
    return [operand]


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return bool(a == b) and (isinstance(a, bool) == isinstance(b, bool))
    if op == "!=":
        return not _compare("==", a, b)
    numeric = (int, float)
    if (
        isinstance(a, numeric)
        and isinstance(b, numeric)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        pass
    elif not (isinstance(a, str) and isinstance(b, str)):
        return False
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _matches(step: _Filter, item: Any) -> bool:
    left = _resolve(step.left, item)
    if step.op == "exists":
        return bool(left)
    right = _resolve(step.right, item)
    return any(_compare(step.op, a, b) for a in left for b in right)


def _evaluate(steps: tuple[_Step, ...], values: list[Any]) -> list[Any]:
    for step in steps:
        values = _apply(step, values)
        if not values:
            break
    return values


def find(obj: Any, expression: str) -> list[Any]:
    """All values the expression selects in `obj` (empty when nothing matches). Raises JSONPathError."""
    return _evaluate(parse(expression), [obj])
