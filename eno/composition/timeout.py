"""Synthesis timeouts and the fast cancel of an abandoned synthesis (spec controllers.md §3.5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from eno.api.v1 import Composition
from eno.api.v1.times import parse_time

COMPLETION_GRACE: Final = 5.0  # podCompletionGracePeriod: let a late executor status write land
POLL_INTERVAL: Final = 5.0  # inFlightPollInterval


@attrs.frozen
class Cancel:
    timed_out: bool  # False: the pod succeeded without moving the synthesis on (fast cancel)


@attrs.frozen
class CheckAgain:
    after: float


TimeoutStep = Cancel | CheckAgain | None


def _time(value: Any) -> dt.datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def pod_finished(pod: Mapping[str, Any]) -> dt.datetime | None:
    """The latest container finishedAt, else the pod's creationTimestamp."""
    finished = [
        t
        for cs in ((pod.get("status") or {}).get("containerStatuses") or ())
        if (t := _time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))) is not None
    ]
    if finished:
        return max(finished)
    return _time((pod.get("metadata") or {}).get("creationTimestamp"))


def succeeded_pod(pods: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first pod that Succeeded and is not being deleted (Failed/Running/Pending do not count)."""
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        if (pod.get("status") or {}).get("phase") == "Succeeded":
            return pod
    return None


def timeout_step(
    comp: Composition, pods: Sequence[Mapping[str, Any]], now: dt.datetime, pod_timeout: float
) -> TimeoutStep:
    """What to do about the in-flight synthesis: nothing (None), look again later, or cancel it.

    `pods` are the synthesis pods labelled with the in-flight UUID.
    """
    syn = comp.status.in_flight_synthesis
    if syn is None or syn.canceled is not None or syn.initialized is None:
        return None
    pod = succeeded_pod(pods) if syn.uuid else None
    if pod is not None:
        finished = pod_finished(pod) or now
        wait = (finished - now).total_seconds() + COMPLETION_GRACE
        if wait > 0:
            return CheckAgain(wait)
        return Cancel(timed_out=False)
    initialized = _time(syn.initialized)
    if initialized is None:
        return None
    remaining = (initialized - now).total_seconds() + pod_timeout
    if remaining > 0:
        return CheckAgain(min(POLL_INTERVAL, remaining))
    return Cancel(timed_out=True)
