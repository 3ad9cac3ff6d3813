"""Source rewrite that gives engines without a map hook Eno's composition absent-key rule.

`composition.metadata.annotations["k"]` and `composition.metadata.labels.k` become
`STRING_MAP_GET(composition.metadata.annotations, "k")`, a function answering "" for an absent key.
The argument of has() and the right side of `in` are left alone, so membership stays exact. Reads
through an alias (a comprehension variable bound to the map) are not rewritten. The expression is
parsed with cel-python's grammar; text it cannot parse is returned unchanged for the engine to judge.
"""

from __future__ import annotations

import json
from typing import Any

import lark
from celpy.celparser import CELParser

STRING_MAP_GET = "__eno_string_map_get__"

_STRING_MAPS = (("composition", "metadata", "labels"), ("composition", "metadata", "annotations"))
_parser: CELParser | None = None


def rewrite_composition_reads(expression: str) -> str:
    if "composition" not in expression or ("labels" not in expression and "annotations" not in expression):
        return expression
    global _parser
    if _parser is None:
        _parser = CELParser()
    try:
        tree = _parser.parse(expression)
    except Exception:
        return expression
    exempt = {id(node) for node in _has_arguments(tree)}
    return _render(expression, tree, exempt)


def _has_arguments(tree: lark.Tree[Any]) -> list[lark.Tree[Any]]:
    found = []
    for node in tree.iter_subtrees():
        if node.data == "ident_arg" and str(node.children[0]) == "has" and len(node.children) == 2:
            inner: Any = node.children[1]
            while isinstance(inner, lark.Tree) and inner.data != "member_dot" and len(inner.children) == 1:
                inner = inner.children[0]
            if isinstance(inner, lark.Tree) and inner.data == "member_dot":
                found.append(inner)
    return found


def _render(source: str, node: lark.Tree[Any], exempt: set[int]) -> str:
    """The source text of `node` with every string-map read inside it rewritten."""
    if id(node) not in exempt and node.data in ("member_dot", "member_index"):
        member = node.children[0]
        if isinstance(member, lark.Tree) and _path(member) in _STRING_MAPS:
            if node.data == "member_dot":
                key = json.dumps(str(node.children[1]))
            else:
                key = _render(source, node.children[1], exempt)
            return f"{STRING_MAP_GET}({_text(source, member)}, {key})"
    pieces: list[str] = []
    position = node.meta.start_pos
    for child in node.children:
        if not isinstance(child, lark.Tree) or getattr(child.meta, "empty", True):
            continue
        pieces.append(source[position : child.meta.start_pos])
        pieces.append(_render(source, child, exempt))
        position = child.meta.end_pos
    pieces.append(source[position : node.meta.end_pos])
    return "".join(pieces)


def _text(source: str, node: lark.Tree[Any]) -> str:
    return source[node.meta.start_pos : node.meta.end_pos]


def _path(node: Any) -> tuple[str, ...] | None:
    """("composition", "metadata", "labels") for `composition.metadata.labels` and its ["..."] forms."""
    while isinstance(node, lark.Tree) and node.data in ("member", "primary") and len(node.children) == 1:
        node = node.children[0]
    if not isinstance(node, lark.Tree):
        return None
    if node.data == "ident":
        return (str(node.children[0]),)
    if node.data == "member_dot":
        parent = _path(node.children[0])
        return None if parent is None else (*parent, str(node.children[1]))
    if node.data == "member_index":
        parent = _path(node.children[0])
        key = _string_literal(node.children[1])
        return None if parent is None or key is None else (*parent, key)
    return None


def _string_literal(node: Any) -> str | None:
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, lark.Token) and node.type == "STRING_LIT":
        text = str(node)
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and "\\" not in text:
            return text[1:-1]
    return None
