"""The JSON merge patch (RFC 7386) the reconciler sends with `--disable-ssa` (spec reconciliation.md §3.5).

The patch goes from a *base* -- the previous synthesis's manifest snapshotted against the live object, or
`{}` without one -- to the new desired object: fields dropped since the base are nulled, changed fields are
set, lists are replaced whole, and fields other clients added (absent from both) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def create_merge_patch(base: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch that turns `base` into `desired` where they differ, touching nothing else."""
    patch: dict[str, Any] = {}
    for key in base:
        if key not in desired:
            patch[key] = None
    for key, value in desired.items():
        old = base.get(key, _ABSENT)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = create_merge_patch(old, value)
            if nested:
                patch[key] = nested
        elif old is _ABSENT or old != value or type(old) is not type(value):
            # A null in `desired` cannot be expressed (it means "remove"): the key is dropped either way.
            patch[key] = value
    return patch


_ABSENT: Any = object()
