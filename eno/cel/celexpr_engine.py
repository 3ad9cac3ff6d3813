"""The optional CEL engine on cel-expr-python (Google's C++ CEL runtime). Work in progress."""

from __future__ import annotations

from eno.cel.engine import Program


class CelExprEngine:
    name = "cel-expr-python"

    def __init__(self) -> None:
        raise ImportError("the cel-expr-python engine is not implemented yet")

    def compile(self, expression: str) -> Program:
        raise NotImplementedError
