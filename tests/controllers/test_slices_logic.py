"""Pure slice logic: the status roll-up (snapshot + transition) and cleanup decisions, table-driven."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1 import Composition, ResourceSlice
from eno.slices.cleanup import keep_finalizer, should_delete
from eno.slices.status import MissingSlice, Snapshot, snapshot, transition

T1, T2, T3, NOW = (
    "2024-01-01T00:00:01Z",
    "2024-01-01T00:00:02Z",
    "2024-01-01T00:00:03Z",
    "2024-01-01T01:00:00Z",
)


def comp(
    slices: list[str] | tuple[str, ...] | None = ("s1",),
    *,
    deleting: bool = False,
    simplified: dict[str, str] | None = None,
    current: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    status: dict[str, Any] | None = None,
) -> Composition:
    meta: dict[str, Any] = {"name": "c", "namespace": "ns"}
    if deleting:
        meta["deletionTimestamp"] = T1
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    st_: dict[str, Any] = dict(status or {})
    if slices is not None:
        st_["currentSynthesis"] = {
            "uuid": "u",
            "resourceSlices": [{"name": n} for n in slices],
            **(current or {}),
        }
    if simplified:
        st_["simplified"] = simplified
    return Composition.from_dict({"metadata": meta, "spec": {"synthesizer": {"name": "s"}}, "status": st_})


def rslice(
    states: list[dict[str, Any]] | None, resources: int = 1, name: str = "s1", uuid: str = ""
) -> ResourceSlice:
    return ResourceSlice.from_dict(
        {
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"synthesisUUID": uuid, "resources": [{"manifest": "{}"} for _ in range(resources)]},
            "status": {"resources": states or []},
        }
    )


@pytest.mark.parametrize(
    ("states", "reconciled", "ready"),
    [
        pytest.param([{"reconciled": True, "ready": T1}], True, True, id="reconciled-ready"),
        pytest.param([{"reconciled": True}], True, False, id="reconciled-not-ready"),
        pytest.param([{"reconciled": False, "ready": T1}], False, True, id="ready-not-reconciled"),
        pytest.param([{}], False, False, id="neither"),
        pytest.param(None, False, False, id="no-status"),
    ],
)
def test_states_map_straight_through(
    states: list[dict[str, Any]] | None, reconciled: bool, ready: bool
) -> None:
    snap = snapshot(comp(), {"s1": rslice(states)})
    assert isinstance(snap, Snapshot) and (snap.reconciled, snap.ready) == (reconciled, ready)
    updated = transition(comp(), snap, NOW)
    if updated is None:  # nothing set and nothing to set: no write
        assert not reconciled and not ready
        return
    assert updated.status.current_synthesis is not None
    assert (updated.status.current_synthesis.reconciled == NOW) == reconciled
    assert (updated.status.current_synthesis.ready == T1) == ready


def test_ready_is_the_latest_and_error_the_greatest() -> None:
    states = [
        {"reconciled": False, "ready": T1, "reconciliationError": "test 1"},
        {"reconciled": False, "ready": T3, "reconciliationError": "test 3"},
        {"reconciled": False, "ready": T2, "reconciliationError": "test 2"},
    ]
    subject = comp(simplified={"status": "Reconciling"})
    snap = snapshot(subject, {"s1": rslice(states, resources=3)})
    assert snap == Snapshot(reconciled=False, ready=True, ready_time=T3, error="test 3")
    updated = transition(subject, snap, NOW)
    assert updated is not None and updated.status.simplified is not None
    assert updated.status.simplified.error == "test 3"


def test_error_outside_reconciling_is_left_alone() -> None:
    subject = comp(simplified={"status": "Ready", "error": "some other error"}, current={"reconciled": T1})
    snap = Snapshot(reconciled=True, ready=False, error="new")
    assert transition(subject, snap, NOW) is None


def test_deleting_composition_waits_for_deleted_resources() -> None:
    subject = comp(deleting=True)
    snap = snapshot(subject, {"s1": rslice([{"reconciled": True, "ready": T1}])})
    assert isinstance(snap, Snapshot) and not snap.reconciled and snap.ready
    orphaning = comp(deleting=True, annotations={"eno.azure.io/deletion-strategy": "orphan"})
    snap = snapshot(orphaning, {"s1": rslice([{"reconciled": True, "ready": T1}])})
    assert isinstance(snap, Snapshot) and snap.reconciled


def test_symphony_deleting_short_circuits() -> None:
    subject = comp(deleting=True, labels={"eno.azure.io/symphony-deleting": "true"})
    snap = snapshot(subject, {"s1": rslice([{"reconciled": False}])})
    assert isinstance(snap, Snapshot) and snap.reconciled


def test_empty_synthesis_takes_two_writes_to_be_ready() -> None:
    first = transition(comp(slices=[]), Snapshot(), NOW)
    assert first is not None and first.status.current_synthesis is not None
    assert first.status.current_synthesis.reconciled == NOW and first.status.current_synthesis.ready is None
    second = transition(first, Snapshot(), "2024-01-01T02:00:00Z")
    assert second is not None and second.status.current_synthesis is not None
    assert second.status.current_synthesis.ready == NOW


def test_missing_slice() -> None:
    assert snapshot(comp(), {"s1": None}) == MissingSlice("s1")
    assert isinstance(snapshot(comp(deleting=True), {"s1": None}), Snapshot)


@given(
    has_reconciled=st.booleans(),
    has_ready=st.booleans(),
    snap_reconciled=st.booleans(),
    snap_ready=st.booleans(),
    status=st.sampled_from(["Reconciling", "Ready", "NotReady"]),
    old_error=st.sampled_from(["", "a", "b"]),
    new_error=st.sampled_from(["", "a", "b"]),
)
def test_transition_modifies_exactly_when_a_tracked_bit_changes(
    has_reconciled: bool,
    has_ready: bool,
    snap_reconciled: bool,
    snap_ready: bool,
    status: str,
    old_error: str,
    new_error: str,
) -> None:
    current = {"reconciled": T1 if has_reconciled else None, "ready": T2 if has_ready else None}
    subject = comp(current=current, simplified={"status": status, "error": old_error})
    modified = transition(subject, Snapshot(snap_reconciled, snap_ready, T3, new_error), NOW) is not None
    expected = (
        has_ready != snap_ready
        or has_reconciled != snap_reconciled
        or (status == "Reconciling" and old_error != new_error)
    )
    assert modified == expected


@pytest.mark.parametrize(
    ("subject", "slice_", "delete"),
    [
        pytest.param(comp(["s1"]), rslice(None), False, id="referenced-by-current"),
        pytest.param(comp(["other"]), rslice(None), True, id="unreferenced"),
        pytest.param(
            comp(None, status={"previousSynthesis": {"resourceSlices": [{"name": "s1"}]}}),
            rslice(None),
            False,
            id="referenced-by-previous",
        ),
        pytest.param(
            comp(None, status={"inFlightSynthesis": {"uuid": "in"}}),
            rslice(None, uuid="in"),
            False,
            id="in-flight",
        ),
        pytest.param(
            comp(None, status={"inFlightSynthesis": {"uuid": "in"}}),
            rslice(None, uuid="x"),
            True,
            id="mismatch",
        ),
        pytest.param(None, rslice(None), True, id="composition-missing"),
    ],
)
def test_should_delete(subject: Composition | None, slice_: ResourceSlice, delete: bool) -> None:
    assert should_delete(subject, slice_) == delete


@pytest.mark.parametrize(
    ("subject", "keep"),
    [
        pytest.param(comp(["s1"]), True, id="unreconciled-current-references"),
        pytest.param(comp(["s1"], current={"reconciled": T1}), False, id="reconciled"),
        pytest.param(comp(["other"]), False, id="not-referenced"),
        pytest.param(None, False, id="composition-gone"),
    ],
)
def test_keep_finalizer(subject: Composition | None, keep: bool) -> None:
    assert keep_finalizer(subject, rslice(None)) == keep
