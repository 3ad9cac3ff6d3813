"""Label selectors in their string form (`a=b,c!=d,e in (x,y),!f,g`), matched client-side by the cache."""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs


class SelectorError(ValueError):
    pass


@attrs.frozen
class Requirement:
    key: str
    operator: str  # "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "!":
            return self.key not in labels
        if self.operator == "in":
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values


@attrs.frozen
class Selector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


_TERM = re.compile(
    r"""\s*(?:
        (?P<not>!)\s*(?P<nkey>[^\s,=!()]+)
      | (?P<skey>[^\s,=!()]+)\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\)
      | (?P<ekey>[^\s,=!()]+)\s*(?P<eqop>==|=|!=)\s*(?P<value>[^\s,=!()]*)
      | (?P<xkey>[^\s,=!()]+)
    )\s*(?:,|$)""",
    re.VERBOSE,
)


def parse(selector: str | None) -> Selector:
    """Parse a label selector string; the empty selector matches everything."""
    if selector is None or not selector.strip():
        return Selector()
    requirements: list[Requirement] = []
    pos = 0
    text = selector.strip()
    while pos < len(text):
        match = _TERM.match(text, pos)
        if match is None or match.end() == pos:
            raise SelectorError(f"invalid label selector {selector!r} at {pos}")
        pos = match.end()
        if match["not"]:
            requirements.append(Requirement(match["nkey"], "!"))
        elif match["setop"]:
            values = frozenset(v.strip() for v in match["values"].split(",") if v.strip())
            requirements.append(Requirement(match["skey"], match["setop"], values))
        elif match["eqop"]:
            op = "notin" if match["eqop"] == "!=" else "in"
            requirements.append(Requirement(match["ekey"], op, frozenset({match["value"]})))
        else:
            requirements.append(Requirement(match["xkey"], "exists"))
    return Selector(tuple(requirements))


def from_match_labels(match_labels: Mapping[str, str]) -> str:
    """The string form of a `matchLabels` map."""
    return ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))
