"""The engine interface: caching by expression text, errors as CelError, engine selection."""

from __future__ import annotations

import pytest

from eno.cel.engine import CelError, default_engine, engine_named


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
