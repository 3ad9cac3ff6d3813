"""The reconciler's per-resource verdicts after a pass (spec reconciliation.md §3.6-§3.9): whether to fail
open, what `deleted` to report, when to look at the resource again, and the error summary for its status.
Pure: flags and the random source are parameters.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from eno.resource.resource import Resource
from eno.resource.snapshot import Snapshot
from eno.runtime.errors import ApiError


def should_fail_open(snap: Snapshot | None, resource: Resource, fail_open_flag: bool) -> bool:
    """The resource's `eno.azure.io/fail-open` if set, else `--fail-open`; never while a foreground
    deletion is pending (the object must really be gone first)."""
    if snap is not None and snap.deleted and snap.foreground:
        return False
    return resource.fail_open if resource.fail_open is not None else fail_open_flag


def reported_deleted(current: Mapping[str, Any] | None, snap: Snapshot, failing_open: bool) -> bool:
    """The `deleted` written to the resource's slice status (Eno's mark_deleted)."""
    if current is None:
        return True  # also a Patch whose target is missing, or a disabled resource never created
    metadata = current.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("deletionTimestamp") and not snap.foreground:
        return True  # Eno's quirk, kept: even when Eno is not the one deleting it
    return snap.deleted and (snap.orphan or snap.disable or failing_open)


@attrs.frozen
class RequeueIntervals:
    readiness_poll: datetime.timedelta = datetime.timedelta(seconds=5)  # --readiness-poll-interval
    min_reconcile: datetime.timedelta = datetime.timedelta(seconds=1)  # --min-reconcile-interval
    default_reconcile: datetime.timedelta = datetime.timedelta(minutes=5)  # --default-reconcile-interval


def jitter(delay: datetime.timedelta, rand: Callable[[], float] = random.random) -> datetime.timedelta:
    """`delay` plus up to 10% of it."""
    return delay + delay * (0.1 * rand())


def requeue_after(
    snap: Snapshot | None,
    ready: object | None,
    intervals: RequeueIntervals,
    rand: Callable[[], float] = random.random,
) -> datetime.timedelta | None:
    """When to reconcile the resource again after a status write, or None for "only on events"."""
    pending_foreground = snap is not None and snap.deleted and not snap.disable and snap.foreground
    if ready is None or pending_foreground:
        return jitter(intervals.readiness_poll, rand)
    if snap is None or (snap.deleted and not snap.disable):
        return None
    if snap.reconcile_interval is not None:
        delay = snap.reconcile_interval
    elif snap.use_default_interval:
        delay = intervals.default_reconcile
    else:
        return None
    return jitter(max(delay, intervals.min_reconcile), rand)


_SUMMARIZED_REASONS = frozenset(
    {
        "BadRequest",
        "NotAcceptable",
        "RequestEntityTooLarge",
        "MethodNotAllowed",
        "Gone",
        "Forbidden",
        "Unauthorized",
        "Invalid",
        "InternalError",
    }
)
_TYPED_PATCH = "failed to create typed patch object"


def summarize_error(error: BaseException | None) -> str:
    """The `reconciliationError` for a failed pass (spec §3.9): only API status errors (found through
    `raise ... from` chains) say something; conflicts, not-found and transport errors summarize to ""."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen and not isinstance(error, ApiError):
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    if not isinstance(error, ApiError):
        return ""
    if _TYPED_PATCH in error.message:
        return error.message.split(_TYPED_PATCH, 1)[1].strip()
    return error.message if error.reason in _SUMMARIZED_REASONS else ""
