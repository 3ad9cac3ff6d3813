"""Pure symphony logic: topological order, merges, desired compositions, removal and the annotation plan."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1 import Binding, Composition, EnvVar, Symphony, Variation
from eno.symphony.desired import coalesce_metadata, merge_bindings, merge_env, spec_equal
from eno.symphony.plan import Apply, Delete, LabelDeleting, Prune, plan_pass, removal_step
from eno.symphony.status import aggregate_status
from eno.symphony.toposort import topo_sort

NS = "default"


def var(name: str, *deps: str, **extra: Any) -> Variation:
    return Variation.from_dict(
        {"synthesizer": {"name": name}, "dependsOn": [{"synthesizer": d} for d in deps], **extra}
    )


def symphony(*variations: Variation, deleting: bool = False, **spec: Any) -> Symphony:
    meta: dict[str, Any] = {"name": "sym", "namespace": NS, "uid": "sym-uid", "generation": 3}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return Symphony.from_dict(
        {"metadata": meta, "spec": {"variations": [v.to_dict() for v in variations], **spec}}
    )


def comp(
    name: str,
    synth: str,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    created: str = "2024-01-01T00:00:00Z",
    deleting: bool = False,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    generation: int = 1,
) -> Composition:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": NS,
        "creationTimestamp": created,
        "generation": generation,
        "ownerReferences": [{"kind": "Symphony", "name": "sym", "uid": "sym-uid", "controller": True}],
    }
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    if deleting:
        meta["deletionTimestamp"] = "2024-01-02T00:00:00Z"
    return Composition.from_dict(
        {"metadata": meta, "spec": spec or {"synthesizer": {"name": synth}}, "status": status or {}}
    )


@pytest.mark.parametrize(
    ("variations", "order", "cyclic"),
    [
        pytest.param([var("b"), var("a")], "ab", 0, id="alphabetical"),
        pytest.param([var("c", "b"), var("b", "a"), var("a")], "abc", 0, id="chain-any-order"),
        pytest.param([var("d", "b", "c"), var("b", "a"), var("c", "a"), var("a")], "abcd", 0, id="diamond"),
        pytest.param([var("a", "b"), var("b", "a")], "", 2, id="two-cycle"),
        pytest.param([var("a", "b"), var("b", "a"), var("c")], "c", 2, id="two-cycle-plus-free"),
        pytest.param([var("a", "a")], "", 1, id="self-loop"),
        pytest.param(
            [var("a", "b", "c"), var("b", "d"), var("c", "d"), var("d")], "dbca", 0, id="generic-diamond"
        ),
        pytest.param([var("a", "phantom")], "a", 0, id="unknown-dependency-ignored"),
        pytest.param(
            [var("e"), var("d", "e"), var("x", "y"), var("y", "z"), var("z", "x")], "ed", 3, id="downstream"
        ),
    ],
)
def test_topo_sort(variations: list[Variation], order: str, cyclic: int) -> None:
    ordered, cycles = topo_sort(variations)
    assert "".join(v.synthesizer.name for v in ordered) == order
    assert len(cycles) == cyclic


def b(key: str, name: str) -> Binding:
    return Binding.from_dict({"key": key, "resource": {"name": name}})


@pytest.mark.parametrize(
    ("sym", "variation", "want"),
    [
        pytest.param([b("k2", "s1"), b("k2", "s2")], [b("k1", "v1"), b("k1", "v2")], ["k2", "k1"], id="dups"),
        pytest.param([b("k1", "from-symphony")], [b("k1", "from-variation")], ["k1"], id="variation-wins"),
        pytest.param([b("a", "1"), b("b", "2")], [b("b", "3"), b("c", "4")], ["a", "b", "c"], id="in-place"),
        pytest.param([], [], [], id="empty"),
    ],
)
def test_merge_bindings(sym: list[Binding], variation: list[Binding], want: list[str]) -> None:
    merged = merge_bindings(sym, variation)
    assert [x.key for x in merged] == want
    for x in merged:
        overriding = [v for v in variation if v.key == x.key]
        if overriding:
            assert x.resource.name in {v.resource.name for v in overriding}


def e(name: str, value: str) -> EnvVar:
    return EnvVar(name=name, value=value)


@pytest.mark.parametrize(
    ("sym", "variation", "want"),
    [
        pytest.param([e("a", "s")], [e("a", "v")], [("a", "v")], id="variation-wins"),
        pytest.param([e("a", "1"), e("a", "2")], [], [("a", "1")], id="symphony-dups-collapse"),
        pytest.param([], [e("a", "1"), e("a", "2")], [("a", "1"), ("a", "2")], id="variation-dups-kept"),
        pytest.param([e("s", "1")], [e("v", "2")], [("v", "2"), ("s", "1")], id="variation-first"),
    ],
)
def test_merge_env(sym: list[EnvVar], variation: list[EnvVar], want: list[tuple[str, str]]) -> None:
    assert [(x.name, x.value) for x in merge_env(sym, variation)] == want


def test_spec_equal_normalises_empty_collections() -> None:
    a = comp("a", "s", spec={"synthesizer": {"name": "s"}, "bindings": []}).spec
    bb = comp("b", "s", spec={"synthesizer": {"name": "s"}}).spec
    assert spec_equal(a, bb)


@pytest.mark.parametrize(
    ("labels", "annotations", "want_labels", "want_annotations", "changed"),
    [
        pytest.param({"a": "1"}, {}, {"a": "1", "keep": "x"}, {"k": "v"}, True, id="add-label"),
        pytest.param({"keep": ""}, {}, {}, {"k": "v"}, True, id="empty-label-removes"),
        pytest.param({}, {"k": ""}, {"keep": "x"}, {"k": "v"}, False, id="empty-annotation-left-to-prune"),
        pytest.param({}, {"k": "w"}, {"keep": "x"}, {"k": "w"}, True, id="change-annotation"),
        pytest.param({"keep": "x"}, {"k": "v"}, {"keep": "x"}, {"k": "v"}, False, id="no-change"),
    ],
)
def test_coalesce_metadata(
    labels: dict[str, str],
    annotations: dict[str, str],
    want_labels: dict[str, str],
    want_annotations: dict[str, str],
    changed: bool,
) -> None:
    existing = comp("c", "s", annotations={"k": "v"}, labels={"keep": "x"})
    merge = coalesce_metadata(var("s", labels=labels, annotations=annotations), existing)
    assert (merge.labels, merge.annotations, merge.changed) == (want_labels, want_annotations, changed)


# --- removal ---


def test_removal_deletes_composition_without_variation() -> None:
    step = removal_step(symphony(var("a")), [comp("a-1", "a"), comp("b-1", "b")])
    assert isinstance(step, Delete) and step.composition.name == "b-1" and step.reason == "variation_removed"


def test_removal_labels_before_deleting_when_symphony_deletes() -> None:
    sym = symphony(var("a"), deleting=True)
    step = removal_step(sym, [comp("a-1", "a")])
    assert isinstance(step, LabelDeleting)
    assert step.composition.labels["eno.azure.io/symphony-deleting"] == "true"
    labelled = comp("a-1", "a", labels={"eno.azure.io/symphony-deleting": "true"})
    step = removal_step(sym, [labelled])
    assert isinstance(step, Delete) and step.reason == "symphony_deleting"
    # Already deleting and labelled: nothing more to do.
    done = comp("a-1", "a", labels={"eno.azure.io/symphony-deleting": "true"}, deleting=True)
    assert removal_step(sym, [done]) is None


def test_removal_labels_compositions_already_being_deleted() -> None:
    step = removal_step(symphony(deleting=True), [comp("a-1", "a", deleting=True)])
    assert isinstance(step, LabelDeleting)


def test_duplicate_guard_deletes_the_oldest() -> None:
    older = comp("bar", "a", created="2024-01-01T00:00:00Z")
    newer = comp("foo", "a", created="2024-01-02T00:00:00Z")
    step = removal_step(symphony(var("a")), [newer, older])
    assert isinstance(step, Delete) and step.composition.name == "bar" and step.reason == "duplicate"


def test_removal_nothing_to_do() -> None:
    assert removal_step(symphony(var("a")), [comp("a-1", "a")]) is None


# --- the annotation protocol ---


def test_prune_comes_before_any_add() -> None:
    sym = symphony(var("a", annotations={"own": ""}), var("b", annotations={"own": "true"}))
    plan = plan_pass(sym, [comp("a-1", "a", {"own": "true"}), comp("b-1", "b")])
    assert isinstance(plan, Prune)
    assert plan.composition.name == "a-1" and plan.keys == ("own",)
    assert "own" not in plan.composition.annotations
    plan = plan_pass(sym, [comp("a-1", "a"), comp("b-1", "b")])
    assert isinstance(plan, Apply) and [c.annotations for c in plan.updates] == [{"own": "true"}]


def test_apply_creates_in_dependency_order_and_waits_for_names() -> None:
    sym = symphony(var("b", "a"), var("a"))
    plan = plan_pass(sym, [])
    assert isinstance(plan, Apply)
    assert [c.metadata["generateName"] for c in plan.creates] == ["a-"]
    assert plan.unresolved == ("b",)
    plan = plan_pass(sym, [comp("a-xyz", "a")])
    assert isinstance(plan, Apply)
    assert [d.to_dict() for d in plan.creates[0].spec.depends_on] == [{"name": "a-xyz", "namespace": NS}]


def test_created_composition_carries_owner_and_verbatim_metadata() -> None:
    sym = symphony(var("a", labels={"l": "1", "gone": ""}, annotations={"k": ""}))
    plan = plan_pass(sym, [])
    assert isinstance(plan, Apply)
    created = plan.creates[0]
    assert created.labels == {"l": "1", "gone": ""} and created.annotations == {"k": ""}
    (owner,) = created.metadata["ownerReferences"]
    assert owner == {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Symphony",
        "name": "sym",
        "uid": "sym-uid",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def test_spec_change_is_written_before_metadata() -> None:
    sym = symphony(var("a", labels={"l": "2"}), bindings=[{"key": "k", "resource": {"name": "n"}}])
    existing = comp("a-1", "a", labels={"l": "1"})
    plan = plan_pass(sym, [existing])
    assert isinstance(plan, Apply)
    (update,) = plan.updates
    assert update.labels == {"l": "1"} and [x.key for x in update.spec.bindings] == ["k"]


def test_cyclic_variations_are_skipped_but_pruned() -> None:
    sym = symphony(var("a", "b", annotations={"k": ""}), var("b", "a"))
    plan = plan_pass(sym, [comp("a-1", "a", {"k": "v"})])
    assert isinstance(plan, Prune)
    plan = plan_pass(sym, [comp("a-1", "a")])
    assert isinstance(plan, Apply) and plan.writes == 0 and plan.cyclic == ("a", "b")


# Property: whatever the compositions hold, a plan never both removes and adds, and an apply plan never
# writes a value while some composition still holds a key its variation sets to "".
names = st.sampled_from(["a", "b", "c"])
values = st.sampled_from(["", "true", "x"])


@given(
    wants=st.dictionaries(names, st.dictionaries(st.sampled_from(["k", "j"]), values), min_size=1),
    holds=st.dictionaries(names, st.dictionaries(st.sampled_from(["k", "j"]), values)),
)
def test_plan_never_prunes_and_adds(
    wants: dict[str, dict[str, str]], holds: dict[str, dict[str, str]]
) -> None:
    sym = symphony(*(var(n, annotations=a) for n, a in sorted(wants.items())))
    comps = [comp(f"{n}-1", n, a) for n, a in sorted(holds.items())]
    plan = plan_pass(sym, comps)
    doomed = [(n, k) for n, a in wants.items() for k, v in a.items() if v == "" and k in holds.get(n, {})]
    if doomed:
        assert isinstance(plan, Prune)
        assert set(plan.keys) <= {k for _, k in doomed}
    else:
        assert isinstance(plan, Apply)


# --- status ---


def synthesized(ready: str | None, generation: int = 1) -> dict[str, Any]:
    syn = {"observedCompositionGeneration": generation, "synthesized": "2024-01-01T00:00:00Z"}
    if ready:
        syn.update(reconciled=ready, ready=ready)
    return {"currentSynthesis": syn}


@pytest.mark.parametrize(
    ("comps", "optional", "ready"),
    [
        pytest.param([], False, None, id="no-compositions"),
        pytest.param([("a", "2024-01-01T00:00:05Z")], False, "2024-01-01T00:00:05Z", id="one-ready"),
        pytest.param([("a", "2024-01-01T00:00:05Z"), ("b", None)], False, None, id="one-not-ready"),
        pytest.param(
            [("a", "2024-01-01T00:00:05Z"), ("b", None)], True, "2024-01-01T00:00:05Z", id="optional-ignored"
        ),
        pytest.param(
            [("a", "2024-01-01T00:00:05Z"), ("b", "2024-01-01T00:00:09Z")],
            False,
            "2024-01-01T00:00:09Z",
            id="latest-of-two",
        ),
    ],
)
def test_aggregate_status(comps: list[tuple[str, str | None]], optional: bool, ready: str | None) -> None:
    sym = symphony(var("a"), var("b", optional=optional))
    status = aggregate_status(sym, [comp(f"{n}-1", n, status=synthesized(r)) for n, r in comps])
    assert status.observed_generation == 3
    assert status.ready == ready


def test_aggregate_status_outdated_generation_clears() -> None:
    sym = symphony(var("a"))
    stale = comp("a-1", "a", status=synthesized("2024-01-01T00:00:05Z", generation=1), generation=2)
    assert aggregate_status(sym, [stale]).ready is None
