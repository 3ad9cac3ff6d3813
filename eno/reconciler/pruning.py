"""Whether a new desired object drops fields the previous one set (pure).

Server-side apply prunes what the applier stopped applying; the managed-fields hand-back (spec §8.2)
exists only for that case. When nothing is dropped, the reconciler may apply a changed manifest without
reading the live object first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def drops_fields(previous: Any, desired: Any) -> bool:
    """True when some field of `previous` is absent from `desired`. Conservative: a changed list counts
    (its items may be keyed and removed), and so does a map replaced by something else."""
    if isinstance(previous, Mapping):
        if not isinstance(desired, Mapping):
            return bool(previous)
        return any(key not in desired or drops_fields(value, desired[key]) for key, value in previous.items())
    if isinstance(previous, list | tuple):
        if not isinstance(desired, list | tuple):
            return bool(previous)
        return list(previous) != list(desired)
    return False
