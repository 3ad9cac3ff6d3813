"""Pure composition decisions: the deletion flow and synthesis timeouts (table-driven)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from eno.api.v1 import Composition
from eno.composition.deletion import (
    ReleaseFinalizer,
    ResetSynthesis,
    SetDependencyStatus,
    Wait,
    deletion_step,
)
from eno.composition.timeout import Cancel, CheckAgain, timeout_step

NOW = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def ts(seconds_ago: float) -> str:
    return (NOW - dt.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def comp(
    name: str = "c",
    *,
    deleting: bool = True,
    finalizer: bool = True,
    annotations: dict[str, str] | None = None,
    owner: str | None = None,
    generation: int = 2,
    status: dict[str, Any] | None = None,
) -> Composition:
    meta: dict[str, Any] = {"name": name, "namespace": "ns", "generation": generation}
    if deleting:
        meta["deletionTimestamp"] = ts(0)
    if finalizer:
        meta["finalizers"] = ["eno.azure.io/cleanup"]
    if annotations:
        meta["annotations"] = annotations
    if owner:
        meta["ownerReferences"] = [{"kind": "Symphony", "name": owner, "controller": True}]
    return Composition.from_dict(
        {"metadata": meta, "spec": {"synthesizer": {"name": "s"}}, "status": status or {}}
    )


FORCE = {"eno.azure.io/forceDeleteWhenSymphonyGone": "true"}
UNRECONCILED = {"currentSynthesis": {"uuid": "u", "observedCompositionGeneration": 2}}
OUTDATED = {"currentSynthesis": {"uuid": "u", "observedCompositionGeneration": 1, "reconciled": ts(9)}}
RECONCILED = {"currentSynthesis": {"uuid": "u", "observedCompositionGeneration": 2, "reconciled": ts(1)}}


@pytest.mark.parametrize(
    ("subject", "gone", "want"),
    [
        pytest.param(comp(status=UNRECONCILED), False, Wait, id="unreconciled-keeps-finalizer"),
        pytest.param(comp(status=OUTDATED), False, ResetSynthesis, id="outdated-generation-resets"),
        pytest.param(comp(status=RECONCILED), False, ReleaseFinalizer, id="reconciled-releases"),
        pytest.param(comp(), False, ReleaseFinalizer, id="never-synthesized-releases"),
        pytest.param(
            comp(status=UNRECONCILED, annotations=FORCE, owner="s"), True, ReleaseFinalizer, id="force"
        ),
        pytest.param(
            comp(status=UNRECONCILED, annotations=FORCE, owner="s"), False, Wait, id="force-sym-exists"
        ),
        pytest.param(comp(status=UNRECONCILED, annotations=FORCE), True, Wait, id="force-without-owner"),
        pytest.param(
            comp(
                status=UNRECONCILED,
                annotations={"eno.azure.io/forceDeleteWhenSymphonyGone": "false"},
                owner="s",
            ),
            True,
            Wait,
            id="force-false",
        ),
    ],
)
def test_deletion_step(subject: Composition, gone: bool, want: type) -> None:
    step = deletion_step(subject, [], gone, "new-uuid", ts(0))
    assert isinstance(step, want)
    if isinstance(step, ResetSynthesis):
        syn = step.synthesis
        assert (syn.uuid, syn.observed_composition_generation, syn.reconciled, syn.ready) == (
            "new-uuid",
            2,
            None,
            None,
        )


@pytest.mark.parametrize(
    ("dependent", "blocks"),
    [
        pytest.param(comp("d", deleting=False), True, id="alive"),
        pytest.param(comp("d", deleting=False, finalizer=False), True, id="alive-without-finalizer"),
        pytest.param(comp("d", deleting=True), True, id="deleting-with-finalizer"),
        pytest.param(comp("d", deleting=True, finalizer=False), False, id="deleting-released"),
    ],
)
def test_dependents_block_deletion(dependent: Composition, blocks: bool) -> None:
    step = deletion_step(comp(status=RECONCILED), [dependent], False, "u2", ts(0))
    if blocks:
        assert isinstance(step, SetDependencyStatus) and step.status is not None
        assert step.status.reason == "WaitingOnDependents"
        assert [(b.name, b.reason) for b in step.status.blocked_by] == [("d", "DependentNotDeleted")]
        blocked = comp(status={**RECONCILED, "dependencyStatus": step.status.to_dict()})
        assert isinstance(deletion_step(blocked, [dependent], False, "u2", ts(0)), Wait)
    else:
        assert isinstance(step, ReleaseFinalizer)


def test_cleared_dependency_status_is_its_own_write() -> None:
    blocked = comp(
        status={**RECONCILED, "dependencyStatus": {"blocked": True, "reason": "WaitingOnDependents"}}
    )
    step = deletion_step(blocked, [], False, "u", ts(0))
    assert isinstance(step, SetDependencyStatus) and step.status is None


def in_flight(initialized: float | None, uuid: str = "u1", canceled: bool = False) -> Composition:
    syn: dict[str, Any] = {"uuid": uuid}
    if initialized is not None:
        syn["initialized"] = ts(initialized)
    if canceled:
        syn["canceled"] = ts(0)
    return comp(deleting=False, status={"inFlightSynthesis": syn})


def pod(phase: str, finished_ago: float | None = None, created_ago: float = 60) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if finished_ago is not None:
        status["containerStatuses"] = [{"state": {"terminated": {"finishedAt": ts(finished_ago)}}}]
    return {"metadata": {"name": "p", "creationTimestamp": ts(created_ago)}, "status": status}


@pytest.mark.parametrize(
    ("subject", "pods", "want"),
    [
        pytest.param(
            in_flight(10), [pod("Succeeded", finished_ago=10)], Cancel(timed_out=False), id="abandoned"
        ),
        pytest.param(in_flight(10), [pod("Succeeded", finished_ago=1)], CheckAgain(4.0), id="within-grace"),
        pytest.param(
            in_flight(10),
            [pod("Succeeded", created_ago=60)],
            Cancel(timed_out=False),
            id="grace-from-creation",
        ),
        pytest.param(in_flight(60), [], Cancel(timed_out=True), id="hung-past-timeout"),
        pytest.param(in_flight(1), [pod("Running")], CheckAgain(5.0), id="running-within-timeout"),
        pytest.param(in_flight(1), [], CheckAgain(5.0), id="no-pod-within-timeout"),
        pytest.param(in_flight(28), [pod("Failed", finished_ago=20)], CheckAgain(2.0), id="failed-pod-waits"),
        pytest.param(in_flight(None), [], None, id="not-initialized"),
        pytest.param(in_flight(60, canceled=True), [], None, id="already-canceled"),
        pytest.param(comp(deleting=False), [], None, id="no-in-flight"),
    ],
)
def test_timeout_step(subject: Composition, pods: list[dict[str, Any]], want: Any) -> None:
    assert timeout_step(subject, pods, NOW, pod_timeout=30) == want


def test_timeout_with_an_hour_left() -> None:
    step = timeout_step(in_flight(1), [], NOW, pod_timeout=3600)
    assert isinstance(step, CheckAgain) and step.after == 5.0
