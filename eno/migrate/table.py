"""`eno migrate status`: one row per moved object -- owner, last writer, last write time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1.constants import FIELD_MANAGER
from eno.cel.engine import Engine
from eno.migrate.observed import Migration, ObjectRef, Observed, annotations_of, composition_for, synthesized
from eno.migrate.steps import moved_objects, written_by
from eno.migrate.writers import writes
from eno.resource.overrides import CompositionMetadata

# The reconciler's incumbent marker (eno/reconciler/ownership.py): who wrote the object last.
OWNER_MARKER = "eno.azure.io/owner-composition"


@attrs.frozen
class Row:
    ref: ObjectRef
    owner: str  # the composition that would write it now ("-" none, "both!" a conflict)
    last_writer: str
    last_write: str


def rows(observed: Observed, m: Migration, engine: Engine) -> list[Row]:
    roles = (("source", m.source), ("target", m.target))
    comps = {role: composition_for(observed, synth) for role, synth in roles}
    entries = {role: synthesized(observed, comp) for role, comp in comps.items()}
    out = []
    for ref in moved_objects(observed, m):
        live = observed.live.get(ref)
        writers = [
            _name(comp)
            for role, comp in comps.items()
            if writes(entries[role].get(ref), CompositionMetadata.from_object(comp), live, engine)
        ]
        owner = writers[0] if len(writers) == 1 else ("-" if not writers else "both! " + ", ".join(writers))
        out.append(Row(ref, owner, _last_writer(live, comps, entries, ref), last_write_time(live)))
    return out


def _name(comp: Mapping[str, Any] | None) -> str:
    metadata = (comp or {}).get("metadata") or {}
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _last_writer(
    live: Mapping[str, Any] | None,
    comps: Mapping[str, Mapping[str, Any] | None],
    entries: Mapping[str, Mapping[ObjectRef, Any]],
    ref: ObjectRef,
) -> str:
    if live is None:
        return "(absent)"
    marker = annotations_of(live).get(OWNER_MARKER)
    if marker:
        return str(marker)
    # No marker: attribute by content, the version of which synthesis the live object shows.
    matches = [_name(comps[r]) for r in comps if ref in entries[r] and written_by(live, entries[r][ref].obj)]
    return matches[0] if len(matches) == 1 else "?"


def last_write_time(live: Mapping[str, Any] | None) -> str:
    """The latest managedFields time of Eno's field manager (RFC 3339 sorts as text)."""
    if live is None:
        return "-"
    fields = ((live.get("metadata") or {}).get("managedFields")) or []
    times = [str(f.get("time", "")) for f in fields if f.get("manager") == FIELD_MANAGER and f.get("time")]
    return max(times) if times else "-"


def format_table(table: list[Row]) -> str:
    header = ("OBJECT", "OWNER", "LAST WRITER", "LAST WRITE")
    body = [(str(r.ref), r.owner, r.last_writer, r.last_write) for r in table]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *body]]
    return "\n".join(line.rstrip() for line in lines)
