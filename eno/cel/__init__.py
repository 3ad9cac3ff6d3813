"""Eno's CEL environment. Callers use `eno.cel.engine` only (CelError, Program, Engine, default_engine,
engine_named); the rest is per-engine machinery:

- `engine.py`: the interface, the program cache and engine selection ("cel-python" | "cel-expr-python").
- `celpy_engine.py`, `celpy_library.py`, `celpy_operators.py`, `celpy_values.py`: the default engine on
  cel-python, with cel-go's semantics where celpy differs.
- `celexpr_engine.py`, `composition_rewrite.py`: the optional engine on Google's cel-expr-python.
- `extensions.py`: cel-go's Encoders/Lists/Strings extensions and compareResourceQuantities, engine-neutral.

See docs/decisions/0300-cel-engines.md.
"""
