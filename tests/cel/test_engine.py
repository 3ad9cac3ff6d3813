"""The engine interface: caching by expression text, errors as CelError, engine selection."""

from __future__ import annotations

import pytest

from eno.cel.engine import (
    CelError,
    Engine,
    Program,
    ProgramCache,
    available_engines,
    default_engine,
    engine_named,
)


def test_default_engine_is_cel_python() -> None:
    assert default_engine().name == "cel-python"
    assert default_engine() is engine_named("cel-python")


def test_compiled_programs_are_cached_by_expression_text() -> None:
    engine = default_engine()
    assert engine.compile("self.a == 1") is engine.compile("self.a == 1")
    assert engine.compile("self.a == 1") is not engine.compile("self.a == 2")


def test_unknown_engine_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown CEL engine"):
        engine_named("cel-rust")


def test_cel_error_carries_expression_and_message() -> None:
    with pytest.raises(CelError) as caught:
        default_engine().compile("1 +")
    assert caught.value.expression == "1 +"
    assert caught.value.message.startswith("syntax error")


def test_program_cache_evicts_least_recently_used() -> None:
    compiled: list[str] = []

    def compile_uncached(expression: str) -> Program:
        compiled.append(expression)
        return default_engine().compile(expression)

    cache = ProgramCache(compile_uncached, max_size=2)
    cache.get("1")
    cache.get("2")
    cache.get("1")  # "2" is now the least recently used
    cache.get("3")
    assert len(cache) == 2
    cache.get("1")
    cache.get("2")
    assert compiled == ["1", "2", "3", "2"]


def test_failed_compilation_is_not_cached_and_raises_every_time() -> None:
    engine = default_engine()
    for _ in range(2):
        with pytest.raises(CelError):
            engine.compile("self.")


@pytest.mark.parametrize("engine_name", available_engines())
def test_every_engine_implements_the_protocol(engine_name: str) -> None:
    engine: Engine = engine_named(engine_name)
    assert engine.name == engine_name
    program: Program = engine.compile("self.a + 1")
    assert program.evaluate({"self": {"a": 1}}) == 2


def test_non_string_expression_is_a_cel_error() -> None:
    with pytest.raises(CelError):
        default_engine().compile(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine_name", available_engines())
def test_a_failing_lazy_variable_is_a_cel_error(engine_name: str) -> None:
    def broken() -> bool:
        raise RuntimeError("managed fields unreadable")

    program = engine_named(engine_name).compile("pathManagedByEno")
    with pytest.raises(CelError, match="managed fields unreadable"):
        program.evaluate({"self": {}, "pathManagedByEno": broken})


@pytest.mark.parametrize("engine_name", available_engines())
def test_a_value_that_is_not_json_is_a_cel_error(engine_name: str) -> None:
    with pytest.raises(CelError):
        engine_named(engine_name).compile("self.a").evaluate({"self": {"a": object()}})
