"""Fail-open, reported `deleted` and requeue verdicts: Eno's TestRequeue, TestShouldFailOpen and
TestRequeueDoesNotPanic, plus the spec's mark-deleted rules."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import attrs
import pytest

from eno.resource.identity import GroupVersionKind, ManifestRef, Ref
from eno.resource.policy import (
    RequeueIntervals,
    reported_deleted,
    requeue_after,
    should_fail_open,
    summarize_error,
)
from eno.resource.resource import Resource
from eno.resource.snapshot import Snapshot
from eno.runtime.errors import ApiError, Conflict, Invalid, NotFound

S = datetime.timedelta(seconds=1)
RESOURCE = Resource(
    ref=Ref("", "ConfigMap", "ns", "x"),
    gvk=GroupVersionKind("", "v1", "ConfigMap"),
    manifest={},
    manifest_ref=ManifestRef("ns", "s", 0),
)
NOW = "2026-01-01T00:00:00Z"


def snap(resource: Resource = RESOURCE, **flags: Any) -> Snapshot:
    return Snapshot(resource=resource, obj={}, **flags)


def no_jitter() -> float:
    return 0.0


INTERVALS = RequeueIntervals(readiness_poll=10 * S, min_reconcile=10 * S, default_reconcile=300 * S)
DELETED = attrs.evolve(RESOURCE, deleted=True)
# (id, snapshot, ready, expected) -- Eno's TestRequeue first, then the spec's branches.
REQUEUE = [
    ("not ready: readiness poll interval", snap(), None, 10 * S),
    ("ready, no interval: no requeue", snap(), NOW, None),
    ("interval below the minimum is floored", snap(reconcile_interval=5 * S), NOW, 10 * S),
    ("valid interval", snap(reconcile_interval=15 * S), NOW, 15 * S),
    ("default interval opt-in", snap(use_default_interval=True), NOW, 300 * S),
    (
        "explicit interval wins over the default",
        snap(reconcile_interval=20 * S, use_default_interval=True),
        NOW,
        20 * S,
    ),
    ("deleted: no requeue", snap(DELETED, reconcile_interval=20 * S), NOW, None),
    ("pending foreground deletion polls", snap(DELETED, foreground=True), NOW, 10 * S),
    ("disabled still honours its interval", snap(disable=True, reconcile_interval=20 * S), NOW, 20 * S),
    ("disabled foreground does not poll", snap(disable=True, foreground=True), NOW, None),
    ("no snapshot but ready: no requeue", None, NOW, None),
    ("no snapshot, not ready: poll", None, None, 10 * S),
]


@pytest.mark.parametrize(
    ("snapshot", "ready", "expected"), [r[1:] for r in REQUEUE], ids=[r[0] for r in REQUEUE]
)
def test_requeue(snapshot: Snapshot | None, ready: str | None, expected: datetime.timedelta | None) -> None:
    assert requeue_after(snapshot, ready, INTERVALS, no_jitter) == expected


def test_jitter_adds_up_to_ten_percent() -> None:
    assert (
        requeue_after(snap(reconcile_interval=100 * S), NOW, INTERVALS, lambda: 0.999) == 100 * S + 9.99 * S
    )
    for _ in range(20):
        delay = requeue_after(snap(reconcile_interval=100 * S), NOW, INTERVALS)
        assert delay is not None and 100 * S <= delay < 110 * S


FLAGS = ["disable", "foreground", "orphan", "disable_updates", "replace", "use_default_interval"]


@pytest.mark.parametrize(
    "combo",
    list(itertools.product([False, True], repeat=len(FLAGS))),
    ids=lambda c: "-".join(map(str, map(int, c))),
)
def test_requeue_never_fails(combo: tuple[bool, ...]) -> None:
    # TestRequeueDoesNotPanic, over every flag combination, with and without intervals, snapshot and ready.
    flags = dict(zip(FLAGS, combo, strict=True))
    for interval, ready, deleted in itertools.product([None, 1 * S, 15 * S], [None, NOW], [False, True]):
        s = snap(attrs.evolve(RESOURCE, deleted=deleted), reconcile_interval=interval, **flags)
        delay = requeue_after(s, ready, INTERVALS, no_jitter)
        assert delay is None or delay >= min(INTERVALS.readiness_poll, INTERVALS.min_reconcile)


# Eno's TestShouldFailOpen: (flag, annotation, expected)
FAIL_OPEN = [
    (True, None, True),
    (True, False, False),
    (True, True, True),
    (False, None, False),
    (False, False, False),
    (False, True, True),
]


@pytest.mark.parametrize(("flag", "annotation", "expected"), FAIL_OPEN, ids=[str(f) for f in FAIL_OPEN])
def test_should_fail_open(flag: bool, annotation: bool | None, expected: bool) -> None:
    resource = attrs.evolve(RESOURCE, fail_open=annotation)
    assert should_fail_open(snap(resource), resource, flag) is expected
    assert should_fail_open(None, resource, flag) is expected


def test_no_fail_open_while_a_foreground_deletion_is_pending() -> None:
    resource = attrs.evolve(RESOURCE, fail_open=True, deleted=True)
    assert not should_fail_open(snap(resource, foreground=True), resource, True)
    assert should_fail_open(snap(resource), resource, True)


LIVE = {"metadata": {"name": "x"}}
TERMINATING = {"metadata": {"name": "x", "deletionTimestamp": NOW}}
# (id, current, snapshot, failing open, reported deleted)
MARK_DELETED = [
    ("absent object", None, snap(), False, True),
    ("live, wanted", LIVE, snap(), False, False),
    ("terminating (even if not ours: Eno's quirk)", TERMINATING, snap(), False, True),
    (
        "terminating with foreground waits for it to go",
        TERMINATING,
        snap(DELETED, foreground=True),
        False,
        False,
    ),
    ("deleted and orphaned", LIVE, snap(DELETED, orphan=True), False, True),
    ("disabled", LIVE, snap(disable=True), False, True),
    ("deleted, failing open", LIVE, snap(DELETED), True, True),
    ("deleted, delete still pending", LIVE, snap(DELETED), False, False),
    ("orphan flag alone is not deleted", LIVE, snap(orphan=True), False, False),
]


@pytest.mark.parametrize(
    ("current", "snapshot", "failing_open", "expected"),
    [m[1:] for m in MARK_DELETED],
    ids=[m[0] for m in MARK_DELETED],
)
def test_reported_deleted(current: Any, snapshot: Snapshot, failing_open: bool, expected: bool) -> None:
    assert reported_deleted(current, snapshot, failing_open) is expected


def _wrapped(inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as err:
            raise RuntimeError("dry-run applying update") from err
    except RuntimeError as outer:
        return outer


INVALID = Invalid(422, "Invalid", 'Deployment.apps "x" is invalid: spec.replicas: Invalid value')
# Eno's TestSummarizeError and the spec's rules: (id, error, summary)
SUMMARIES = [
    ("no error", None, ""),
    ("invalid is captured", INVALID, INVALID.message),
    ("wrapped status error is found", _wrapped(INVALID), INVALID.message),
    (
        "internal error (webhook) is captured",
        ApiError(500, "InternalError", "failed calling webhook"),
        "failed calling webhook",
    ),
    (
        "typed patch text after the marker",
        ApiError(
            500,
            "InternalError",
            "failed to create typed patch object (/v1, Kind=ConfigMap): .data: expected map",
        ),
        "(/v1, Kind=ConfigMap): .data: expected map",
    ),
    ("conflicts summarize to empty", Conflict(409, "Conflict", "the object has been modified"), ""),
    ("already exists summarizes to empty", ApiError(409, "AlreadyExists", "exists"), ""),
    ("not found summarizes to empty", NotFound(404, "NotFound", 'namespaces "x" not found'), ""),
    ("non-status error returns empty string", RuntimeError("some random error"), ""),
]


@pytest.mark.parametrize(("error", "summary"), [s[1:] for s in SUMMARIES], ids=[s[0] for s in SUMMARIES])
def test_summarize_error(error: BaseException | None, summary: str) -> None:
    assert summarize_error(error) == summary
