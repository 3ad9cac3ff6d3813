"""What a synthesizer wrote: parsed, validated, or refused with a message a user can act on.

Every refusal here keeps the composition's current synthesis and its slices untouched: the message goes
on the in-flight synthesis as an error result. The checks are Eno's (valid JSON; each item parses
strictly: apiVersion, kind, metadata.name, Eno annotations) plus two of ours: the document must be a
ResourceList, and stdout is bounded (`--max-synthesis-output`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.common import Result
from eno.cel.engine import Engine
from eno.resource.resource import preflight

Obj = dict[str, Any]

MAX_REPORTED_ITEM_ERRORS: Final = 3


class OutputError(Exception):
    """The output cannot be used; the message is shown on the composition."""


@attrs.frozen
class Output:
    items: tuple[Obj, ...]
    results: tuple[Result, ...]

    @property
    def error(self) -> str | None:
        """The first result whose severity is exactly "error" (others are informational)."""
        return next((r.message for r in self.results if r.severity == c.RESULT_SEVERITY_ERROR), None)


def exit_error(code: int) -> str:
    if code == 127:
        return (
            f"exit status {code} (likely a mismatch between the Synthesizer object and container image; "
            "see synthesis pod logs for more details)"
        )
    return f"exit status {code} (see synthesis pod logs for more details)"


def parse_output(stdout: bytes) -> Output:
    """The ResourceList on stdout; raises OutputError."""
    try:
        doc = json.loads(stdout)
    except (ValueError, RecursionError):
        raise OutputError("the synthesizer process wrote invalid json to stdout") from None
    if not isinstance(doc, dict):
        raise OutputError(
            f"the synthesizer process wrote a JSON {_json_type(doc)} to stdout, not a ResourceList"
        )
    kind = doc.get("kind")
    if kind != c.KRM_KIND:
        what = f"kind {kind!r}" if isinstance(kind, str) and kind else "an object without kind"
        raise OutputError(f"the synthesizer process wrote {what} to stdout, not a ResourceList")
    items = doc.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise OutputError(f"the ResourceList's items is a JSON {_json_type(items)}, not a list")
    raw_results = doc.get("results")
    if raw_results is not None and not isinstance(raw_results, list):
        raise OutputError(f"the ResourceList's results is a JSON {_json_type(raw_results)}, not a list")
    results = tuple(_result(r) for r in raw_results or ())
    return Output(tuple(items), results)


def _result(raw: Any) -> Result:
    if not isinstance(raw, Mapping):
        raise OutputError(f"a ResourceList result is a JSON {_json_type(raw)}, not an object")
    tags = raw.get("tags")
    return Result(
        message=str(raw.get("message") or ""),
        severity=str(raw.get("severity") or ""),
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
    )


def validate_items(items: Sequence[Any], engine: Engine) -> list[str]:
    """Eno's strict preflight on every output item; one message per problem."""
    problems: list[str] = []
    for index, item in enumerate(items):
        for err in preflight(item, engine, index):
            # Errors found once the identity is known name the resource; say which item it is too.
            slot = f"items[{index}]"
            problems.append(str(err) if err.resource == slot else f"{slot} {err}")
    return problems


def check_items(items: Sequence[Any], engine: Engine) -> None:
    """Raise OutputError naming the first few invalid items."""
    problems = validate_items(items, engine)
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED_ITEM_ERRORS])
        more = len(problems) - MAX_REPORTED_ITEM_ERRORS
        suffix = f" (and {more} more)" if more > 0 else ""
        raise OutputError(f"invalid output: {shown}{suffix}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def read_result(exit_code: int, stdout: bytes, engine: Engine) -> Output:
    """A finished run, judged as Eno's executor does: exit code, then the document, then every item."""
    if exit_code != 0:
        raise OutputError(exit_error(exit_code))
    out = parse_output(stdout)
    check_items(out.items, engine)
    return out
