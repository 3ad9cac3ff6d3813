"""The symphony's status roll-up from its compositions (spec controllers.md §2.8)."""

from __future__ import annotations

from collections.abc import Sequence

from eno.api.v1 import Composition, Symphony
from eno.api.v1.symphony import SymphonyStatus
from eno.api.v1.times import parse_time

_FIELDS = ("synthesized", "reconciled", "ready")


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return b if a is None else a
    try:
        return b if parse_time(b) > parse_time(a) else a
    except ValueError:
        return a


def aggregate_status(symphony: Symphony, comps: Sequence[Composition]) -> SymphonyStatus:
    """Each timestamp is the latest across required compositions, and null unless every required
    composition has it for its current generation (and is not being deleted)."""
    optional = {v.synthesizer.name for v in symphony.spec.variations if v.optional}
    required = [c for c in comps if c.spec.synthesizer.name not in optional]
    values: dict[str, str | None] = dict.fromkeys(_FIELDS)
    for comp in required:
        syn = comp.status.current_synthesis
        if syn is not None:
            for field in _FIELDS:
                values[field] = _later(values[field], getattr(syn, field))
    for comp in required:
        syn = comp.status.current_synthesis
        invalid = syn is None or syn.observed_composition_generation != comp.generation or comp.deleting
        for field in _FIELDS:
            if invalid or getattr(syn, field) is None:
                values[field] = None
    return SymphonyStatus(
        observed_generation=symphony.generation,
        synthesized=values["synthesized"],
        reconciled=values["reconciled"],
        ready=values["ready"],
    )


def status_equal(a: SymphonyStatus, b: SymphonyStatus) -> bool:
    """Semantic equality: timestamps compare as instants."""
    if a.observed_generation != b.observed_generation:
        return False
    for field in _FIELDS:
        x, y = getattr(a, field), getattr(b, field)
        if (x is None) != (y is None):
            return False
        if x is not None and x != y:
            try:
                if parse_time(x) != parse_time(y):
                    return False
            except ValueError:
                return False
    return True
