"""The CEL engine interface Eno's resource logic codes against, and the per-engine program cache.

An engine compiles an expression (parse + check) into a Program; evaluating a Program with the variables
`self`, `composition` and (for override ops) `pathManagedByEno` returns plain Python values. Every failure,
at compile or at evaluation time, is a CelError: callers never see another exception type.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

DEFAULT_ENGINE = "cel-python"


class CelError(Exception):
    """A CEL expression failed to compile or to evaluate."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(f"{message} (in CEL expression {expression!r})")
        self.expression = expression
        self.message = message


class Program(Protocol):
    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate with JSON-like variables; return bool/int/float/str/bytes/list/dict/None."""
        ...


class Engine(Protocol):
    name: str

    def compile(self, expression: str) -> Program:
        """Compile `expression`; the same text returns the cached Program. Raises CelError."""
        ...


class ProgramCache:
    """Compiled programs by expression text, least recently used evicted beyond `max_size`.

    Eno keeps programs for as long as a synthesis is cached; one process-wide cache per engine gives the
    same reuse (the same expression text in every synthesis compiles once) while the bound keeps memory
    flat when expressions vary (e.g. generated per resource). Failed compilations are not cached.
    """

    def __init__(self, compile_uncached: Callable[[str], Program], max_size: int = 10_000) -> None:
        self._compile = compile_uncached
        self._programs: OrderedDict[str, Program] = OrderedDict()
        self._max_size = max_size

    def get(self, expression: str) -> Program:
        program = self._programs.get(expression)
        if program is not None:
            self._programs.move_to_end(expression)
            return program
        program = self._compile(expression)
        self._programs[expression] = program
        if len(self._programs) > self._max_size:
            self._programs.popitem(last=False)
        return program

    def __len__(self) -> int:
        return len(self._programs)

    def clear(self) -> None:
        self._programs.clear()


_engines: dict[str, Engine] = {}


def engine_named(name: str) -> Engine:
    """The shared engine called `name`: "cel-python" (default) or "cel-expr-python".

    Raises ValueError for an unknown name and ImportError when the engine's package is not installed.
    """
    engine = _engines.get(name)
    if engine is None:
        engine = _make_engine(name)
        _engines[name] = engine
    return engine


def default_engine() -> Engine:
    return engine_named(DEFAULT_ENGINE)


def available_engines() -> list[str]:
    """Names of the engines whose packages are installed here."""
    names = []
    for name in ("cel-python", "cel-expr-python"):
        try:
            engine_named(name)
        except ImportError:
            continue
        names.append(name)
    return names


def _make_engine(name: str) -> Engine:
    if name == "cel-python":
        from eno.cel.celpy_engine import CelPythonEngine

        return CelPythonEngine()
    if name == "cel-expr-python":
        from eno.cel.celexpr_engine import CelExprEngine

        return cast(Engine, CelExprEngine())
    raise ValueError(f"unknown CEL engine {name!r}; expected 'cel-python' or 'cel-expr-python'")
