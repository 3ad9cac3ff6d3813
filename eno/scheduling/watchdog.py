"""Stuck compositions, for the health metrics only (synthesis.md §6 "Watchdog")."""

from __future__ import annotations

import datetime as dt

from eno.api.v1 import Composition
from eno.api.v1.times import parse_time


def _time(value: str | None) -> dt.datetime | None:
    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def stuck(comp: Composition, now: dt.datetime, threshold: float) -> bool:
    """Past `threshold` seconds without reconciling (or without finishing its deletion)."""
    limit = dt.timedelta(seconds=threshold)
    deleted = _time(comp.deletion_timestamp)
    if deleted is not None:
        return now - deleted > limit
    status = comp.status
    current = status.current_synthesis
    if current is not None and current.reconciled is not None:
        return False
    initialized = _time(current.initialized) if current is not None else None
    if initialized is None and status.previous_synthesis is None:
        created = _time(comp.metadata.get("creationTimestamp"))
        return created is not None and now - created > limit
    return initialized is not None and now - initialized > limit
