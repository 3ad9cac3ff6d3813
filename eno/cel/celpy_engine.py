"""The default CEL engine, on cel-python (celpy), with Eno's environment.

celpy parses with lark and interprets the tree. We add what Eno's cel-go environment has and celpy lacks:
cel-go's operators (heterogeneous numeric comparison), the Encoders/Lists/Strings extension libraries,
`compareResourceQuantities`, an exact has(), and compile-time checks for undeclared names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, Evaluator, base_functions

from eno.cel.celpy_library import FUNCTIONS, NAMESPACES
from eno.cel.celpy_values import string_map_absent_as_empty, to_cel, to_python, type_name
from eno.cel.engine import CelError, ProgramCache

VARIABLES = frozenset({"self", "composition", "pathManagedByEno"})


class _EnoEvaluator(Evaluator):
    """celpy's interpreter with cel-go's has() semantics and namespaced functions (`base64.encode`)."""

    def sub_evaluator(self, ast: lark.Tree[Any]) -> Evaluator:
        return _EnoEvaluator(ast, activation=self.activation)

    # relation, conditionaland, conditionalor and ident_value re-state celpy's own methods without its
    # runtime `cast(Tuple[Result, ...])` calls, which hash a large Union on every visit (a third of an
    # evaluation); && and || also stop at a decisive left operand, as cel-go does.

    def relation(self, tree: lark.Tree[Any]) -> Any:
        if len(tree.children) == 1:
            return self.visit(tree.children[0])
        left_op, right_tree = tree.children
        function = self.activation.resolve_function(_RELATIONS[left_op.data])
        left = self.visit(left_op.children[0])
        right = self.visit(right_tree)
        return _call(function, tree, left, right)

    def conditionaland(self, tree: lark.Tree[Any]) -> Any:
        return self._logical(tree, "_&&_", absorbing=False)

    def conditionalor(self, tree: lark.Tree[Any]) -> Any:
        return self._logical(tree, "_||_", absorbing=True)

    def _logical(self, tree: lark.Tree[Any], name: str, absorbing: bool) -> Any:
        if len(tree.children) == 1:
            return self.visit(tree.children[0])
        left = self.visit(tree.children[0])
        if isinstance(left, celtypes.BoolType) and bool(left) is absorbing:
            return left
        right = self.visit(tree.children[1])
        return _call(self.activation.resolve_function(name), tree, left, right)

    def ident_value(self, name: str, root_scope: bool = False) -> Any:
        try:
            return self.activation.identifiers.resolve_name(self.activation.package, name).value
        except KeyError:
            return self.activation.functions[name]

    def member_dot_arg(self, tree: lark.Tree[Any]) -> Any:
        qualified = _namespaced_call(tree)
        if qualified is None:
            if str(tree.children[1]) in _METHOD_MACROS and len(tree.children) == 3:
                return self._comprehension(tree)
            return super().member_dot_arg(tree)
        args = self.visit_children(tree.children[2]) if len(tree.children) == 3 else []
        return self.function_eval(lark.Token("IDENT", qualified), args)

    def _comprehension(self, tree: lark.Tree[Any]) -> Any:
        """all/exists/exists_one/map/filter with cel-go's semantics: over lists and map keys only;
        `all` is false and `exists` true despite errors in other elements; map(x, p, t) filters."""
        macro = str(tree.children[1])
        args = cast(lark.Tree[Any], tree.children[2]).children
        names = [str(i.children[0]) for i in cast(lark.Tree[Any], args[0]).find_data("ident")]
        if len(names) != 1 or len(args) not in (2, 3) or (len(args) == 3 and macro != "map"):
            return CELEvalError(f"invalid arguments to the {macro}() macro", ValueError, None)
        items = self.visit(tree.children[0])
        if isinstance(items, CELEvalError):
            return items
        if not isinstance(items, list | dict):
            return CELEvalError(f"no such overload: {type_name(items)}.{macro}()", TypeError, None)
        steps = [self.sub_evaluator(cast(lark.Tree[Any], arg)) for arg in args[1:]]

        def run(step: Evaluator, item: Any) -> Any:
            try:
                return step.evaluate({names[0]: item})
            except CELEvalError as error:
                return error

        if macro in ("all", "exists"):
            decisive = macro == "exists"
            failure: Any = None
            for item in items:
                value = run(steps[0], item)
                if isinstance(value, celtypes.BoolType):
                    if bool(value) is decisive:
                        return celtypes.BoolType(decisive)
                elif failure is None:
                    failure = value if isinstance(value, CELEvalError) else _no_bool(macro, value)
            return failure if failure is not None else celtypes.BoolType(not decisive)
        results: list[Any] = []
        for item in items:
            if macro == "map" and len(steps) == 1:
                value = run(steps[0], item)
            else:
                keep = run(steps[0], item)
                if not isinstance(keep, celtypes.BoolType):
                    return keep if isinstance(keep, CELEvalError) else _no_bool(macro, keep)
                if not keep:
                    continue
                value = run(steps[1], item) if macro == "map" else item
            if isinstance(value, CELEvalError):
                return value
            results.append(value)
        if macro == "exists_one":
            return celtypes.BoolType(len(results) == 1)
        return celtypes.ListType(results)

    def macro_has_eval(self, exprlist: lark.Tree[Any]) -> Any:
        # cel-go: has(e.f) is a membership test on the map e; an error evaluating e is an error.
        # celpy instead answers false for any error, and would read an absent annotation as present.
        member_dot = _only_member_dot(exprlist)
        if member_dot is None:
            return CELEvalError("invalid argument to has() macro", ValueError, None, tree=exprlist)
        member_tree, name_token = cast(tuple[lark.Tree[Any], lark.Token], member_dot.children)
        member = self.visit(member_tree)
        if isinstance(member, CELEvalError):
            return member
        if isinstance(member, dict):
            return celtypes.BoolType(dict.__contains__(member, name_token.value))
        return CELEvalError(
            f"has() applied to a value of type {type(member).__name__}, not a map", TypeError, None
        )


_RELATIONS = {
    "relation_lt": "_<_",
    "relation_le": "_<=_",
    "relation_ge": "_>=_",
    "relation_gt": "_>_",
    "relation_eq": "_==_",
    "relation_ne": "_!=_",
    "relation_in": "_in_",
}


def _call(function: Callable[..., Any], tree: lark.Tree[Any], *args: Any) -> Any:
    try:
        return function(*args)
    except TypeError as error:
        return CELEvalError(str(error) or "no such overload", TypeError, None, tree=tree)


_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member"}
)


def _no_bool(macro: str, value: Any) -> CELEvalError:
    return CELEvalError(f"no such overload: {macro}() predicate returned {type_name(value)}", TypeError, None)


def _namespace_ident(tree: lark.Tree[Any]) -> lark.Tree[Any] | None:
    """The `base64` ident node of the member_dot_arg node of `base64.encode(x)`, else None."""
    node: Any = tree.children[0]
    while isinstance(node, lark.Tree) and node.data in ("member", "primary") and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, lark.Tree) and node.data == "ident" and str(node.children[0]) in NAMESPACES:
        return node
    return None


def _namespaced_call(tree: lark.Tree[Any]) -> str | None:
    """ "base64.encode" for the member_dot_arg node of `base64.encode(x)`, else None."""
    ident = _namespace_ident(tree)
    return None if ident is None else f"{ident.children[0]}.{tree.children[1]}"


def collapse_wrappers(tree: lark.Tree[Any]) -> lark.Tree[Any]:
    """The tree without celpy's one-child wrapper nodes (expr, conditionalor, ..., member), whose
    methods only return their child's value: fewer visits per evaluation. Done once, at compile time."""
    while tree.data in _PASS_THROUGH and len(tree.children) == 1 and isinstance(tree.children[0], lark.Tree):
        tree = tree.children[0]
    for index, child in enumerate(tree.children):
        if isinstance(child, lark.Tree):
            tree.children[index] = collapse_wrappers(child)
    return tree


# cel-go's comprehension macros; celpy's extra `reduce` and `min` are not CEL and stay undeclared.
_METHOD_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_GLOBAL_MACROS = frozenset({"has", "dyn"})
_TYPE_IDENTIFIERS = frozenset(
    {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"}
)


def undeclared_reference(ast: lark.Tree[Any], functions: frozenset[str]) -> str | None:
    """The first identifier or function the expression uses that Eno's environment does not declare.

    cel-go rejects these at compile time; celpy would only fail when evaluation reaches them.
    """
    macro_variables: set[str] = set()
    namespace_idents: set[int] = set()
    for node in ast.iter_subtrees():
        if node.data != "member_dot_arg":
            continue
        ident = _namespace_ident(node)
        if ident is not None:
            namespace_idents.add(id(ident))
        elif str(node.children[1]) in _METHOD_MACROS and len(node.children) == 3:
            args = node.children[2]
            if isinstance(args, lark.Tree) and args.children:
                first = args.children[0]
                idents = first.find_data("ident") if isinstance(first, lark.Tree) else iter(())
                names = [str(ident.children[0]) for ident in idents]
                if len(names) == 1:
                    macro_variables.add(names[0])
    for node in ast.iter_subtrees():
        if node.data == "ident" and id(node) not in namespace_idents:
            name = str(node.children[0])
            if name not in VARIABLES and name not in macro_variables and name not in _TYPE_IDENTIFIERS:
                return f"undeclared reference to '{name}'"
        elif node.data == "ident_arg":
            name = str(node.children[0])
            if name not in _GLOBAL_MACROS and name not in functions:
                return f"undeclared reference to '{name}'"
        elif node.data == "member_dot_arg":
            qualified = _namespaced_call(node)
            name = qualified or str(node.children[1])
            if name not in functions and (qualified is not None or name not in _METHOD_MACROS):
                return f"undeclared reference to '{name}'"
    return None


def _only_member_dot(tree: lark.Tree[Any]) -> lark.Tree[Any] | None:
    """The member_dot node an has() argument consists of, descending through single-child wrappers."""
    node: Any = tree
    while isinstance(node, lark.Tree):
        if node.data == "member_dot":
            return node
        if len(node.children) != 1:
            return None
        node = node.children[0]
    return None


class _EnoRunner(celpy.InterpretedRunner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # celpy builds this activation per evaluation; each evaluation clones it before binding
        # variables, so one per program is enough and saves a third of a simple evaluation.
        self._activation = self.new_activation()

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return _EnoEvaluator(ast=self.ast, activation=self._activation).evaluate(context)


class CelPythonProgram:
    def __init__(self, expression: str, runner: _EnoRunner, references: frozenset[str]) -> None:
        self.expression = expression
        self._runner = runner
        self._references = references

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate with Eno's variables. A variable's value may be a zero-argument callable: it is
        only called when the expression references that variable (Eno binds pathManagedByEno lazily)."""
        try:
            activation = {
                name: _bind(name, value) for name, value in variables.items() if name in self._references
            }
            result = self._runner.evaluate(activation)
            return to_python(result)
        except CelError:
            raise
        except CELEvalError as error:
            raise CelError(self.expression, _eval_error_message(error)) from error
        except RecursionError as error:
            raise CelError(self.expression, "expression nested too deeply") from error
        except Exception as error:  # celpy raises assorted Python errors from deep inside
            raise CelError(self.expression, f"{type(error).__name__}: {error}") from error


def _bind(name: str, value: Any) -> Any:
    if callable(value):
        value = value()
    if name == "self" and value is None:
        return celtypes.MapType()  # Eno binds `{}` when the live object is absent
    if name == "composition":
        return composition_to_cel(value)
    return to_cel(value)


def composition_to_cel(composition: Any) -> Any:
    """The `composition` variable, with labels and annotations reading an absent key as ""."""
    if not isinstance(composition, Mapping):
        return to_cel(composition)
    converted = to_cel({k: v for k, v in composition.items() if k != "metadata"})
    metadata = composition.get("metadata")
    if isinstance(metadata, Mapping) or metadata is None:
        metadata = dict(metadata or {})
        cel_metadata = to_cel({k: v for k, v in metadata.items() if k not in ("labels", "annotations")})
        for key in ("labels", "annotations"):
            cel_metadata[celtypes.StringType(key)] = string_map_absent_as_empty(metadata.get(key))
        converted[celtypes.StringType("metadata")] = cel_metadata
    else:
        converted[celtypes.StringType("metadata")] = to_cel(metadata)
    return converted


def _eval_error_message(error: CELEvalError) -> str:
    message = str(error.args[0]) if error.args else "evaluation error"
    inner = error.args[2] if len(error.args) > 2 else None
    if message.startswith("undeclared reference to"):
        return message.split(" (in activation", 1)[0]
    if message.startswith("no such member in mapping: "):
        return "no such key: " + message.removeprefix("no such member in mapping: ")
    if isinstance(inner, tuple) and inner and isinstance(inner[0], str):
        if message.startswith("found no matching overload") or message == "no such overload":
            return inner[0]
        if message == "return error for overflow":
            # celpy labels every ValueError from a function "overflow"
            return "integer overflow" if inner[0] == "overflow" else inner[0]
        if message == "no such key":
            return f"no such key: {str(inner[0])!r}"
        if message == "invalid_argument" and "index out of range" in inner[0]:
            return "index out of range"
        return f"{message}: {inner[0]}"
    return message


class CelPythonEngine:
    name = "cel-python"

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        # celpy logs whole activations at DEBUG; a debug-level root logger must not make every
        # evaluation format the live object.
        logging.getLogger("celpy").setLevel(logging.INFO)
        self._environment = celpy.Environment(runner_class=_EnoRunner)
        self._functions: dict[str, Callable[..., Any]] = {**FUNCTIONS, **(functions or {})}
        self._known_functions = frozenset(base_functions) | frozenset(self._functions)
        self._cache = ProgramCache(self._compile_uncached)

    def compile(self, expression: str) -> CelPythonProgram:
        return cast(CelPythonProgram, self._cache.get(expression))

    def clear_cache(self) -> None:
        """Forget compiled programs (benchmarks measure compilation with it)."""
        self._cache.clear()

    def _compile_uncached(self, expression: str) -> CelPythonProgram:
        if not isinstance(expression, str):
            raise CelError(str(expression), "a CEL expression must be a string")
        try:
            ast = self._environment.compile(expression)
        except CELParseError as error:
            raise CelError(expression, f"syntax error: {_first_line(error)}") from error
        except RecursionError as error:
            raise CelError(expression, "expression nested too deeply") from error
        except Exception as error:
            raise CelError(expression, f"syntax error: {error}") from error
        try:
            undeclared = undeclared_reference(ast, self._known_functions)
            references = (
                frozenset(str(node.children[0]) for node in ast.iter_subtrees() if node.data == "ident")
                & VARIABLES
            )
            collapsed = collapse_wrappers(ast)
        except RecursionError as error:
            raise CelError(expression, "expression nested too deeply") from error
        if undeclared is not None:
            raise CelError(expression, undeclared)
        runner = cast(_EnoRunner, self._environment.program(collapsed, functions=self._functions))
        return CelPythonProgram(expression, runner, references)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
