"""ObjectWatch's drift pacing without a server: which events enqueue, and after what delay."""

from __future__ import annotations

from typing import Any

import pytest

from controllers.reconciliation import ResourceRequest
from eno.reconciler.watch import ObjectWatch, Verified
from eno.resource.identity import Ref
from eno.runtime.gvk import GVK

KEY = (GVK("", "v1", "ConfigMap"), "default", "a")
REQUEST = ResourceRequest("default", "comp", Ref("", "ConfigMap", "default", "a"))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watch_with(interval: float | None) -> tuple[ObjectWatch, Clock, list[float]]:
    clock = Clock()
    delays: list[float] = []
    watch = ObjectWatch(client=None, enqueue=lambda request, delay: delays.append(delay), clock=clock)  # type: ignore[arg-type]
    resource: Any = object()
    watch.record(REQUEST, KEY, Verified(resource, (), "10", snap=None, deleted=False, interval=interval))  # type: ignore[arg-type]
    return watch, clock, delays


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([(0.0, "10")], [], id="our-own-version-ignored"),
        pytest.param([(0.0, "11")], [0.0], id="first-drift-at-once"),
        pytest.param([(0.0, "11"), (0.2, "12")], [0.0, 0.8], id="second-waits-for-the-interval"),
        pytest.param([(0.0, "11"), (0.2, "12"), (0.5, "13")], [0.0, 0.8], id="scheduled-absorbs-more"),
        pytest.param([(0.0, "11"), (1.5, "12")], [0.0, 0.0], id="after-an-interval-at-once-again"),
        pytest.param([(0.0, None)], [0.0], id="deletion-is-drift"),
    ],
)
def test_pacing(events: list[tuple[float, str | None]], expected: list[float]) -> None:
    watch, clock, delays = watch_with(1.0)
    for at, version in events:
        clock.now = at
        watch.changed(KEY, version)
    assert delays == pytest.approx(expected)


def test_without_an_interval_drift_is_left_alone() -> None:
    watch, _, delays = watch_with(None)
    watch.changed(KEY, "11")
    watch.changed(KEY, None)
    assert delays == []


def test_forgotten_requests_are_not_enqueued() -> None:
    watch, _, delays = watch_with(1.0)
    watch.forget(REQUEST)
    watch.changed(KEY, "11")
    assert delays == []
