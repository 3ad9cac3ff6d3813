"""The operations the input-revision write buffer batches per composition (synthesis.md §4.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from eno.api.v1.common import InputRevisions


@attrs.frozen
class SetRevision:
    revisions: InputRevisions


@attrs.frozen
class RemoveRevision:
    pass


RevisionOp = SetRevision | RemoveRevision


def apply_ops(
    current: Sequence[Mapping[str, Any]], ops: Mapping[str, RevisionOp]
) -> list[dict[str, Any]] | None:
    """status.inputRevisions (wire form) after `ops` (by key), or None when nothing changes.

    A set replaces the entry of its key when different, or appends; a remove drops it if present."""
    out = [dict(entry) for entry in current]
    changed = False
    for key, op in ops.items():
        index = next((i for i, entry in enumerate(out) if entry.get("key") == key), None)
        if isinstance(op, RemoveRevision):
            if index is not None:
                del out[index]
                changed = True
            continue
        wanted = op.revisions.to_dict()
        if index is None:
            out.append(wanted)
            changed = True
        elif out[index] != wanted:
            out[index] = wanted
            changed = True
    return out if changed else None
