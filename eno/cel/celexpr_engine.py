"""The optional CEL engine on cel-expr-python, Google's C++ CEL runtime (the `fast-cel` extra).

It parses and type-checks like cel-go, so `self.spec.replicas == 3.0` already works and a literal type
mismatch (`1 + "a"`) is a compile error as in Eno. Added here: the Lists extension (cel-expr-python ships
Strings and Encoders only), compareResourceQuantities, and the composition absent-key rule, which the
runtime has no hook for: reads of `composition.metadata.labels`/`annotations` are rewritten at compile
time into a lookup function that answers "" for an absent key (has() and `in` stay exact).
"""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from eno.cel import extensions
from eno.cel.celpy_operators import cel_equals
from eno.cel.celpy_values import duration_string, rfc3339
from eno.cel.composition_rewrite import STRING_MAP_GET, rewrite_composition_reads
from eno.cel.engine import CelError, ProgramCache

# Imported by name: the package ships .pyi files but no py.typed marker, and it is an optional extra.
# An ImportError here tells engine_named() the engine is unavailable.
cel: Any = importlib.import_module("cel_expr_python.cel")
ext_strings: Any = importlib.import_module("cel_expr_python.ext.ext_strings")
ext_encoders: Any = importlib.import_module("cel_expr_python.ext.ext_encoders")

_VARIABLE_NAMES = ("self", "composition", "pathManagedByEno")
_LIST = cel.Type.List(cel.Type.DYN)
_MAP = cel.Type.Map(cel.Type.DYN, cel.Type.DYN)


def _declare(name: str, *overloads: tuple[str, Any, list[Any], bool, Callable[..., Any]]) -> Any:
    return cel.FunctionDecl(
        name,
        [
            cel.Overload(overload_id, return_type, parameters, is_member=member, impl=impl)
            for overload_id, return_type, parameters, member, impl in overloads
        ],
    )


def _map_get(mapping: Mapping[Any, Any], key: str) -> Any:
    return mapping.get(key, "")


def _distinct(items: list[Any]) -> list[Any]:
    return extensions.distinct(items, cel_equals)


def _functions() -> list[Any]:
    string, integer = cel.Type.STRING, cel.Type.INT
    return [
        _declare(
            "compareResourceQuantities",
            ("compare_resource_quantities", integer, [string, string], False, _compare_quantities),
        ),
        _declare("slice", ("list_slice", _LIST, [_LIST, integer, integer], True, extensions.slice_list)),
        _declare(
            "flatten",
            ("list_flatten", _LIST, [_LIST], True, extensions.flatten),
            ("list_flatten_int", _LIST, [_LIST, integer], True, extensions.flatten),
        ),
        _declare("sort", ("list_sort", _LIST, [_LIST], True, extensions.sort_list)),
        _declare("distinct", ("list_distinct", _LIST, [_LIST], True, _distinct)),
        # Strings' reverse is declared here too: one declaration may carry both overloads, so the
        # Strings extension is loaded at version 2 (before it gained reverse).
        _declare(
            "reverse",
            ("list_reverse", _LIST, [_LIST], True, extensions.reverse),
            ("string_reverse", string, [string], True, extensions.reverse),
        ),
        _declare("lists.range", ("lists_range", _LIST, [integer], False, extensions.lists_range)),
        _declare(STRING_MAP_GET, ("eno_string_map_get", cel.Type.DYN, [_MAP, string], False, _map_get)),
    ]


def _compare_quantities(a: str, b: str) -> int:
    return extensions.compare_resource_quantities(a, b)


class CelExprProgram:
    def __init__(self, expression: str, compiled: Any, env: Any, references: frozenset[str]) -> None:
        self.expression = expression
        self._compiled = compiled
        self._references = references

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """As CelPythonProgram.evaluate: zero-argument callables are resolved only when referenced."""
        try:
            data = {name: _bind(name, value) for name, value in variables.items() if name in self._references}
            result = self._compiled.eval(data=data)
            if result.type() == cel.Type.ERROR:
                raise CelError(self.expression, _clean_message(str(result.value())))
            return _plain(result.plain_value())
        except CelError:
            raise
        except Exception as error:
            raise CelError(self.expression, _clean_message(f"{type(error).__name__}: {error}")) from error


def _bind(name: str, value: Any) -> Any:
    if callable(value):
        value = value()
    if name == "self" and value is None:
        return {}
    if name == "composition" and isinstance(value, Mapping):
        metadata = value.get("metadata")
        if isinstance(metadata, Mapping) or metadata is None:
            metadata = dict(metadata or {})
            for key in ("labels", "annotations"):
                if metadata.get(key) is None:
                    metadata[key] = {}
            return {**value, "metadata": metadata}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, datetime.datetime):
        return rfc3339(value)
    if isinstance(value, datetime.timedelta):
        return duration_string(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, cel.Type):
        name = value.name().split("<", 1)[0].lower()  # "map<dyn, dyn>" -> "map", as cel-go prints it
        return "null_type" if name == "null" else name
    return value


_LOCATION = re.compile(r"^(?:[A-Z_]+: )?(?:ERROR: )?<input>:\d+:\d+: ")


def _clean_message(message: str) -> str:
    """cel-cpp's status text, reduced to its first line and phrased like the cel-python engine's."""
    first = message.strip().splitlines()[0] if message.strip() else message
    first = _LOCATION.sub("", first)
    first = re.sub(r"^[A-Z_]+: ", "", first)
    first = first.replace("Syntax error: ", "syntax error: ")
    first = first.replace("found no matching overload", "no such overload").replace(
        "No matching overloads found", "no such overload"
    )
    first = re.sub(r'^Key not found in map : "(.*)"$', r"no such key: '\1'", first)
    first = re.sub(r"^Index error: index=.*", "index out of range", first)
    return first.replace(" (in container '')", "")


class CelExprEngine:
    name = "cel-expr-python"

    def __init__(self) -> None:
        self._env = cel.NewEnv(
            variables={"self": cel.Type.DYN, "composition": cel.Type.DYN, "pathManagedByEno": cel.Type.BOOL},
            extensions=[ext_strings.ExtStrings(version=2), ext_encoders.ExtEncoders()],
            functions=_functions(),
        )
        self._cache = ProgramCache(self._compile_uncached)

    def compile(self, expression: str) -> CelExprProgram:
        program = self._cache.get(expression)
        assert isinstance(program, CelExprProgram)
        return program

    def clear_cache(self) -> None:
        """Forget compiled programs (benchmarks measure compilation with it)."""
        self._cache.clear()

    def _compile_uncached(self, expression: str) -> CelExprProgram:
        if not isinstance(expression, str):
            raise CelError(str(expression), "a CEL expression must be a string")
        source = rewrite_composition_reads(expression)
        try:
            compiled = self._env.compile(source)
        except Exception as error:
            raise CelError(expression, _clean_message(str(error))) from error
        references = frozenset(
            name for name in _VARIABLE_NAMES if re.search(rf"\b{name}\b", expression) is not None
        )
        return CelExprProgram(expression, compiled, self._env, references)
