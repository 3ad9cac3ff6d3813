"""Label and field selectors: parsing, printing and matching as k8s.io/apimachinery's labels and fields.

The label-selector grammar follows labels.Parse token for token (including its lenient corners: `k in ()`
means the empty value, `k=` matches an empty value, `in`/`notin` are ordinary words in key and value
positions), so a selector means here exactly what it means to kube-apiserver.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from eno.apiserver import errors, names


class Op(enum.Enum):
    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


@attrs.frozen
class Requirement:
    key: str
    op: Op
    values: tuple[str, ...] = ()  # sorted and unique, as kube's sets.String.List()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op in (Op.IN, Op.EQUALS, Op.DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if self.op in (Op.NOT_IN, Op.NOT_EQUALS):
            return not present or labels[self.key] not in self.values
        if self.op is Op.EXISTS:
            return present
        if self.op is Op.DOES_NOT_EXIST:
            return not present
        # Gt/Lt: both sides must be integers; anything else does not match.
        if not present:
            return False
        try:
            have = int(labels[self.key])
        except ValueError:
            return False
        want = int(self.values[0])
        return have > want if self.op is Op.GREATER_THAN else have < want

    def __str__(self) -> str:
        if self.op is Op.EXISTS:
            return self.key
        if self.op is Op.DOES_NOT_EXIST:
            return "!" + self.key
        symbol = {
            Op.EQUALS: "=",
            Op.DOUBLE_EQUALS: "==",
            Op.NOT_EQUALS: "!=",
            Op.IN: " in ",
            Op.NOT_IN: " notin ",
            Op.GREATER_THAN: ">",
            Op.LESS_THAN: "<",
        }[self.op]
        if self.op in (Op.IN, Op.NOT_IN):
            return f"{self.key}{symbol}({','.join(self.values)})"
        return f"{self.key}{symbol}{self.values[0]}"


@attrs.frozen
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelector()


# --- label selector lexer and parser (labels/selector.go) ---


class _Tok(enum.Enum):
    ERROR = 0
    END = 1
    CLOSED_PAR = 2
    COMMA = 3
    DOES_NOT_EXIST = 4
    DOUBLE_EQUALS = 5
    EQUALS = 6
    GREATER_THAN = 7
    IDENTIFIER = 8
    IN = 9
    LESS_THAN = 10
    NOT_EQUALS = 11
    NOT_IN = 12
    OPEN_PAR = 13


_SPECIAL = "=!(),<>"
_SYMBOLS = {
    "!": _Tok.DOES_NOT_EXIST,
    "!=": _Tok.NOT_EQUALS,
    "(": _Tok.OPEN_PAR,
    ")": _Tok.CLOSED_PAR,
    ",": _Tok.COMMA,
    "=": _Tok.EQUALS,
    "==": _Tok.DOUBLE_EQUALS,
    ">": _Tok.GREATER_THAN,
    "<": _Tok.LESS_THAN,
}
_KEYWORDS = {"in": _Tok.IN, "notin": _Tok.NOT_IN}
_WHITESPACE = " \t\r\n"
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"


def _lex(text: str) -> list[tuple[_Tok, str]]:
    tokens: list[tuple[_Tok, str]] = []
    i = 0
    while True:
        while i < len(text) and text[i] in _WHITESPACE:
            i += 1
        if i >= len(text):
            tokens.append((_Tok.END, ""))
            return tokens
        ch = text[i]
        if ch in _SPECIAL:
            # Longest symbol wins: `!=` over `!`, `==` over `=`.
            j = i + 1
            while j < len(text) and text[i : j + 1] in _SYMBOLS:
                j += 1
            lit = text[i:j]
            tokens.append((_SYMBOLS[lit], lit))
            i = j
        else:
            j = i
            while j < len(text) and text[j] not in _SPECIAL and text[j] not in _WHITESPACE:
                j += 1
            lit = text[i:j]
            tokens.append((_KEYWORDS.get(lit, _Tok.IDENTIFIER), lit))
            i = j


class _SelectorSyntaxError(Exception):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = _lex(text)
        self._pos = 0

    @staticmethod
    def _as_value(tok: _Tok) -> _Tok:
        # In key and value positions `in` and `notin` are plain identifiers.
        return _Tok.IDENTIFIER if tok in (_Tok.IN, _Tok.NOT_IN) else tok

    def _lookahead(self, values: bool = True) -> tuple[_Tok, str]:
        tok, lit = self._tokens[min(self._pos, len(self._tokens) - 1)]
        return (self._as_value(tok) if values else tok), lit

    def _consume(self, values: bool = True) -> tuple[_Tok, str]:
        tok, lit = self._lookahead(values)
        self._pos = min(self._pos + 1, len(self._tokens) - 1)
        return tok, lit

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self._lookahead()
            if tok in (_Tok.IDENTIFIER, _Tok.DOES_NOT_EXIST):
                try:
                    requirements.append(self._requirement())
                except _SelectorSyntaxError as exc:
                    raise _SelectorSyntaxError(f"unable to parse requirement: {exc}") from None
                tok, lit = self._consume()
                if tok is _Tok.END:
                    return requirements
                if tok is _Tok.COMMA:
                    tok2, lit2 = self._lookahead()
                    if tok2 not in (_Tok.IDENTIFIER, _Tok.DOES_NOT_EXIST):
                        raise _SelectorSyntaxError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise _SelectorSyntaxError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok is _Tok.END:
                return requirements
            else:
                raise _SelectorSyntaxError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def _requirement(self) -> Requirement:
        tok, lit = self._consume()
        op: Op | None = None
        if tok is _Tok.DOES_NOT_EXIST:
            op = Op.DOES_NOT_EXIST
            tok, lit = self._consume()
        if tok is not _Tok.IDENTIFIER:
            raise _SelectorSyntaxError(f"found '{lit}', expected: identifier")
        key = lit
        key_errs = names.is_qualified_name(key)
        if key_errs:
            raise _SelectorSyntaxError(
                errors.field_error_string(errors.invalid_value("key", key, "; ".join(key_errs)))
            )
        if op is Op.DOES_NOT_EXIST:
            return _requirement(key, op, [])
        if self._lookahead()[0] in (_Tok.END, _Tok.COMMA):
            return _requirement(key, Op.EXISTS, [])
        tok, lit = self._consume(values=False)
        op = {
            _Tok.IN: Op.IN,
            _Tok.NOT_IN: Op.NOT_IN,
            _Tok.EQUALS: Op.EQUALS,
            _Tok.DOUBLE_EQUALS: Op.DOUBLE_EQUALS,
            _Tok.NOT_EQUALS: Op.NOT_EQUALS,
            _Tok.GREATER_THAN: Op.GREATER_THAN,
            _Tok.LESS_THAN: Op.LESS_THAN,
        }.get(tok)
        if op is None:
            raise _SelectorSyntaxError(f"found '{lit}', expected: {_BINARY_OPERATORS}")
        values = self._set_values() if op in (Op.IN, Op.NOT_IN) else self._exact_value()
        return _requirement(key, op, values)

    def _set_values(self) -> list[str]:
        tok, lit = self._consume()
        if tok is not _Tok.OPEN_PAR:
            raise _SelectorSyntaxError(f"found '{lit}' expected: '('")
        tok, lit = self._lookahead()
        if tok in (_Tok.IDENTIFIER, _Tok.COMMA):
            values = self._identifiers()
            tok, lit = self._consume()
            if tok is not _Tok.CLOSED_PAR:
                raise _SelectorSyntaxError(f"found '{lit}', expected: ')'")
            return values
        if tok is _Tok.CLOSED_PAR:
            self._consume()
            return [""]  # `k in ()` is the set holding the empty value, as in kube
        raise _SelectorSyntaxError(f"found '{lit}', expected: ',', ')' or identifier")

    def _identifiers(self) -> list[str]:
        values: list[str] = []
        while True:
            tok, lit = self._consume()
            if tok is _Tok.IDENTIFIER:
                values.append(lit)
                tok2, lit2 = self._lookahead()
                if tok2 is _Tok.COMMA:
                    continue
                if tok2 is _Tok.CLOSED_PAR:
                    return values
                raise _SelectorSyntaxError(f"found '{lit2}', expected: ',' or ')'")
            if tok is _Tok.COMMA:
                # Empty members (`(,a)`, `(a,)`, `(a,,b)`) are the empty value.
                if not values:
                    values.append("")
                tok2, _ = self._lookahead()
                if tok2 is _Tok.CLOSED_PAR:
                    values.append("")
                    return values
                if tok2 is _Tok.COMMA:
                    self._consume()
                    values.append("")
                continue
            raise _SelectorSyntaxError(f"found '{lit}', expected: ',', or identifier")

    def _exact_value(self) -> list[str]:
        tok, _ = self._lookahead()
        if tok in (_Tok.END, _Tok.COMMA):
            return [""]
        tok, lit = self._consume()
        if tok is _Tok.IDENTIFIER:
            return [lit]
        raise _SelectorSyntaxError(f"found '{lit}', expected: identifier")


def _requirement(key: str, op: Op, values: Iterable[str]) -> Requirement:
    """labels.NewRequirement: check the operator's arity and each value, then build."""
    unique = tuple(sorted(set(values)))
    if op in (Op.IN, Op.NOT_IN) and not unique:
        raise _SelectorSyntaxError(
            "values: Invalid value: for 'in', 'notin' operators, values set can't be empty"
        )
    if op in (Op.GREATER_THAN, Op.LESS_THAN):
        if len(unique) != 1:
            raise _SelectorSyntaxError(
                "values: Invalid value: for 'Gt', 'Lt' operators, exactly one value is required"
            )
        try:
            int(unique[0])
        except ValueError:
            raise _SelectorSyntaxError(
                errors.field_error_string(
                    errors.invalid_value(
                        "values[0]", unique[0], "for 'Gt', 'Lt' operators, the value must be an integer"
                    )
                )
            ) from None
    for i, value in enumerate(unique):
        value_errs = names.is_valid_label_value(value)
        if value_errs:
            raise _SelectorSyntaxError(
                errors.field_error_string(
                    errors.invalid_value(f"values[{i}][{key}]", value, "; ".join(value_errs))
                )
            )
    return Requirement(key, op, unique)


def parse_label_selector(text: str) -> LabelSelector:
    """labels.Parse; raises ApiError 400 BadRequest on bad syntax. Requirements are sorted by key."""
    try:
        requirements = _Parser(text).parse()
    except _SelectorSyntaxError as exc:
        raise errors.bad_request(str(exc)) from None
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


def label_selector_from_dict(selector: Mapping[str, Any] | None) -> LabelSelector | None:
    """metav1.LabelSelectorAsSelector: matchLabels + matchExpressions. None (no selector) selects nothing,
    an empty selector selects everything, as kube treats them."""
    if selector is None:
        return None
    requirements: list[Requirement] = []
    try:
        for key, value in sorted((selector.get("matchLabels") or {}).items()):
            requirements.append(_requirement(key, Op.EQUALS, [value]))
        for expr in selector.get("matchExpressions") or []:
            operator = expr.get("operator")
            op = {
                "In": Op.IN,
                "NotIn": Op.NOT_IN,
                "Exists": Op.EXISTS,
                "DoesNotExist": Op.DOES_NOT_EXIST,
            }.get(operator or "")
            if op is None:
                raise _SelectorSyntaxError(f'"{operator}" is not a valid label selector operator')
            values = expr.get("values") or []
            if op in (Op.EXISTS, Op.DOES_NOT_EXIST) and values:
                raise _SelectorSyntaxError(
                    "values: Invalid value: values set must be empty for exists and does not exist"
                )
            requirements.append(_requirement(expr.get("key", ""), op, values))
    except _SelectorSyntaxError as exc:
        raise errors.bad_request(str(exc)) from None
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


# --- field selectors (fields/selector.go) ---


@attrs.frozen
class FieldRequirement:
    field: str
    value: str
    negate: bool = False

    def matches(self, fields: Mapping[str, str]) -> bool:
        return (fields.get(self.field, "") == self.value) is not self.negate

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negate else '='}{escape_field_value(self.value)}"


@attrs.frozen
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(r.field for r in self.requirements)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        fields = object_fields(obj, self.fields)
        return all(r.matches(fields) for r in self.requirements)

    def exact_value(self, field: str) -> str | None:
        """The value an `=` term pins `field` to (lets the store look a name up directly), else None."""
        for r in self.requirements:
            if r.field == field and not r.negate:
                return r.value
        return None

    def check_supported(self, supported: Iterable[str]) -> None:
        """Raise 400 as kube-apiserver does for a field label the resource does not index."""
        allowed = set(supported)
        for r in self.requirements:
            if r.field not in allowed:
                raise errors.bad_request(f"field label not supported: {r.field}")

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(value: str) -> str:
    if "\\" not in value and "," not in value and "=" not in value:
        return value
    out: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise _SelectorSyntaxError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise _SelectorSyntaxError(f"invalid field selector: unescaped character {ch!r}")
        else:
            out.append(ch)
    if escaped:
        raise _SelectorSyntaxError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
        i += 1
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """fields.ParseSelector: `a=b`, `a==b`, `a!=b` joined by commas, `\\`-escaping in values; 400 on error."""
    requirements: list[FieldRequirement] = []
    try:
        for term in sorted(_split_terms(text)):
            if not term:
                continue
            split = _split_term(term)
            if split is None:
                raise _SelectorSyntaxError(f"invalid selector: '{text}'; can't understand '{term}'")
            lhs, op, rhs = split
            requirements.append(FieldRequirement(lhs, _unescape_field_value(rhs), negate=op == "!="))
    except _SelectorSyntaxError as exc:
        raise errors.bad_request(str(exc)) from None
    return FieldSelector(tuple(requirements))


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """An object's value at a dotted field path, as the string field selectors compare ("" if absent)."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ""
        node = node[part]
    if node is None:
        return ""
    if path == "source" and isinstance(node, Mapping):
        # An Event's `source` field label is its reporting component (kube's event field set).
        return str(node.get("component") or "")
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def object_fields(obj: Mapping[str, Any], wanted: Iterable[str]) -> dict[str, str]:
    return {path: field_value(obj, path) for path in wanted}


# The field labels kube-apiserver supports per resource (beyond metadata.name and metadata.namespace, which
# every resource has). Keys are (group, resource).
_EXTRA_FIELD_LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("events.k8s.io", "events"): (
        "regarding.kind",
        "regarding.namespace",
        "regarding.name",
        "regarding.uid",
        "regarding.apiVersion",
        "regarding.resourceVersion",
        "regarding.fieldPath",
        "reason",
        "reportingController",
        "type",
    ),
    ("", "replicationcontrollers"): ("status.replicas",),
    ("apps", "replicasets"): ("status.replicas",),
}


def supported_field_labels(group: str, resource: str) -> tuple[str, ...]:
    return ("metadata.name", "metadata.namespace", *_EXTRA_FIELD_LABELS.get((group, resource), ()))


def selectable_field_labels(selectable_fields: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """A CRD version's `selectableFields` ([{jsonPath: ".spec.color"}]) as field labels ("spec.color")."""
    labels = []
    for field in selectable_fields:
        path = str(field.get("jsonPath") or "").lstrip(".")
        if path:
            labels.append(path)
    return tuple(labels)


def check_field_labels(
    selector: FieldSelector,
    group: str,
    resource: str,
    *,
    builtin: bool = True,
    namespaced: bool = True,
    selectable: Iterable[str] = (),
) -> None:
    """Raise the 400 kube-apiserver answers for a field label the resource cannot select on.

    Kinds with their own field-label conversion (pods, events, namespaces, secrets, replicasets, ...) and
    custom resources say `field label not supported: X`; the other built-ins use kube's default conversion,
    `"X" is not a known field selector: only "metadata.name", "metadata.namespace"`. Custom resources
    accept metadata.namespace only when namespaced, plus their CRD's selectableFields."""
    if builtin:
        allowed = set(supported_field_labels(group, resource))
        has_conversion = (group, resource) in _EXTRA_FIELD_LABELS
    else:
        allowed = {"metadata.name", *selectable}
        if namespaced:
            allowed.add("metadata.namespace")
        has_conversion = True
    for requirement in selector.requirements:
        if requirement.field in allowed:
            continue
        if has_conversion:
            raise errors.bad_request(f"field label not supported: {requirement.field}")
        raise errors.bad_request(
            f'"{requirement.field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
        )
